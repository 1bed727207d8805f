"""How the pages say things: a call's deadlines with their stage, zone and days left, money,
the tagging evidence in plain words, a change as old → new. Text only (templates escape it);
dates, times and money in the reader's language through ``notifications.wording.Words``, the
digests' own wording."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifications.wording import Words

SUMMARY_CUT = 320  # characters of a summary in a list of results

PAGE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "reason_phrase": "the text says “{value}”",
        "reason_country": "it names {value}",
        "reason_programme": "its programme is {value}",
        "reason_funder": "its funder is {value}",
        "reason_identifier": "its identifier begins {value}",
        "reason_subtag": "it has the narrower tag “{value}”",
        "reason_model": "the model, trained on the admins' labels, gave it {value} (0.50 is "
        "the line)",
        "reason_label": "an admin said so",
        "reason_negative": "the text says “{value}”, which rules it out",
        "reason_evidence": "it names {value}, the evidence this tag needs",
        "reason_evidence_source": "its funder is in {value} (noted for its source), the "
        "evidence this tag needs",
        "origin_rules": "by rules",
        "origin_model": "by the model",
        "origin_both": "by rules and the model",
        "origin_sub-tag": "through a narrower tag",
        "origin_label": "by an admin",
        "stage": "Stage {n}",
        "deadline_past": "passed",
        "days_left_n": "closes in {days} days",
        "days_left_1": "closes tomorrow",
        "days_left_0": "closes today",
        "change_new": "First seen",
        "change_status_changed": "Status",
        "change_title_changed": "Title",
        "change_opening_changed": "Opening",
        "change_details_changed": "Details changed",
        "change_unseen": "No longer listed",
        "search_title": "Find funding calls",
        "search_intro": "Open and upcoming calls for international research and education, "
        "tagged by Karolinska Institutet's priority areas.",
        "search_label": "Search the calls",
        "search_button": "Search",
        "sort_label": "Sort by",
        "sort_relevance": "Relevance",
        "sort_deadline": "Deadline, soonest first",
        "sort_newest": "Newest first",
        "filters": "Filters",
        "facet_tag": "Priority area",
        "facet_status": "Status",
        "facet_programme": "Programme or funder",
        "facet_region": "Region or country",
        "facet_source": "Source",
        "deadline_range": "Deadline",
        "deadline_from": "From",
        "deadline_to": "To",
        "within_label": "Closes within",
        "within_any": "any time",
        "within_days": "{days} days",
        "apply": "Apply filters",
        "clear_all": "Clear all filters",
        "remove_filter": "Remove filter: {what}",
        "chosen_filters": "Chosen filters",
        "results_n": "{count} calls",
        "results_1": "1 call",
        "results_0": "No calls match this search.",
        "results_0_hint": "Remove a filter or try fewer words.",
        "export": "Download or follow",
        "export_csv": "CSV (spreadsheet)",
        "export_json": "JSON",
        "export_atom": "Atom feed",
        "by_email": "Get these by email",
        "pages": "Pages",
        "previous": "Previous",
        "next": "Next",
        "page_n": "Page {n}",
        "status_open": "open",
        "status_closed": "closed",
        "next_deadline": "Next deadline",
        "no_deadline": "no deadline given",
        "deadline_was": "the deadline was {when}",
        "as_of": "Statuses as of {when}.",
        "more_values": "Show all {count}",
        "bad_search": "This search could not be run: {why}",
        "back_to_search": "← Back to the search",
        "open_at_funder": "Open the call at the funder",
        "add_to_calendar": "Add the deadlines to a calendar (.ics)",
        "deadlines_heading": "Deadlines",
        "stage_col": "Stage",
        "when_col": "When",
        "left_col": "Time left",
        "date_only_note": "The source gives dates only; the time shown is the funder's usual "
        "closing time.",
        "facts_heading": "About the call",
        "funder_label": "Funder",
        "programme_label": "Programme",
        "call_label": "Call",
        "opens_label": "Opens",
        "budget_label": "Budget",
        "types_label": "Types of action",
        "keywords_label": "Keywords",
        "first_seen_label": "First seen",
        "last_changed_label": "Last changed",
        "summary_heading": "Summary",
        "tags_heading": "Priority areas, and why",
        "tag_because": "Given {origin}, score {score}.",
        "wrong_tag": "This tag is wrong: {tag}",
        "not_relevant": "Not relevant to me",
        "no_tags": "No priority area has been given to this call.",
        "feedback_thanks": "Thank you: the admins will look at it.",
        "listed_heading": "Where it is listed",
        "dates_from": "dates from {source}",
        "history_heading": "What changed, and when",
        "digests_title": "My digests",
        "digests_period": "Period",
        "digests_sent": "Sent",
        "digests_calls": "Calls",
        "digests_none": "No digest has been sent to you yet.",
        "digests_not_kept": "its web copy is no longer kept",
        "digests_kept_for": "The web copy of a digest is kept for {days} days; the digest itself "
        "is in your inbox.",
        "digest_gone_body": "There is no such digest for this link. Sign in to see your digests.",
        "cal_heading": "Your calendar",
        "cal_intro": "The deadlines of every call in your digests, in your calendar: it "
        "updates itself when a deadline moves.",
        "cal_address": "Your calendar's address (keep it to yourself)",
        "cal_how": "In Outlook: Add calendar → Subscribe from web. In Google Calendar: Other "
        "calendars → From URL. Paste the address.",
        "cal_make": "Make my calendar address",
        "cal_renew": "Make a new address (the old one stops working)",
        "cal_new": "Your calendar has a new address; the old one no longer works.",
        "vote_heading": "Your word on a call",
        "vote_ask_up": "Was this call useful to you? One press records it for the admins, "
        "who tune what the digests bring.",
        "vote_ask_down": "Was this call not for you? One press records it for the admins, "
        "who tune what the digests bring.",
        "vote_button_up": "👍 Yes, useful",
        "vote_button_down": "👎 Not for me",
        "vote_thanks_up": "Thank you: recorded as useful.",
        "vote_thanks_down": "Thank you: recorded as not for you.",
        "nav_subscribe": "Get calls by email",
        "nav_preferences": "My preferences",
        "nav_digests": "My digests",
        "subscribe_title": "Get calls by email",
        "subscribe_intro": "A digest of new and changed calls, weekly or daily, with "
        "reminders before deadlines. No password: we email you a link.",
        "problem_heading": "There is a problem",
        "address_label": "Your email address",
        "address_hint": "We send a link to confirm it is yours.",
        "language_label": "Language",
        "subscribe_what": "What you will get",
        "keywords_are": "calls that mention: {words}",
        "subscribe_change_later": "You can change this on your preferences page.",
        "subscribe_privacy": "We keep your address and what you choose, only to send you "
        "digests. Every digest has a link to stop them.",
        "subscribe_button": "Email me a link",
        "sent_heading": "Check your inbox",
        "sent_body": "If the address can receive our email, a link is on its way. It works "
        "once, for a limited time. If nothing arrives in a few minutes, look in your spam "
        "folder or ask again later.",
        "link_gone_heading": "This link does not work any more",
        "link_gone_body": "It was used already, or it expired. Ask for a new one.",
        "ask_link": "Email me a new link",
        "confirm_heading": "Confirm your subscription",
        "confirm_body": "Press the button to start receiving digests at this address.",
        "confirm_button": "Confirm my subscription",
        "sign-in_heading": "Open your preferences",
        "sign-in_body": "Press the button to change what you receive.",
        "sign-in_button": "Open my preferences",
        "sign_in_heading": "Your preferences",
        "sign_in_body": "To change what you receive, ask for a link: we email it to you.",
        "prefs_title": "Your preferences",
        "prefs_for": "Digests for {address}.",
        "prefs_welcome": "You are subscribed. Your first digest comes with the next weekly run.",
        "prefs_saved": "Saved.",
        "prefs_where": "Where to send them",
        "prefs_by_email": "By email, to {address}",
        "prefs_by_slack": "In Slack, through an incoming webhook",
        "prefs_webhook": "Slack incoming-webhook address",
        "prefs_webhook_hint": "In Slack: add the Incoming Webhooks app, choose a channel and copy "
        "the address it gives (https://hooks.slack.com/services/…). We post one message there "
        "to check it before saving.",
        "prefs_webhook_set": "Now posting to {webhook}. Leave the field empty to keep it, or "
        "paste a new address.",
        "prefs_tags_hint": "None chosen: calls of every area.",
        "prefs_programmes": "Programmes or funders",
        "prefs_list_hint": "One a line. Empty: any.",
        "prefs_min_days": "Leave out calls closing within (days)",
        "prefs_min_days_hint": "0 or empty: keep them all.",
        "prefs_how_often": "How often",
        "freq_weekly": "Weekly",
        "freq_daily": "Daily",
        "prefs_save": "Save my preferences",
        "prefs_paused": "Your digests are stopped; saving starts them again.",
        "left_heading_q": "Stop the digests",
        "unsubscribe_button": "Unsubscribe",
        "left_heading": "You are unsubscribed",
        "left_body": "No more digests will be sent to this address. Your links stop working; "
        "you can subscribe again at any time.",
    },
    "sv": {
        "reason_phrase": "texten säger ”{value}”",
        "reason_country": "den nämner {value}",
        "reason_programme": "dess program är {value}",
        "reason_funder": "dess finansiär är {value}",
        "reason_identifier": "dess beteckning börjar {value}",
        "reason_subtag": "den har den smalare taggen ”{value}”",
        "reason_model": "modellen, tränad på administratörernas etiketter, gav {value} "
        "(gränsen är 0,50)",
        "reason_label": "en administratör har angett det",
        "reason_negative": "texten säger ”{value}”, vilket utesluter den",
        "reason_evidence": "den nämner {value}, det belägg som taggen kräver",
        "reason_evidence_source": "dess finansiär finns i {value} (angivet för källan), det "
        "belägg som taggen kräver",
        "origin_rules": "genom regler",
        "origin_model": "genom modellen",
        "origin_both": "genom regler och modellen",
        "origin_sub-tag": "genom en smalare tagg",
        "origin_label": "av en administratör",
        "stage": "Steg {n}",
        "deadline_past": "har passerat",
        "days_left_n": "stänger om {days} dagar",
        "days_left_1": "stänger i morgon",
        "days_left_0": "stänger i dag",
        "change_new": "Först sedd",
        "change_status_changed": "Status",
        "change_title_changed": "Titel",
        "change_opening_changed": "Öppnar",
        "change_details_changed": "Uppgifter ändrade",
        "change_unseen": "Inte längre listad",
        "search_title": "Hitta utlysningar",
        "search_intro": "Öppna och kommande utlysningar för internationell forskning och "
        "utbildning, taggade efter Karolinska Institutets prioriterade områden.",
        "search_label": "Sök bland utlysningarna",
        "search_button": "Sök",
        "sort_label": "Sortera efter",
        "sort_relevance": "Relevans",
        "sort_deadline": "Sista dag, närmast först",
        "sort_newest": "Nyast först",
        "filters": "Filter",
        "facet_tag": "Prioriterat område",
        "facet_status": "Status",
        "facet_programme": "Program eller finansiär",
        "facet_region": "Region eller land",
        "facet_source": "Källa",
        "deadline_range": "Sista ansökningsdag",
        "deadline_from": "Från",
        "deadline_to": "Till",
        "within_label": "Stänger inom",
        "within_any": "när som helst",
        "within_days": "{days} dagar",
        "apply": "Använd filtren",
        "clear_all": "Rensa alla filter",
        "remove_filter": "Ta bort filter: {what}",
        "chosen_filters": "Valda filter",
        "results_n": "{count} utlysningar",
        "results_1": "1 utlysning",
        "results_0": "Inga utlysningar matchar sökningen.",
        "results_0_hint": "Ta bort ett filter eller sök på färre ord.",
        "export": "Ladda ner eller följ",
        "export_csv": "CSV (kalkylblad)",
        "export_json": "JSON",
        "export_atom": "Atom-flöde",
        "by_email": "Få dessa via e-post",
        "pages": "Sidor",
        "previous": "Föregående",
        "next": "Nästa",
        "page_n": "Sida {n}",
        "status_open": "öppen",
        "status_closed": "stängd",
        "next_deadline": "Nästa sista dag",
        "no_deadline": "ingen sista dag angiven",
        "deadline_was": "sista dagen var {when}",
        "as_of": "Status per {when}.",
        "more_values": "Visa alla {count}",
        "bad_search": "Sökningen kunde inte göras: {why}",
        "back_to_search": "← Tillbaka till sökningen",
        "open_at_funder": "Öppna utlysningen hos finansiären",
        "add_to_calendar": "Lägg till sista dagarna i en kalender (.ics)",
        "deadlines_heading": "Sista ansökningsdagar",
        "stage_col": "Steg",
        "when_col": "När",
        "left_col": "Tid kvar",
        "date_only_note": "Källan anger bara datum; tiden som visas är finansiärens vanliga "
        "stängningstid.",
        "facts_heading": "Om utlysningen",
        "funder_label": "Finansiär",
        "programme_label": "Program",
        "call_label": "Utlysning",
        "opens_label": "Öppnar",
        "budget_label": "Budget",
        "types_label": "Typer av insatser",
        "keywords_label": "Nyckelord",
        "first_seen_label": "Först sedd",
        "last_changed_label": "Senast ändrad",
        "summary_heading": "Sammanfattning",
        "tags_heading": "Prioriterade områden, och varför",
        "tag_because": "Given {origin}, poäng {score}.",
        "wrong_tag": "Den här taggen är fel: {tag}",
        "not_relevant": "Inte relevant för mig",
        "no_tags": "Utlysningen har inte fått något prioriterat område.",
        "feedback_thanks": "Tack! Administratörerna tittar på det.",
        "listed_heading": "Var den listas",
        "dates_from": "datum från {source}",
        "history_heading": "Vad som ändrats, och när",
        "digests_title": "Mina sammanställningar",
        "digests_period": "Period",
        "digests_sent": "Skickad",
        "digests_calls": "Utlysningar",
        "digests_none": "Ingen sammanställning har skickats till dig ännu.",
        "digests_not_kept": "webbkopian sparas inte längre",
        "digests_kept_for": "Webbkopian av en sammanställning sparas i {days} dagar; själva "
        "sammanställningen finns i din inkorg.",
        "digest_gone_body": "Det finns ingen sådan sammanställning för den här länken. Logga "
        "in för att se dina sammanställningar.",
        "cal_heading": "Din kalender",
        "cal_intro": "Sista ansökningsdagarna för alla utlysningar i dina sammanställningar, i "
        "din kalender: den uppdateras själv när en sista dag flyttas.",
        "cal_address": "Kalenderns adress (dela den inte)",
        "cal_how": "I Outlook: Lägg till kalender → Prenumerera från webben. I Google Kalender: "
        "Andra kalendrar → Från webbadress. Klistra in adressen.",
        "cal_make": "Skapa min kalenderadress",
        "cal_renew": "Skapa en ny adress (den gamla slutar fungera)",
        "cal_new": "Kalendern har en ny adress; den gamla fungerar inte längre.",
        "vote_heading": "Ditt omdöme om en utlysning",
        "vote_ask_up": "Var utlysningen användbar för dig? Ett tryck sparar det åt "
        "administratörerna, som finjusterar vad sammanställningarna tar med.",
        "vote_ask_down": "Var utlysningen inte något för dig? Ett tryck sparar det åt "
        "administratörerna, som finjusterar vad sammanställningarna tar med.",
        "vote_button_up": "👍 Ja, användbar",
        "vote_button_down": "👎 Inte för mig",
        "vote_thanks_up": "Tack! Sparat som användbar.",
        "vote_thanks_down": "Tack! Sparat som inte för dig.",
        "nav_subscribe": "Få utlysningar via e-post",
        "nav_preferences": "Mina inställningar",
        "nav_digests": "Mina sammanställningar",
        "subscribe_title": "Få utlysningar via e-post",
        "subscribe_intro": "En sammanställning av nya och ändrade utlysningar, varje vecka "
        "eller dag, med påminnelser före sista dagen. Inget lösenord: vi mejlar en länk.",
        "problem_heading": "Något behöver rättas",
        "address_label": "Din e-postadress",
        "address_hint": "Vi skickar en länk för att bekräfta att den är din.",
        "language_label": "Språk",
        "subscribe_what": "Det här får du",
        "keywords_are": "utlysningar som nämner: {words}",
        "subscribe_change_later": "Du kan ändra det på sidan för dina inställningar.",
        "subscribe_privacy": "Vi sparar din adress och dina val, bara för att skicka "
        "sammanställningar. Varje utskick har en länk för att avsluta.",
        "subscribe_button": "Mejla mig en länk",
        "sent_heading": "Titta i din inkorg",
        "sent_body": "Om adressen kan ta emot vår e-post är en länk på väg. Den fungerar en "
        "gång, under en begränsad tid. Kommer inget inom några minuter, titta i skräpposten "
        "eller fråga igen senare.",
        "link_gone_heading": "Länken fungerar inte längre",
        "link_gone_body": "Den har redan använts eller gått ut. Be om en ny.",
        "ask_link": "Mejla mig en ny länk",
        "confirm_heading": "Bekräfta din prenumeration",
        "confirm_body": "Tryck på knappen för att börja få sammanställningar till adressen.",
        "confirm_button": "Bekräfta min prenumeration",
        "sign-in_heading": "Öppna dina inställningar",
        "sign-in_body": "Tryck på knappen för att ändra vad du får.",
        "sign-in_button": "Öppna mina inställningar",
        "sign_in_heading": "Dina inställningar",
        "sign_in_body": "Be om en länk för att ändra vad du får: vi mejlar den till dig.",
        "prefs_title": "Dina inställningar",
        "prefs_for": "Sammanställningar till {address}.",
        "prefs_welcome": "Du prenumererar nu. Den första sammanställningen kommer med nästa "
        "veckokörning.",
        "prefs_saved": "Sparat.",
        "prefs_where": "Vart de ska skickas",
        "prefs_by_email": "Med e-post, till {address}",
        "prefs_by_slack": "I Slack, via en inkommande webhook",
        "prefs_webhook": "Adress till Slacks inkommande webhook",
        "prefs_webhook_hint": "I Slack: lägg till appen Incoming Webhooks, välj en kanal och "
        "kopiera adressen den ger (https://hooks.slack.com/services/…). Vi skickar ett "
        "meddelande dit för att kontrollera den innan vi sparar.",
        "prefs_webhook_set": "Skickas nu till {webhook}. Lämna fältet tomt för att behålla den, "
        "eller klistra in en ny adress.",
        "prefs_tags_hint": "Inget valt: utlysningar inom alla områden.",
        "prefs_programmes": "Program eller finansiärer",
        "prefs_list_hint": "En per rad. Tomt: alla.",
        "prefs_min_days": "Utelämna utlysningar som stänger inom (dagar)",
        "prefs_min_days_hint": "0 eller tomt: behåll alla.",
        "prefs_how_often": "Hur ofta",
        "freq_weekly": "Varje vecka",
        "freq_daily": "Varje dag",
        "prefs_save": "Spara mina inställningar",
        "prefs_paused": "Dina utskick är stoppade; när du sparar startar de igen.",
        "left_heading_q": "Avsluta utskicken",
        "unsubscribe_button": "Avsluta prenumerationen",
        "left_heading": "Prenumerationen är avslutad",
        "left_body": "Inga fler sammanställningar skickas till adressen. Dina länkar slutar "
        "fungera; du kan prenumerera igen när du vill.",
    },
}
_QUOTED = re.compile(
    r"^(phrase|country|programme|funder|identifier|negative phrase|evidence) "
    r'"(.*)"( \(the funder\'s country, from its source\))?$'
)
_REASON_KEYS = {"negative phrase": "negative", "evidence": "evidence"}


@dataclass(frozen=True)
class Shown:
    """One deadline as a page shows it."""

    when: str  # with its zone, e.g. "Tue 24 Mar 2026, 17:00 CET"
    iso: str
    stage: str  # "Stage 1", or ""
    left: str  # "closes in 6 days", "passed"
    soon: bool  # within 14 days


class Present:
    """The formatting of one language and zone."""

    def __init__(self, language: str, zone: str, now: datetime) -> None:
        self.words = Words(language, zone)
        self.texts = PAGE_TEXTS[language]
        self.now = now

    def left(self, at: datetime | None) -> str:
        if at is None:
            return ""
        days = (at.astimezone(self.words.zone).date() - self.now.astimezone(
            self.words.zone).date()).days  # fmt: skip
        if at < self.now:
            return self.texts["deadline_past"]
        if days <= 1:
            return self.texts[f"days_left_{max(days, 0)}"]
        return self.texts["days_left_n"].format(days=days)

    def deadlines(self, call: Any) -> list[Shown]:
        """Every deadline of a call (a CallView), each with its stage when the call has two."""
        two_stage = call.deadline_model is not None and len(call.deadlines) > 1
        shown = []
        for n, deadline in enumerate(call.deadlines, start=1):
            at = datetime.fromisoformat(deadline["at"])
            stage = self.texts["stage"].format(n=n) if two_stage else ""
            soon = self.now <= at and (at - self.now).days < 14
            shown.append(Shown(self.words.when(at), at.isoformat(), stage, self.left(at), soon))
        return shown

    def last_deadline(self, call: Any) -> str:
        """The day of a call's last deadline when it has passed; "" otherwise (a two-stage
        call closed after its first stage keeps a later date that nobody can meet)."""
        last = datetime.fromisoformat(call.deadlines[-1]["at"]) if call.deadlines else None
        return self.words.day(last) if last and last < self.now else ""

    def status(self, status: str) -> str:
        """A call's status in the language ("open", "kommande"…)."""
        return self.texts.get(f"status_{status}") or self.words(f"status_{status}")

    def money(self, amount: float | None, currency: str | None) -> str:
        return self.words.money(amount, currency)

    def when(self, at: datetime | None) -> str:
        return self.words.when(at) if at else self.words("unknown")

    def reason(self, reason: str, labels: dict[str, dict[str, str]]) -> str:
        """A stored tagging reason in plain words."""
        quoted = _QUOTED.match(reason)
        if quoted:
            kind = _REASON_KEYS.get(quoted.group(1), quoted.group(1))
            key = f"reason_{kind}_source" if quoted.group(3) else f"reason_{kind}"
            return self.texts[key].format(value=quoted.group(2))
        if reason.startswith("sub-tag "):
            tag = reason.removeprefix("sub-tag ")
            label = labels.get(tag, {}).get(self.words.language) or tag
            return self.texts["reason_subtag"].format(value=label)
        if reason.startswith("model "):
            return self.texts["reason_model"].format(value=reason.removeprefix("model "))
        if reason == "labelled by an admin":
            return self.texts["reason_label"]
        return reason

    def origin(self, origin: str) -> str:
        return self.texts.get(f"origin_{origin}", origin)

    def change(self, kind: str, old: Any, new: Any) -> str:
        """One typed change as old → new."""
        texts = self.words
        if kind == "deadline_changed":
            return texts("deadline_changed", old=self._moments(old), new=self._moments(new))
        if kind == "budget_changed":
            return texts("budget_changed", old=self._money(old), new=self._money(new))
        if kind in ("closed_early", "reopened"):
            return texts(kind)
        name = self.texts.get(f"change_{kind}", kind.replace("_", " "))
        if kind == "details_changed" and isinstance(new, list):
            return f"{name}: {', '.join(map(str, new))}"
        if kind == "opening_changed":
            return f"{name}: {self._moments(old)} → {self._moments(new)}"
        if old is None and new is None:
            return name
        return f"{name}: {_plain(old)} → {_plain(new)}"

    def _moments(self, value: Any) -> str:
        if value is None:
            return self.words("unknown")
        values = value if isinstance(value, list) else [value]
        found = []
        for v in values:
            try:
                found.append(self.words.when(datetime.fromisoformat(str(v))))
            except ValueError:
                found.append(_plain(v))
        return "; ".join(found) or self.words("unknown")

    def _money(self, value: Any) -> str:
        if isinstance(value, dict) and isinstance(value.get("amount"), int | float):
            return self.words.money(float(value["amount"]), value.get("currency"))
        return self.words("unknown")


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)[:300]


def cut(text: str, size: int = SUMMARY_CUT) -> str:
    """A summary cut at a word, with … when cut."""
    if len(text) <= size:
        return text
    return text[:size].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
