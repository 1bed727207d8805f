"""Every fixed text of a digest or notice in English and Swedish, and dates, times and money
formatted for the language with Babel. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.core import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from notifications.digest import Change

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Funding calls: {calls} for you ({period})",
        "subject_notice": "Source {source}: {state}",
        "heading": "Funding calls for international collaboration",
        "intro": "{calls} matching your subscription, as of {date}.",
        "new": "New calls",
        "changed": "Calls that changed",
        "reminders": "Deadlines coming up",
        "reminders_intro": "Calls you follow whose deadline is within {days}.",
        "other": "Other calls",
        "funder": "Funder",
        "programme": "Programme",
        "deadline": "Deadline",
        "deadlines": "Deadlines",
        "no_deadline": "no deadline given",
        "stage": "stage {n}: {when}",
        "opens": "Opens",
        "budget": "Budget",
        "tags": "Tags",
        "link": "Open the call",
        "status_forthcoming": "forthcoming",
        "deadline_changed": "Deadline moved: {old} → {new}",
        "budget_changed": "Budget changed: {old} → {new}",
        "closed_early": "Closed before its deadline",
        "reopened": "Reopened",
        "unknown": "not given",
        "footer": "You receive this because you subscribed to funding-monitor digests.",
        "unsubscribe": "Unsubscribe",
        "manage": "Change what you receive",
        "manage_admin": "To change what you receive, ask your funding-monitor administrator.",
        "view_online": "View in browser",
        "vote_up": "👍 Relevant",
        "vote_down": "👎 Not relevant",
        "vote_ask": "Is this call for you?",
        "reference": "Reference {ref}",
        "calendar": "Deadlines as a calendar file",
        "continued": "continued ({part}/{parts})",
        "more": "…and {more}, too many for one message",
        "closes_today": "closes today",
        "ics_summary": "Deadline: {title}",
        "notice_unhealthy": "has turned unhealthy",
        "notice_still-unhealthy": "is still unhealthy",
        "notice_healthy": "is healthy again",
        "notice_reason": "Reason",
        "notice_since": "Unhealthy since",
        "notice_hint": "See `funding-monitor status` and `funding-monitor sources test {source}`.",
    },
    "sv": {
        "subject": "Utlysningar: {calls} för dig ({period})",
        "subject_notice": "Källan {source}: {state}",
        "heading": "Utlysningar för internationellt samarbete",
        "intro": "{calls} som matchar din prenumeration, per {date}.",
        "new": "Nya utlysningar",
        "changed": "Utlysningar som har ändrats",
        "reminders": "Snart sista ansökningsdag",
        "reminders_intro": "Utlysningar du följer med sista dag inom {days}.",
        "other": "Övriga utlysningar",
        "funder": "Finansiär",
        "programme": "Program",
        "deadline": "Sista ansökningsdag",
        "deadlines": "Sista ansökningsdagar",
        "no_deadline": "ingen sista dag angiven",
        "stage": "steg {n}: {when}",
        "opens": "Öppnar",
        "budget": "Budget",
        "tags": "Taggar",
        "link": "Öppna utlysningen",
        "status_forthcoming": "kommande",
        "deadline_changed": "Sista dag flyttad: {old} → {new}",
        "budget_changed": "Budget ändrad: {old} → {new}",
        "closed_early": "Stängd före sista ansökningsdag",
        "reopened": "Öppnad igen",
        "unknown": "ej angiven",
        "footer": "Du får detta eftersom du prenumererar på sammanställningar från "
        "funding-monitor.",
        "unsubscribe": "Avsluta prenumerationen",
        "manage": "Ändra vad du får",
        "manage_admin": "Vill du ändra vad du får? Fråga din administratör för funding-monitor.",
        "view_online": "Visa i webbläsaren",
        "vote_up": "👍 Relevant",
        "vote_down": "👎 Inte relevant",
        "vote_ask": "Passar utlysningen dig?",
        "reference": "Referens {ref}",
        "calendar": "Sista ansökningsdagar som kalenderfil",
        "continued": "fortsättning ({part}/{parts})",
        "more": "…och {more} till, för många för ett meddelande",
        "closes_today": "stänger i dag",
        "ics_summary": "Sista dag: {title}",
        "notice_unhealthy": "fungerar inte längre",
        "notice_still-unhealthy": "fungerar fortfarande inte",
        "notice_healthy": "fungerar igen",
        "notice_reason": "Orsak",
        "notice_since": "Ur funktion sedan",
        "notice_hint": "Se `funding-monitor status` och `funding-monitor sources test {source}`.",
    },
}
# Texts that say a count, by the language's plural rule (CLDR, through Babel): "one" and
# "other" for English and Swedish alike.
PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "calls": {"one": "1 call", "other": "{n} calls"},
        "more": {"one": "1 more call", "other": "{n} more calls"},
        "days": {"one": "1 day", "other": "{n} days"},
        "closes_in": {"one": "closes tomorrow", "other": "closes in {n} days"},
        "new": {"one": "1 new call", "other": "{n} new calls"},
        "changed": {"one": "1 call that changed", "other": "{n} calls that changed"},
        "reminders": {"one": "1 deadline coming up", "other": "{n} deadlines coming up"},
    },
    "sv": {
        "calls": {"one": "1 utlysning", "other": "{n} utlysningar"},
        "more": {"one": "1 utlysning", "other": "{n} utlysningar"},
        "days": {"one": "1 dag", "other": "{n} dagar"},
        "closes_in": {"one": "stänger i morgon", "other": "stänger om {n} dagar"},
        "new": {"one": "1 ny utlysning", "other": "{n} nya utlysningar"},
        "changed": {
            "one": "1 utlysning som har ändrats",
            "other": "{n} utlysningar som har ändrats",
        },  # fmt: skip
        "reminders": {
            "one": "1 sista ansökningsdag närmar sig",
            "other": "{n} sista ansökningsdagar närmar sig",
        },  # fmt: skip
    },
}
_LOCALES = {"en": "en_GB", "sv": "sv_SE"}
LARGEST_AMOUNT = 1e15  # no budget comes near: beyond it a value is a mistake, shown as unknown


class Words:
    """The fixed texts and formatters of one language and time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        if language not in TEXTS:
            raise ValueError(f"language {language!r} is not one of {', '.join(TEXTS)}")
        self.language = language
        self.locale = _LOCALES[language]
        self.zone = ZoneInfo(timezone)
        self._texts = TEXTS[language]
        self._plurals = PLURALS[language]
        self._plural_form = _plural_rule(self.locale)

    def __call__(self, key: str, **values: object) -> str:
        return self._texts[key].format(**values) if values else self._texts[key]

    def count(self, key: str, n: int) -> str:
        """A count said with its noun in the right form: "1 call", "2 calls", "1 utlysning",
        "2 utlysningar" (``PLURALS``)."""
        forms = self._plurals[key]
        return forms.get(self._plural_form(n), forms["other"]).format(n=n)

    def subject(self, count: int, period: str) -> str:
        """A digest's subject line (the notification text in Slack and Teams)."""
        return self("subject", calls=self.count("calls", count), period=period)

    def intro(self, count: int, as_of: datetime) -> str:
        return self("intro", calls=self.count("calls", count), date=self.day(as_of))

    def closes(self, deadline: datetime, as_of: datetime) -> str:
        """How soon a deadline is, counted in local days from ``as_of``: "closes today",
        "closes tomorrow", "closes in 6 days"."""
        days = (deadline.astimezone(self.zone).date() - as_of.astimezone(self.zone).date()).days
        return self("closes_today") if days <= 0 else self.count("closes_in", days)

    def when(self, at: datetime) -> str:
        """A moment with its time zone, e.g. 'Thu 17 Sep 2026, 17:00 CEST'."""
        return _when(at, self.zone.key, self.locale)

    def day(self, at: datetime) -> str:
        return _day(at, self.zone.key, self.locale)

    def moments(self, values: object, stages: tuple[int, ...] = ()) -> str:
        """A tuple of datetimes as one text, e.g. the deadlines before and after a change;
        with ``stages`` (a two-stage call's), each is named by its stage."""
        if not isinstance(values, tuple) or not values:
            return self("unknown")
        if len(stages) == len(values):
            return "; ".join(self("stage", n=n, when=self.when(v))
                             for v, n in zip(values, stages, strict=True))  # fmt: skip
        return "; ".join(self.when(v) for v in values if isinstance(v, datetime))

    def money(self, amount: float | None, currency: str | None) -> str:
        """An amount in the language's format; "unknown" when there is none, or when it is
        not a number any call could have (infinite, NaN, a thousand trillion or more)."""
        if amount is None or not math.isfinite(amount) or abs(amount) >= LARGEST_AMOUNT:
            return self("unknown")
        return _money(amount, currency or "", self.locale)

    def change(self, change: Change) -> str:
        if change.kind == "deadline_changed":
            return self("deadline_changed", old=self.moments(change.old),
                        new=self.moments(change.new))  # fmt: skip
        if change.kind == "budget_changed":
            old, new = (self.money(*pair) if isinstance(pair, tuple) else self("unknown")
                        for pair in (change.old, change.new))  # fmt: skip
            return self("budget_changed", old=old, new=new)
        return self(change.kind)


