"""The pages' language: English or Swedish, from the ``?lang=`` switch (kept in a cookie),
then the browser's Accept-Language, then English. Texts come from one place per language:
the pages' own (``monitor.web.present.PAGE_TEXTS`` and ``FRAME`` here, the staff pages'
``monitor.web.texts``), then the digests'
(``notifications.wording.TEXTS``), so a word is the same on a page and in an email."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import Request, Response

from monitor.web.present import PAGE_TEXTS
from monitor.web.security import is_https
from monitor.web.texts.operator import swedish
from monitor.web.texts.staff import TEXTS as STAFF_TEXTS
from notifications.wording import TEXTS

LANGUAGES = ("en", "sv")
COOKIE = "lang"
YEAR = 365 * 24 * 3600
FRAME: dict[str, dict[str, str]] = {  # what every page's frame says
    "en": {
        "site": "funding-monitor",
        "tagline": "Research funding calls for Karolinska Institutet's international work",
        "skip": "Skip to the content",
        "switch": "På svenska",
        "switch_lang": "sv",
        "nav_search": "Search calls",
        "nav_api": "API",
        "not_found": "There is no such page. It may have moved, or the link is incomplete.",
        "error_heading": "Something is wrong",
        "forbidden_form": "This form had expired or did not come from this site, so nothing was "
        "changed. Go back, reload the page and try again.",
        "footer": "funding-monitor is open source. Calls are gathered from the EU Funding & "
        "Tenders Portal, Grants.gov and funders' own pages; check every detail at the funder.",
        "bad_request": "This request could not be understood, so nothing was changed. Go back, "
        "reload the page and try again.",
        "not_allowed": "This address does not take that kind of request. Open the page by its "
        "link instead.",
        "too_large": "What was sent is too large for this form, so nothing was changed. Go back "
        "and try again.",
        "too_slow": "What was sent took too long to arrive, so nothing was changed. Check your "
        "connection and try again.",
        "failed": "Something went wrong on our side, and nothing was changed. Please try again "
        "later.",
        "busy": "The service is busy and could not record this just now. Please try again in a "
        "minute; the link stays valid.",
        "unsubscribe_title": "Unsubscribe from the digests",
        "unsubscribe_ask": "Stop receiving funding-monitor digests at this address? Opening this "
        "page changed nothing: press the button to unsubscribe.",
        "unsubscribe_done": "You are unsubscribed. No more digests will be sent to this address.",
        "unsubscribe_already": "This address was already unsubscribed: no digests go to it.",
        "unsubscribe_invalid": "This unsubscribe link is not valid: it is cut short or altered, "
        "or a newer link has replaced it. Open the unsubscribe link of your latest digest, "
        "copied whole.",
        "unsubscribe_no_token": "This page needs the unsubscribe link of a digest, which ends in "
        "?token=… Open the link at the foot of your latest digest.",
    },
    "sv": {
        "site": "funding-monitor",
        "tagline": "Utlysningar av forskningsmedel för Karolinska Institutets internationella "
        "arbete",
        "skip": "Hoppa till innehållet",
        "switch": "In English",
        "switch_lang": "en",
        "nav_search": "Sök utlysningar",
        "nav_api": "API",
        "not_found": "Sidan finns inte. Den kan ha flyttats, eller så är länken ofullständig.",
        "error_heading": "Något är fel",
        "forbidden_form": "Formuläret hade gått ut eller kom inte från den här webbplatsen, så "
        "inget ändrades. Gå tillbaka, ladda om sidan och försök igen.",
        "footer": "funding-monitor är öppen källkod. Utlysningarna hämtas från EU:s Funding & "
        "Tenders-portal, Grants.gov och finansiärernas egna sidor; kontrollera alla uppgifter "
        "hos finansiären.",
        "bad_request": "Begäran gick inte att förstå, så inget ändrades. Gå tillbaka, ladda om "
        "sidan och försök igen.",
        "not_allowed": "Den här adressen tar inte emot den sortens begäran. Öppna sidan via dess "
        "länk i stället.",
        "too_large": "Det som skickades är för stort för formuläret, så inget ändrades. Gå "
        "tillbaka och försök igen.",
        "too_slow": "Det som skickades tog för lång tid att komma fram, så inget ändrades. "
        "Kontrollera anslutningen och försök igen.",
        "failed": "Något gick fel hos oss, och inget ändrades. Försök igen senare.",
        "busy": "Tjänsten är upptagen och kunde inte registrera detta just nu. Försök igen om en "
        "minut; länken gäller fortfarande.",
        "unsubscribe_title": "Avsluta prenumerationen på sammanställningarna",
        "unsubscribe_ask": "Sluta ta emot sammanställningar från funding-monitor till den här "
        "adressen? Att öppna sidan ändrade ingenting: tryck på knappen för att avsluta.",
        "unsubscribe_done": "Prenumerationen är avslutad. Inga fler sammanställningar skickas "
        "till den här adressen.",
        "unsubscribe_already": "Prenumerationen var redan avslutad: inga sammanställningar skickas "
        "till den här adressen.",
        "unsubscribe_invalid": "Avregistreringslänken är inte giltig: den är avkortad eller "
        "ändrad, eller så har en nyare länk ersatt den. Öppna avregistreringslänken i din "
        "senaste sammanställning, kopierad i sin helhet.",
        "unsubscribe_no_token": "Sidan behöver avregistreringslänken från en sammanställning, "
        "som slutar med ?token=… Öppna länken längst ned i din senaste sammanställning.",
    },
}


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGUAGES:
        return kept
    return from_header(request.headers.get("accept-language", ""))


def from_header(header: str) -> str:
    """The best of our languages by an Accept-Language header (q-values honoured)."""
    best, best_q = "en", 0.0
    for part in header[:500].split(","):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("sv", "en") and q > best_q:
            best, best_q = primary, q
    return best


def texts(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``."""
    chain = (FRAME[lang], PAGE_TEXTS[lang], STAFF_TEXTS[lang], TEXTS[lang])

    def t(key: str, **values: object) -> str:
        for found in chain:
            if key in found:
                return found[key].format(**values) if values else found[key]
        raise KeyError(f"no text {key!r} in {lang}")

    return t


def operator(lang: str) -> Callable[[str | None], str]:
    """``op(text)``: an operator text (a kind's or setting's description, a hint, a health
    reason: ``monitor.web.texts.operator``) in ``lang``; any other text as it is."""
    if lang == "sv":
        return lambda text: swedish(text) if text else ""
    return lambda text: text or ""


def switch_href(request: Request, lang: str) -> str:
    """This page's address in the other language."""
    other = "sv" if lang == "en" else "en"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*kept, ('lang', other)])}"


def remember(request: Request, response: Response, lang: str) -> None:
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=YEAR, httponly=True, samesite="lax",
                            secure=is_https(request))  # fmt: skip
    response.headers["content-language"] = lang
    response.headers["vary"] = "Accept-Language, Cookie"
