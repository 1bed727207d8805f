"""Subscribing oneself, and one's preferences, without a password.

``/subscribe`` asks for an address (with the filters of the search it came from, "get these
by email"); the answer is the same whoever asks. The email's link opens ``/confirm`` (a new
subscription) or ``/sign-in`` (a known one): a page with one button, because a GET never
changes anything (mail scanners open links). Then ``/preferences``: tags, programmes, places,
keywords, minimum days left, weekly or daily, English or Swedish, email or one's own Slack
webhook, and unsubscribing. A digest's
own link to the preferences page signs its reader in too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from monitor.app import search, subscribers, subscriptions
from monitor.errors import ConfigError
from monitor.web import csrf, session
from monitor.web.app import app_of, language_of, link_gone, message, render

router = APIRouter()
FROM_SEARCH = {"tag": "tags", "programme": "programmes", "region": "places"}
MAX_VALUES = 50


def _values(text: str) -> list[str]:
    """A form's list: one value a line (or comma-separated), each trimmed, at most 50."""
    found = [part.strip()[:200] for line in text.splitlines() for part in line.split(",")]
    return list(dict.fromkeys(v for v in found if v))[:MAX_VALUES]


def _choices(request: Request, lang: str) -> dict[str, list[search.Facet]]:
    found = search.search(app_of(request), search.checked_query(per_page=1), lang=lang)
    return {name: found.facets.get(name, []) for name in ("tag", "region")}


@router.get("/subscribe", include_in_schema=False)
async def ask_page(request: Request) -> Response:
    lang = language_of(request)
    wanted = {FROM_SEARCH[k]: request.query_params.getlist(k)[:MAX_VALUES] for k in FROM_SEARCH}
    keywords = request.query_params.get("q", "").strip()[:200]
    choices = await run_in_threadpool(_choices, request, lang)
    labels = {f.value: f.label for f in choices["tag"]}
    return render(request, "subscribe.html", {
        "wanted": wanted, "keywords": keywords, "labels": labels, "problem": "",
        "address": "",
    })  # fmt: skip


@router.post("/subscribe", include_in_schema=False, dependencies=[Depends(csrf.check)])
async def ask(
    request: Request,
    address: str = Form(""),
    language: str = Form("en"),
    tags: list[str] = Form([]),  # noqa: B008
    programmes: list[str] = Form([]),  # noqa: B008
    places: list[str] = Form([]),  # noqa: B008
    keywords: str = Form(""),
) -> Response:
    wanted = {"tags": tags[:MAX_VALUES], "programmes": programmes[:MAX_VALUES],
              "places": places[:MAX_VALUES], "keywords": _values(keywords)}  # fmt: skip
    base = str(request.base_url)
    try:
        await run_in_threadpool(subscriptions.ask, app_of(request), address, base_url=base,
                                language=language if language in ("en", "sv") else "en",
                                wanted={k: v for k, v in wanted.items() if v})  # fmt: skip
    except ConfigError as exc:
        lang = language_of(request)
        labels = {
            f.value: f.label for f in (await run_in_threadpool(_choices, request, lang))["tag"]
        }
        return render(request, "subscribe.html", {
            "wanted": wanted, "keywords": keywords, "labels": labels, "problem": str(exc),
            "address": address[:320],
        }, status=400)  # fmt: skip
    return message(request, "sent_heading", "sent_body")


@router.get("/confirm", include_in_schema=False)
@router.get("/sign-in", include_in_schema=False)
async def link_page(request: Request, token: str = "") -> Response:
    kind = "confirm" if request.url.path == "/confirm" else "sign-in"
    good = await run_in_threadpool(subscriptions.valid, app_of(request), kind, token)
    if not good:
        return link_gone(request)
    return render(request, "link.html", {"kind": kind, "token": token[:100]})


@router.post("/confirm", include_in_schema=False, dependencies=[Depends(csrf.check)])
@router.post("/sign-in", include_in_schema=False, dependencies=[Depends(csrf.check)])
async def use_link(request: Request, token: str = Form("")) -> Response:
    use = subscriptions.confirm if request.url.path == "/confirm" else subscriptions.sign_in
    try:
        row = await run_in_threadpool(use, app_of(request), token)
    except ConfigError:
        return link_gone(request)
    welcome = "?welcome=1" if request.url.path == "/confirm" else ""
    response = RedirectResponse(f"/preferences{welcome}", status_code=303)
    session.start(request, response, row.id or 0, row.token_nonce)
    return response


def _signed_in(request: Request) -> Any:
    found = session.who(request)
    return subscriptions.signed_in(app_of(request), *found) if found else None


@router.get("/preferences", include_in_schema=False)
async def preferences(request: Request, token: str = "") -> Response:
    if token:  # a digest's link: sign in, then the page at its plain address
        try:
            row = await run_in_threadpool(subscriptions.from_link, app_of(request), token)
        except ConfigError:
            return link_gone(request)
        response = RedirectResponse("/preferences", status_code=303)
        session.start(request, response, row.id or 0, row.token_nonce)
        return response
    row = await run_in_threadpool(_signed_in, request)
    if row is None:
        return message(request, "sign_in_heading", "sign_in_body", again=True)
    lang = language_of(request)
    choices = await run_in_threadpool(_choices, request, lang)
    asked = request.query_params
    return await _preferences_page(request, row, choices, saved=asked.get("saved") == "1",
                                   welcome=asked.get("welcome") == "1",
                                   new_feed=asked.get("calendar") == "1")  # fmt: skip