@cache  # parsing a locale's name costs more than formatting a date with it
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _plural_rule(locale: str) -> Callable[[int], str]:
    return _locale(locale).plural_form  # type: ignore[no-any-return]


def _when(at: datetime, zone: str, locale: str) -> str:
    # in UTC for the cache: two local times a DST change repeats are equal, and differ in name
    return _when_utc(at.astimezone(UTC), zone, locale)


# Memoised: a page shows the same moments request after request (a source's last run, a call's
# deadlines), and babel takes ~13 µs a date (2.6 ms of the 200-source dashboard's 15).
@lru_cache(maxsize=8192)
def _when_utc(at: datetime, zone: str, locale: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    shown = format_datetime(local, "EEE d MMM y, HH:mm", locale=_locale(locale))
    return f"{shown} {local.tzname()}"


def _day(at: datetime, zone: str, locale: str) -> str:
    return _day_utc(at.astimezone(UTC), zone, locale)


@lru_cache(maxsize=8192)
def _day_utc(at: datetime, zone: str, locale: str) -> str:
    return format_date(at.astimezone(ZoneInfo(zone)).date(), "long", locale=_locale(locale))


def _money(amount: float, currency: str, locale: str) -> str:
    if not currency:
        return format_decimal(round(amount), locale=_locale(locale))
    pattern = "#,##0\u00a0¤" if locale.startswith("sv") else "¤#,##0"
    return format_currency(
        round(amount), currency, locale=_locale(locale), currency_digits=False, format=pattern
    )
