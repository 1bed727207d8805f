"""The digest as a researcher reads it, in every channel (email text and HTML, Slack, Teams):
the footer's link to their preferences (never a command), "view in browser", 👍/👎 on each call,
counts said with the right plural, the days left, one summary line per call, the stages of a
two-stage call, each link escaped for its medium."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest

from notifications import mail, slack, teams
from notifications.digest import Digest, Section, summary_line
from notifications.wording import PLURALS, TEXTS, Words
from tests.notifications.samples import AS_OF, SITE, digest, item, votes

PREFERENCES = f"{SITE}/preferences?token=pg.tok"
WEB = f"{SITE}/digests/42?token=pg.tok"


def slack_text(d: Digest) -> str:
    return json.dumps([m.blocks for m in slack.render_digest(d)], ensure_ascii=False)


def teams_texts(d: Digest) -> list[str]:
    """Every TextBlock text and fact of the cards, and each action as "title -> url"."""
    found: list[str] = []

    def walk(block: Any) -> None:
        if isinstance(block, dict):
            if block.get("type") == "TextBlock":
                found.append(block["text"])
            if "title" in block and "value" in block:
                found.append(f"{block['title']}: {block['value']}")
            if block.get("type") == "Action.OpenUrl":
                found.append(f"{block['title']} -> {block['url']}")
            for value in block.values():
                walk(value)
        elif isinstance(block, list):
            for value in block:
                walk(value)

    for message in teams.render_digest(d):
        walk(message.card)
    return found


def test_the_footer_links_to_the_preferences_page_in_every_channel() -> None:
    d = digest()
    html, text = mail.render_html(d), mail.render_text(d)
    assert f'<a href="{PREFERENCES}">Change what you receive</a>' in html
    assert f"Change what you receive: {PREFERENCES}\n" in text
    assert f"<{PREFERENCES}|Change what you receive>" in slack_text(d)
    [footer] = [t for t in teams_texts(d) if t.startswith("You receive this")]
    assert f"[Change what you receive]({PREFERENCES})" in footer
    for shown in (html, text, slack_text(d), " ".join(teams_texts(d))):
        assert "funding-monitor subscribers" not in shown and "administrator" not in shown


@pytest.mark.parametrize(("language", "sentence"), [
    ("en", "To change what you receive, ask your funding-monitor administrator."),
    ("sv", "Vill du ändra vad du får? Fråga din administratör för funding-monitor."),
])  # fmt: skip
def test_without_a_preferences_page_the_footer_says_to_ask_the_admin(language, sentence) -> None:
    d = digest(language=language, preferences_url="", web_url="", votes={})
    html, text, posted, cards = (mail.render_html(d), mail.render_text(d), slack_text(d),
                                 " ".join(teams_texts(d)))  # fmt: skip
    for shown in (html, text, posted, cards):
        assert sentence in shown
        assert "funding-monitor subscribers" not in shown and "/preferences" not in shown
        assert "/digests/" not in shown and "/feedback" not in shown
    assert "View in browser" not in html + text + posted + cards


def test_every_email_part_slack_and_teams_offer_the_web_copy() -> None:
    d = digest()
    html, text = mail.render_html(d), mail.render_text(d)
    assert f'<a href="{WEB}">View in browser</a>' in html
    assert html.index("View in browser") < html.index("<h1>")  # first, before the heading
    assert text.startswith(f"View in browser: {WEB}\n")
    assert f"<{WEB}|View in browser>" in slack_text(d)
    assert f"View in browser -> {WEB}" in teams_texts(d)
    copy = mail.web_copy(d)  # the copy on the web does not link to itself
    assert "View in browser" not in copy and "deadlines.ics" not in copy
    assert "Capacity development for clinical trials in Africa (1)" in copy
    assert f'href="{PREFERENCES}"' in copy and "feedback?token=pg.tok&amp;call=1" in copy


def test_each_call_has_its_own_thumbs_up_and_down_links_in_every_channel() -> None:
    d = digest(item(1), item(2), changed=())
    html, text, posted, cards = mail.render_html(d), mail.render_text(d), slack_text(d), \
        teams_texts(d)  # fmt: skip
    for n in (1, 2):
        up, down = votes(n)
        assert f'<a href="{up.replace("&", "&amp;")}">👍 Relevant</a>' in html
        assert f'<a href="{down.replace("&", "&amp;")}">👎 Not relevant</a>' in html
        assert f"  👍 Relevant: {up}\n  👎 Not relevant: {down}\n" in text
        assert f"<{up.replace('&', '&amp;')}|👍 Relevant>" in posted
        assert f"<{down.replace('&', '&amp;')}|👎 Not relevant>" in posted
        assert any(f"[👍 Relevant]({up})" in t and f"[👎 Not relevant]({down})" in t
                   for t in cards)  # fmt: skip
    # each call's links sit in its own block: call 2's are not under call 1
    first = html[html.index("(1)</a>") : html.index("(2)</a>")]
    assert "call=1&amp;vote=up" in first and "call=2" not in first
    sections = [b for b in slack.render_digest(d)[0].blocks if b["type"] == "section"]
    assert ["call=1&amp;" in s["text"]["text"] for s in sections] == [True, False]


def test_a_call_without_votes_or_with_odd_links_shows_none() -> None:
    odd = ("javascript:alert(1)", f"{SITE}/feedback?x")
    d = digest(item(1), item(2), changed=(), votes={1: odd})
    for shown in (mail.render_html(d), mail.render_text(d), slack_text(d),
                  " ".join(teams_texts(d))):  # fmt: skip
        assert "javascript" not in shown and "👍" not in shown


def test_vote_links_are_escaped_for_each_medium() -> None:
    hostile = f'{SITE}/feedback?token=a"><script>x</script>|*b*&call=1&vote=up'
    d = digest(item(1), changed=(), votes={1: (hostile, hostile)})
    html = mail.render_html(d)
    assert "<script>" not in html and "a&#34;&gt;&lt;script&gt;" in html
    posted = slack_text(d)
    assert "<script>" not in posted and "|*b*" not in posted and "%7C%2Ab%2A" not in posted
    link = next(t for t in teams_texts(d) if "👍" in t)
    assert "<script>" not in link and "%3Cscript%3E" in link


def test_slack_keeps_room_for_the_votes_within_its_limits() -> None:
    many = tuple(item(i, title="T" * 4000, summary="S" * 160) for i in range(1, 61))
    messages = slack.render_digest(digest(*many, changed=()))
    assert all(len(m.blocks) <= slack.MAX_BLOCKS for m in messages)
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) == 60
    assert all(len(s) <= slack.MAX_SECTION_TEXT and "vote=down" in s for s in sections)


@pytest.mark.parametrize(("language", "one", "two"), [
    ("en", ("Funding calls: 1 call for you (2026-W26)", "1 call matching your subscription",
            "1 new call", "within 1 day.", "…and 1 more call,"),
           ("Funding calls: 2 calls for you (2026-W26)", "2 calls matching your subscription",
            "2 new calls", "within 2 days.", "…and 2 more calls,")),
    ("sv", ("Utlysningar: 1 utlysning för dig (2026-W26)", "1 utlysning som matchar",
            "1 ny utlysning", "inom 1 dag.", "…och 1 utlysning till,"),
           ("Utlysningar: 2 utlysningar för dig (2026-W26)", "2 utlysningar som matchar",
            "2 nya utlysningar", "inom 2 dagar.", "…och 2 utlysningar till,")),
])  # fmt: skip
def test_counts_are_said_with_the_right_plural(language, one, two) -> None:
    for n, (subject, intro, heading, within, more) in ((1, one), (2, two)):
        calls = tuple(item(i) for i in range(1, n + 1))
        d = digest(*calls, language=language, changed=(),
                   reminders=(), reminder_days=(n,))  # fmt: skip
        reminding = replace(d, new=(), reminders=(Section("global-actor", calls),))
        message = mail.digest_message(d, sender="m@ki.se", recipient="r@ki.se",
                                      message_id="<x@ki.se>", date=AS_OF)  # fmt: skip
        assert message_from_bytes(message.as_bytes(), policy=policy.default)["Subject"] == subject
        for shown in (mail.render_text(d), mail.render_html(d), slack_text(d),
                      " ".join(teams_texts(d))):  # fmt: skip
            assert intro in shown and heading in shown
        assert slack.render_digest(d)[0].text == slack.escape(subject)
        for shown in (mail.render_text(reminding), " ".join(teams_texts(reminding))):
            assert within in shown
        words = Words(language, "UTC")
        assert words("more", more=words.count("more", n)).startswith(more[:-1])
    many = [item(i, title="Ω" * 280, funder="F" * 200) for i in range(1, 400)]
    [last] = [t for t in teams_texts(digest(*many, language=language))
              if t.startswith(("…and", "…och"))]  # fmt: skip
    assert "calls" in last or "utlysningar" in last


def test_every_counted_text_has_both_forms_in_both_languages() -> None:
    assert set(PLURALS["en"]) == set(PLURALS["sv"])
    for language, forms in PLURALS.items():
        for key, by_form in forms.items():
            assert set(by_form) == {"one", "other"}, (language, key)
            assert "{n}" in by_form["other"]
    assert set(TEXTS["en"]) == set(TEXTS["sv"])


@pytest.mark.parametrize(("language", "texts"), [
    ("en", ["closes today", "closes today", "closes tomorrow", "closes in 6 days"]),
    ("sv", ["stänger i dag", "stänger i dag", "stänger i morgon", "stänger om 6 dagar"]),
])  # fmt: skip
def test_days_left_are_counted_in_local_days(language: str, texts: list[str]) -> None:
    words = Words(language, "Europe/Stockholm")
    as_of = datetime(2026, 6, 27, 21, 30, tzinfo=UTC)  # 23:30 in Stockholm
    deadlines = [datetime(2026, 6, 27, 21, 45, tzinfo=UTC),  # 23:45 the same evening
                 as_of - timedelta(minutes=5),
                 datetime(2026, 6, 27, 22, 15, tzinfo=UTC),  # 00:15 the next day: tomorrow
                 datetime(2026, 7, 3, 15, 0, tzinfo=UTC)]  # fmt: skip
    assert [words.closes(d, as_of) for d in deadlines] == texts


def test_reminders_say_the_days_left_in_every_channel() -> None:
    soon = item(1, deadlines=(AS_OF + timedelta(days=6),))
    d = digest(soon, new=(), changed=(), reminders=(Section("global-actor", (soon,)),))
    for shown in (mail.render_text(d), mail.render_html(d), slack_text(d),
                  " ".join(teams_texts(d))):  # fmt: skip
        assert "(closes in 6 days)" in shown and "1 deadline coming up" in shown
    sv = replace(d, language="sv")
    assert all("(stänger om 6 dagar)" in t for t in (mail.render_text(sv), slack_text(sv)))


LONG = ("This call supports consortia of universities and hospitals that build capacity for "
        "clinical research in sub-Saharan Africa through training, shared infrastructure and "
        "joint trials, with partners from at least three countries")  # fmt: skip


@pytest.mark.parametrize(("summary", "line"), [
    ("", ""),
    ("  Short   and\nplain  ", "Short and plain"),
    ("The first sentence is here. The second one is not shown.", "The first sentence is here."),
    ("Topic e.g. for EU. Partners in Sweden are welcome to apply here.",
     "Topic e.g. for EU. Partners in Sweden are welcome to apply here."),
    (LONG, LONG[:LONG.rindex(" ", 0, 159)] + "…"),
    ("x" * 300, "x" * 159 + "…"),
])  # fmt: skip
def test_the_summary_line_is_the_first_sentence_or_cut_at_a_word(summary: str, line: str) -> None:
    assert summary_line(summary) == line
    assert len(summary_line(summary)) <= 160


def test_one_summary_line_per_call_in_email_and_slack_and_teams() -> None:
    line = summary_line(LONG)
    d = digest(item(1, summary=line + " <b>*x*</b>"), changed=())
    html, text, posted = mail.render_html(d), mail.render_text(d), slack_text(d)
    assert f'<p class="summary">{line} &lt;b&gt;*x*&lt;/b&gt;</p>' in html
    assert f"Africa (1)\n  {line} <b>*x*</b>\n  HORIZON-JU" in text
    assert f"{slack.escape(line)} &lt;b&gt;\u200b*\u200bx\u200b*\u200b&lt;/b&gt;" in posted
    assert any(t.startswith("This call supports") for t in teams_texts(d))


def test_a_two_stage_calls_stages_are_named_in_every_channel() -> None:
    two = item(1, deadlines=(datetime(2026, 9, 2, 15, tzinfo=UTC),
                             datetime(2027, 2, 1, 16, tzinfo=UTC)), stages=(1, 2))  # fmt: skip
    for language, said in (("en", "Deadlines: {}stage 1: Wed 2 Sept 2026, 17:00 CEST; "
                                  "stage 2: Mon 1 Feb 2027, 17:00 CET"),
                           ("sv", "Sista ansökningsdagar: {}steg 1: ons 2 sep. 2026, 17:00 "
                                  "CEST; steg 2: mån 1 feb. 2027, 17:00 CET")):  # fmt: skip
        d = digest(two, changed=(), language=language)
        assert said.format("") in mail.render_text(d)
        assert said.format("<strong>") in mail.render_html(d)
        assert said.format("*") in slack_text(d)
        assert any(t.startswith(said.format("")) for t in teams_texts(d))