async def _preferences_page(request: Request, row: Any, choices: dict[str, Any], *,
                            saved: bool = False, welcome: bool = False,
                            new_feed: bool = False, problem: str = "",
                            problem_field: str = "") -> Response:  # fmt: skip
    app = app_of(request)
    base = (app.settings.public_url or str(request.base_url)).rstrip("/")
    feed = f"{base}/calendar/{row.calendar_key}.ics" if row.calendar_key else ""
    mine = await run_in_threadpool(subscriptions.destinations, app, row)
    channel = await run_in_threadpool(subscriptions.channel, app, row)
    return render(request, "preferences.html", {
        "row": row, "choices": choices, "filters": row.filters, "feed": feed, "saved": saved,
        "welcome": welcome, "problem": problem, "problem_field": problem_field,
        "new_feed": new_feed, "channel": channel, "active": any(r.active for r in mine),
    }, status=400 if problem else 200)  # fmt: skip


@router.post("/preferences", include_in_schema=False, dependencies=[Depends(csrf.check)])
async def save(
    request: Request,
    tags: list[str] = Form([]),  # noqa: B008
    places: list[str] = Form([]),  # noqa: B008
    programmes: str = Form(""),
    keywords: str = Form(""),
    min_days: str = Form(""),
    frequency: str = Form("weekly"),
    language: str = Form("en"),
    via: str = Form("email"),
    webhook: str = Form(""),
) -> Response:
    row = await run_in_threadpool(_signed_in, request)
    if row is None:
        return RedirectResponse("/preferences", status_code=303)
    try:
        days = int(min_days) if min_days.strip() else 0
        if not 0 <= days <= 365:
            raise ConfigError("the minimum days left is 0 to 365")
        if frequency not in ("weekly", "daily") or language not in ("en", "sv"):
            raise ConfigError("choose weekly or daily, and English or Swedish")
        wanted = subscribers.Preferences(
            filters={"tags": tags[:MAX_VALUES], "places": places[:MAX_VALUES],
                     "programmes": _values(programmes), "keywords": _values(keywords)},
            min_days=days, frequency=frequency, language=language,
        )  # fmt: skip
        app = app_of(request)
        await run_in_threadpool(
            lambda: subscriptions.save(app, row.id, wanted, via=via, webhook=webhook[:500])
        )
    except (ConfigError, ValueError) as exc:
        message = str(exc) if isinstance(exc, ConfigError) else "the minimum days left is a number"
        choices = await run_in_threadpool(_choices, request, language_of(request))
        field = "webhook" if "webhook" in message.lower() else ""
        return await _preferences_page(request, row, choices, problem=message,
                                       problem_field=field)  # fmt: skip
    return RedirectResponse("/preferences?saved=1", status_code=303)


@router.post("/preferences/unsubscribe", include_in_schema=False,
             dependencies=[Depends(csrf.check)])  # fmt: skip
async def leave(request: Request) -> Response:
    row = await run_in_threadpool(_signed_in, request)
    if row is None:
        return RedirectResponse("/preferences", status_code=303)
    await run_in_threadpool(subscriptions.leave, app_of(request), row.id)
    response = message(request, "left_heading", "left_body")
    session.end(request, response)
    return response


@router.post("/preferences/calendar", include_in_schema=False,
             dependencies=[Depends(csrf.check)])  # fmt: skip
async def new_calendar(request: Request) -> Response:
    """Make the calendar address (or a new one: the old stops working)."""
    row = await run_in_threadpool(_signed_in, request)
    if row is None:
        return RedirectResponse("/preferences", status_code=303)
    await run_in_threadpool(subscriptions.calendar_key, app_of(request), row.id, renew=True)
    return RedirectResponse("/preferences?calendar=1#h-calendar", status_code=303)


@router.get("/calendar/{key}.ics", include_in_schema=False)
async def calendar_feed(request: Request, key: str) -> Response:
    """The subscriber's deadlines as a calendar feed, for Outlook or Google Calendar."""
    from urllib.parse import urlsplit

    app = app_of(request)
    domain = urlsplit(app.settings.public_url or str(request.base_url)).hostname or "localhost"
    try:
        body = await run_in_threadpool(subscriptions.calendar, app, key, domain=domain)
    except ConfigError:
        return Response("no calendar at this address\n", status_code=404,
                        media_type="text/plain; charset=utf-8")  # fmt: skip
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"cache-control": "private, max-age=900"})  # fmt: skip


@router.get("/digests", include_in_schema=False)
async def my_digests(request: Request) -> Response:
    """Every digest sent to the signed-in subscriber, newest first."""
    from monitor.app import digests

    row = await run_in_threadpool(_signed_in, request)
    if row is None:
        return message(request, "sign_in_heading", "sign_in_body", again=True)
    app = app_of(request)
    sent = await run_in_threadpool(digests.sent, app, row.id)
    return render(request, "digests.html", {"row": row, "sent": sent,
                                            "kept_days": app.settings.web_copy_days})  # fmt: skip


@router.get("/digests/{number:int}", include_in_schema=False)
async def web_copy(request: Request, number: int, token: str = "") -> Response:
    """A digest as it was sent ("view in browser"): by the digest's own link, or signed in."""
    from fastapi.responses import HTMLResponse

    from monitor.app import digests

    app = app_of(request)
    if token:
        try:
            row = await run_in_threadpool(subscriptions.from_link, app, token)
        except ConfigError:
            row = None
    else:
        row = await run_in_threadpool(_signed_in, request)
    copy = (
        await run_in_threadpool(digests.web_copy, app, row.id, number) if row and row.id else None
    )
    if copy is None:
        return message(request, "link_gone_heading", "digest_gone_body", status=404)
    return HTMLResponse(copy, headers={"x-robots-tag": "noindex"})
