"""Rendering digests: the email parts, the calendar file and Slack blocks, in both languages,
with everything from the world escaped for its medium."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from icalendar import Calendar

from notifications import mail, slack
from notifications.digest import Change, Section
from notifications.errors import DestinationError
from notifications.ics import deadlines_calendar
from notifications.wording import TEXTS, Words
from tests.notifications.samples import AS_OF, digest, email, item

HOSTILE = (
    'Grants <script>alert("x")</script> & *bold* _it_ `code` ~s~ @channel <!here> <@U024BE7LH>'
)


def test_both_languages_have_every_text() -> None:
    assert set(TEXTS["en"]) == set(TEXTS["sv"])
    assert all(TEXTS["sv"][key] != TEXTS["en"][key] for key in ("heading", "new", "deadline"))


def test_babel_formats_dates_and_money_for_the_language() -> None:
    at = datetime(2026, 9, 2, 15, 0, tzinfo=UTC)
    assert Words("en", "Europe/Stockholm").when(at) == "Wed 2 Sept 2026, 17:00 CEST"
    assert Words("sv", "Europe/Stockholm").when(at) == "ons 2 sep. 2026, 17:00 CEST"
    assert Words("en", "UTC").when(at).endswith("15:00 UTC")
    assert Words("en", "Europe/Stockholm").money(15_000_000, "EUR") == "€15,000,000"
    assert Words("sv", "Europe/Stockholm").money(15_000_000, "EUR") == "15\u00a0000\u00a0000\u00a0€"
    assert Words("sv", "Europe/Stockholm").money(None, None) == "ej angiven"


@pytest.mark.parametrize("budget", [float("inf"), float("-inf"), float("nan"), 1e300])
def test_a_budget_no_call_could_have_is_shown_as_unknown_in_every_format(budget: float) -> None:
    for language, unknown in (("en", "not given"), ("sv", "ej angiven")):
        assert Words(language, "UTC").money(budget, "EUR") == unknown
    poisoned = digest(item(budget=budget), item(2))
    blocks = [m.blocks for m in slack.render_digest(poisoned)]
    for text in (mail.render_text(poisoned), mail.render_html(poisoned),
                 json.dumps(blocks, ensure_ascii=False)):  # fmt: skip
        assert "Budget: not given" in text and "€15,000,000" in text  # the other call's


def test_text_part_in_swedish_shows_swedish_headings_around_the_calls_own_text() -> None:
    text = mail.render_text(digest(language="sv"))
    assert "== 1 ny utlysning ==" in text
    assert "Sista ansökningsdag: ons 2 sep. 2026, 17:00 CEST (stänger om 67 dagar)" in text
    assert "Capacity development for clinical trials in Africa (1)" in text  # the call's own text
    assert "Sista dag flyttad: ons 2 sep. 2026, 17:00 CEST → ons 16 sep. 2026, 17:00 CEST" in text
    assert "new call" not in text and "Deadline" not in text


def test_html_part_escapes_what_comes_from_the_world() -> None:
    hostile = item(title=HOSTILE, funder="<b>Funder</b>", url="javascript:alert(1)")
    html = mail.render_html(digest(hostile))
    assert "<script>" not in html and "<b>Funder</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; *bold*" in html
    assert 'href="javascript' not in html  # only http(s) links become links
    assert '<meta name="viewport"' in html and "max-width:640px" in html  # readable on a phone


def test_digest_message_has_the_parts_and_headers_mail_clients_expect() -> None:
    message = mail.digest_message(digest(), sender="Monitor <monitor@ki.se>",
                                  recipient="researcher@ki.se", message_id="<d.42@ki.se>",
                                  date=AS_OF)  # fmt: skip
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == "<d.42@ki.se>"
    assert parsed["Date"] == "Sat, 27 Jun 2026 12:50:00 +0000"
    assert parsed["List-Unsubscribe"] == "<https://monitor.example.org/unsubscribe?token=abc.def>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Subject"] == "Funding calls: 2 calls for you (2026-W26)"
    assert parsed["Auto-Submitted"] == "auto-generated"
    kinds = [part.get_content_type() for part in parsed.walk()]
    assert kinds == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html",
                     "text/calendar"]  # fmt: skip
    assert "Deadline: Wed 2 Sept 2026" in parsed.get_body(("plain",)).get_content()


def test_no_unsubscribe_headers_without_a_link() -> None:
    message = email(digest(unsubscribe_url=""), sender="m@ki.se", message_id="<x@ki.se>")
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_calendar_has_one_event_per_deadline_with_stable_uids() -> None:
    two = item(
        2, deadlines=(datetime(2026, 9, 2, 15, tzinfo=UTC), datetime(2027, 2, 1, 16, tzinfo=UTC))
    )
    data = deadlines_calendar(digest(item(1), two), domain="ki.se")
    assert data is not None
    events = Calendar.from_ical(data).walk("VEVENT")
    uids = sorted(str(e["UID"]) for e in events)
    # call 1 appears in "new" and "changed" but is one event; call 2 has two deadlines
    assert uids == ["call-1-20260902T150000Z@ki.se", "call-2-20260902T150000Z@ki.se",
                    "call-2-20270201T160000Z@ki.se"]  # fmt: skip
    first = next(e for e in events if str(e["UID"]).startswith("call-1"))
    assert first.decoded("DTEND") == datetime(2026, 9, 2, 15, tzinfo=UTC)
    assert str(first["SUMMARY"]).startswith("Deadline: Capacity development")
    no_deadline = item(3, deadlines=())
    assert deadlines_calendar(digest(no_deadline, changed=())) is None


def test_slack_escape_stops_mentions_links_and_formatting() -> None:
    escaped = slack.escape(HOSTILE)
    assert "<" not in escaped and ">" not in escaped
    assert "@channel" not in escaped and "<!here>" not in escaped and "<@U024" not in escaped
    assert "&lt;!here&gt;" in escaped
    for mark in "*_`~":
        for position in [i for i, ch in enumerate(escaped) if ch == mark]:
            assert escaped[position - 1] == "\u200b" and escaped[position + 1] == "\u200b"


def test_slack_blocks_escape_the_title_and_link_only_http() -> None:
    hostile = item(title=HOSTILE, url="https://example.org/a|b>c")
    [message] = slack.render_digest(digest(hostile, changed=()))
    texts = json.dumps(message.blocks, ensure_ascii=False)
    assert "<!here>" not in texts and "@channel" not in texts and "<@U024" not in texts
    section = next(b for b in message.blocks if b["type"] == "section")
    assert section["text"]["text"].startswith(
        "*<https://example.org/a%7Cb%3Ec|Grants &lt;script&gt;"
    )
    plain = item(url="mailto:x@y.z")
    [message] = slack.render_digest(digest(plain, changed=()))
    assert "mailto" not in json.dumps(message.blocks)


def test_slack_splits_long_digests_within_the_limits() -> None:
    many = tuple(item(i, title="T" * 4000) for i in range(1, 121))
    messages = slack.render_digest(digest(*many, changed=()))
    assert len(messages) == 3
    assert all(len(m.blocks) <= slack.MAX_BLOCKS for m in messages)
    sections = [b for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) == 120 and all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert messages[1].text.endswith("continued (2/3)")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_change_kind_is_worded(language: str) -> None:
    words = Words(language, "Europe/Stockholm")
    at = (datetime(2026, 9, 2, 15, tzinfo=UTC),)
    texts = [words.change(Change("deadline_changed", at, ())),
             words.change(Change("budget_changed", (1e6, "EUR"), (2e6, "EUR"))),
             words.change(Change("closed_early")), words.change(Change("reopened"))]  # fmt: skip
    assert len(set(texts)) == 4 and all(texts)
    assert ("2\u00a0000\u00a0000" if language == "sv" else "2,000,000") in texts[1]


def test_digest_without_items_is_empty() -> None:
    empty = replace(digest(), new=(), changed=())
    assert empty.is_empty and digest().count == 2
    assert not replace(digest(), new=(Section("at-home", ()),), changed=()).count


def test_destinations_are_checked() -> None:
    assert mail.check_address("Researcher@KI.SE") == "Researcher@ki.se"
    for bad in ("not-an-address", "a@b", "x@@ki.se", "a b@ki.se"):
        with pytest.raises(DestinationError, match="is not an email address"):
            mail.check_address(bad)
    assert slack.check_channel("C0123ABCD") == "C0123ABCD"
    with pytest.raises(DestinationError, match="Slack channel"):
        slack.check_channel("general channel")
    assert slack.check_webhook("https://hooks.slack.com/services/T/B/x")
    assert slack.check_webhook("http://127.0.0.1:8000/hook")
    for bad in ("http://hooks.slack.com/services/T/B/secret", "ftp://x/y", "hooks.slack.com"):
        with pytest.raises(DestinationError, match="https://") as info:
            slack.check_webhook(bad)
        assert "secret" not in str(info.value)


def test_a_long_unsubscribe_link_stays_one_raw_header() -> None:
    url = "https://monitor.example.org/unsubscribe?token=" + "WzEsIjZjOWFkMDY4OWRiNjZjMjUiXQ." * 3
    message = email(digest(unsubscribe_url=url), sender="m@ki.se", message_id="<x@ki.se>")
    raw = message.as_bytes()
    assert f"\nList-Unsubscribe: <{url}>\n".encode() in raw
    assert max(len(line) for line in raw.split(b"\n")) <= 998


def test_the_hour_a_dst_change_repeats_is_named_by_its_own_zone_each_time() -> None:
    """The two 02:30s of 25 October 2026 in Stockholm compare equal as local times (they
    differ in fold only): each is shown with its own zone name, even though dates are
    formatted once and remembered."""
    from zoneinfo import ZoneInfo

    words = Words("en", "Europe/Stockholm")
    zone = ZoneInfo("Europe/Stockholm")
    first, second = (datetime(2026, 10, 25, 2, 30, tzinfo=zone, fold=f) for f in (0, 1))
    assert first == second  # Python's comparison within one zone ignores fold
    assert words.when(first).endswith("02:30 CEST")
    assert words.when(second).endswith("02:30 CET")
    assert words.when(first).endswith("02:30 CEST")  # remembered per instant, not per value
