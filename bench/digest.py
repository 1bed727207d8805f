"""Digest benchmark: 10,000 subscribers over 12,000 calls.

Builds a store (SQLite in a temporary directory, or --database-url) holding 12,000 calls made
from the corpus texts (train and extra-train, never the held-out file) across four sources,
tagged by the rules: most first seen a month ago, 600 new this week, 300 with a moved deadline
or a new budget this week, deadlines spread over the next 200 days. Then 10,000 subscribers
(85 % email, 15 % Slack; half in Swedish; 10 % follow one sub-tag, 40 % a sub-tag within a
programme, 35 % two sub-tags with keywords, 14 % an area with a keyword, 1 % everything; a
third want 14 days' notice).

Measures, in one process:
  1. select: planning every due digest and writing it to the ledger (``plan_digests``);
  2. render: rebuilding every planned digest from the ledger and rendering it (email: text,
     HTML, .ics and the MIME bytes; Slack: Block Kit JSON);
     target: select + render <= 20 s;
  3. baseline, same process: selection without the tag index (every subscriber tested
     against every call of the pool), on the first 1,000 subscribers, against the indexed
     selection on the same 1,000;
  4. the module caches (issue #13), same process, each emptied before its measurement: the
     render of the first 1,000 digests with each kept cache (mail blocks, .ics events, Slack
     texts) against the plain function, and with the removed date and money formatting caches
     put back; choosing for 1,000 subscribers with the reminder-key cache against without;
  5. send: ``send_pending`` of everything planned, to an aiosmtpd server and a Slack Web API
     stand-in in a separate process on loopback (ledger marked per message);
     target: >= 200 messages/s.
Prints time, rows, bytes, messages per second and peak RSS.

    python bench/digest.py [--subscribers 10000] [--calls 12000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from classify import corpus_rows  # noqa: E402  (bench/classify.py: the corpus, held-out excluded)
from sqlalchemy import insert, update  # noqa: E402
from sqlmodel import select  # noqa: E402

from classifiers.tagger import Tagger  # noqa: E402
from classifiers.taxonomy import load_taxonomy  # noqa: E402
from monitor.config import load_settings  # noqa: E402
from monitor.digests.planning import Taxonomy, criteria_of, load_pool, plan_digests  # noqa: E402
from monitor.digests.sending import Outbox, _contents, send_pending  # noqa: E402
from monitor.store import ledger  # noqa: E402
from monitor.store import sources as source_store  # noqa: E402
from monitor.store import tags as tag_store  # noqa: E402
from monitor.store.calls import upsert_calls  # noqa: E402
from monitor.store.db import open_store  # noqa: E402
from monitor.store.subscribers import list_subscribers, new_nonce  # noqa: E402
from monitor.store.tables import Call, Delivery, Subscriber  # noqa: E402
from monitor.tagging.classify import given_tags  # noqa: E402
from notifications import ics, mail, selection, slack, wording  # noqa: E402
from notifications.digest import Digest  # noqa: E402
from notifications.selection import choose  # noqa: E402
from sources.records import CallRecord, Deadline  # noqa: E402

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday, after 08:00 Stockholm
SOURCES = (("eu-portal", ["Europe", "Global"]), ("grants-gov", ["North America"]),
           ("edctp3", ["Africa", "LMIC"]), ("ukri", ["Europe"]))  # fmt: skip


def record(row: dict[str, Any], n: int) -> CallRecord:
    day = NOW + timedelta(days=1 + (n * 37) % 200, hours=(n % 3) * 2)
    deadlines = (Deadline(day, day.isoformat()),)
    if n % 7 == 0:
        second = day + timedelta(days=120)
        deadlines += (Deadline(second, second.isoformat()),)
    return CallRecord(
        external_id=f"{row['id']}#{n}",
        identifier=f"{row['id']}#{n}",
        title=str(row["title"]),
        url=f"https://funder.example.org/calls/{n}",
        funder=str(row.get("funder") or ""),
        programme=str(row.get("programme") or ""),
        status="open",
        description=str(row.get("summary") or ""),
        deadlines=deadlines,
        budget=float(100_000 + (n * 7919) % 9_900_000),
        currency="EUR" if n % 3 else "USD",
    )


def build_store(url: str, calls: int, subscribers: int) -> dict[str, float]:
    """The steady state of a weekly service: old calls, last week's new calls (half of them
    changed since), this week's new calls, and subscribers who got last week's digest."""
    store = open_store(url)
    rows = corpus_rows()
    records = [record(rows[n % len(rows)], n) for n in range(calls)]
    step = max(1, calls // 600)
    last_week = set(range(1, calls, step))  # 600 first seen 10 days ago, announced last week
    this_week = set(range(2, calls, step))  # 600 first seen 2 days ago: the new ones
    changed = set(sorted(last_week)[::2])  # 300 of last week's, changed 2 days ago
    started = time.perf_counter()
    for index, (name, regions) in enumerate(SOURCES):
        source = source_store.add_source(store, name, "feed", f"https://{name}.example.org", {},
                                         info={"regions": regions})  # fmt: skip
        assert source.id is not None
        mine = [n for n in range(index, calls, len(SOURCES))]
        old = [n for n in mine if n not in last_week | this_week]
        upsert_calls(store, source.id, [records[n] for n in old], NOW - timedelta(days=60))
        earlier = [n for n in mine if n not in this_week]
        upsert_calls(store, source.id, [records[n] for n in earlier], NOW - timedelta(days=10))
        latest = [_changed(records[n]) if n in changed else records[n] for n in mine]
        upsert_calls(store, source.id, latest, NOW - timedelta(days=2))
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    tag_all(store)
    tagged = time.perf_counter() - started
    started = time.perf_counter()
    add_subscribers(store, subscribers)
    added = time.perf_counter() - started
    started = time.perf_counter()
    settings = load_settings(database_url=url)
    plan_digests(store, settings, NOW - timedelta(days=7))  # last week's run…
    with store.session() as session:  # …which was sent
        session.execute(update(Delivery).values(status="sent", sent_at=NOW - timedelta(days=7)))
        session.commit()
    return {"load": loaded, "tag": tagged, "subscribers": added,
            "last week": time.perf_counter() - started}  # fmt: skip


def _changed(r: CallRecord) -> CallRecord:
    moved = tuple(replace(d, at=d.at + timedelta(days=14)) for d in r.deadlines)
    return replace(r, deadlines=moved, budget=(r.budget or 0) * 1.5)


def tag_all(store: Any) -> None:
    taxonomy = load_taxonomy()
    tagger = Tagger(taxonomy)
    with store.session() as session:
        calls = list(session.exec(_select_calls()))
    results = tagger.tag_mappings([{"title": c.title, "summary": c.summary, "funder": c.funder,
                                    "programme": c.programme, "identifier": c.identifier}
                                   for c in calls])  # fmt: skip
    given = {c.id: given_tags(r, {}, taxonomy) for c, r in zip(calls, results, strict=True)}
    tag_store.replace_call_tags(store, given, "rules-bench", NOW)


def _select_calls() -> Any:
    return select(Call)


def add_subscribers(store: Any, count: int) -> None:
    rng = random.Random(5)
    rows = tag_store.tag_rows(store)
    leaves = [r.id for r in rows if r.parent is not None] + ["responsible", "visibility", "at-home"]
    programmes = ["horizon", "erasmus", "national institutes of health", "edctp3", "ukri"]
    keywords = ["malaria", "vaccine", "climate", "mobility", "artificial intelligence", "africa"]
    subscribers = []
    areas = [r.id for r in rows if r.parent is None]
    for n in range(count):
        # A researcher follows a sub-tag or two, often narrowed by programme or keywords; a
        # few follow a whole area; one in a hundred (an office) follows everything.
        filters: dict[str, Any] = {}
        kind = n % 100
        if kind < 10:
            filters["tags"] = [rng.choice(leaves)]
        elif kind < 50:
            filters.update(tags=[rng.choice(leaves)], programmes=[rng.choice(programmes)])
        elif kind < 85:
            filters.update(tags=rng.sample(leaves, 2), keywords=rng.sample(keywords, 2))
        elif kind < 99:
            filters.update(tags=[rng.choice(areas)], keywords=[rng.choice(keywords)])
        if n % 3 == 0:
            filters["min_days_left"] = 14
        slack_channel = n % 20 in (0, 7, 13)
        subscribers.append(Subscriber(
            kind="slack-channel" if slack_channel else "email",
            address=f"C{n:08d}" if slack_channel else f"researcher{n}@ki.example.org",
            language="sv" if n % 2 else "en", filters=filters, reminder_days=[28, 7],
            token_nonce=new_nonce(), created_at=NOW - timedelta(days=70),
        ))  # fmt: skip
    with store.session() as session:
        session.add_all(subscribers)
        session.commit()
        # Each got a digest two weeks ago: last week's run looks back from there.
        ids = list(session.exec(select(Subscriber.id)))
        session.execute(insert(Delivery), [
            {"subscriber_id": i, "kind": "digest", "period": "2026-W46", "status": "sent",
             "planned_at": NOW - timedelta(days=14), "items": 0, "payload": {}, "attempts": 0,
             "parts_sent": 1} for i in ids])  # fmt: skip
        session.commit()


def render_all(store: Any, settings: Any, limit: int | None = None) -> tuple[int, int, int]:
    """(digests, Slack messages, items) of everything pending (or its first ``limit``), rebuilt
    from the ledger and rendered: emails into their MIME parts (text, HTML, .ics), Slack into
    Block Kit. Turning the MIME tree into bytes is the SMTP client's work, measured with the
    sending."""
    todo = ledger.pending(store)[:limit]
    subscribers = {s.id: s for s in list_subscribers(store)}
    contents = _contents(store, settings, todo, subscribers)
    slack_messages = items = 0
    for delivery in todo:
        content = contents[delivery.id]  # type: ignore[index]
        assert isinstance(content, Digest)
        items += content.count
        if subscribers[delivery.subscriber_id].kind == "email":
            mail.digest_message(content, sender=settings.mail_from,
                                recipient=subscribers[delivery.subscriber_id].address,
                                message_id=f"<{delivery.id}@bench>", date=NOW)  # fmt: skip
        else:
            slack_messages += len(slack.render_digest(content))
    return len(todo), slack_messages, items


def baseline_selection(store: Any, settings: Any, sample: int) -> tuple[float, float, int]:
    """Seconds to choose for the first ``sample`` subscribers: (indexed, every call)."""
    subs = [s for s in list_subscribers(store) if s.id is not None][:sample]
    since = NOW - timedelta(days=14)
    pool = load_pool(store, NOW, since=since, horizon=NOW + timedelta(days=28))
    by_tag = pool.by_tag()
    timings = []
    for indexed in (True, False):
        started = time.perf_counter()
        for s in subs:
            criteria = criteria_of(s)
            ids: Any = pool.candidates
            if indexed and criteria.tags:
                ids = sorted({i for t in criteria.tags for i in by_tag.get(t, ())})
            choose(criteria, pool, ids, lambda c, k: False, now=NOW, since=since)
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1], len(subs)


KEPT = {"mail blocks": (mail, "_fragment"), ".ics events": (ics, "_event"),
        "Slack texts": (slack, "_item_text")}  # fmt: skip
REMOVED = ((wording, "_when"), (wording, "_day"), (wording, "_money"))


def cache_figures(store: Any, settings: Any, sample: int) -> None:
    """Each module cache's worth, in this process (see the module's docstring, 4.)."""

    caches = {label: getattr(module, name) for label, (module, name) in KEPT.items()}

    def render() -> float:
        for cache in caches.values():
            cache.cache_clear()
        started = time.perf_counter()
        render_all(store, settings, sample)
        return time.perf_counter() - started

    render()  # templates compiled, locale data loaded: the runs below all start warm
    shipped = render()
    print(f"module caches, render of the first {sample:,} digests: as shipped {shipped:.2f} s")
    for label, (module, name) in KEPT.items():
        setattr(module, name, caches[label].__wrapped__)
        try:
            plain = render()
        finally:
            setattr(module, name, caches[label])
        print(f"  without the {label} cache {plain:6.2f} s  (the cache: {plain / shipped:.2f}x)")
    plain_functions = [getattr(module, name) for module, name in REMOVED]
    for module, name in REMOVED:
        setattr(module, name, functools.lru_cache(maxsize=None)(getattr(module, name)))
    try:
        back = render()
    finally:
        for (module, name), function in zip(REMOVED, plain_functions, strict=True):
            setattr(module, name, function)
    print(f"  with the removed date and money caches put back {back:6.2f} s  "
          f"(they would give {shipped / back:.2f}x)")  # fmt: skip
    subs = [s for s in list_subscribers(store) if s.id is not None][:sample]
    since = NOW - timedelta(days=14)
    pool = load_pool(store, NOW, since=since, horizon=NOW + timedelta(days=28))
    cached = selection.reminder_keys
    timings = []
    for function in (cached, cached.__wrapped__):
        cached.cache_clear()
        selection.reminder_keys = function  # type: ignore[assignment]
        started = time.perf_counter()
        try:
            for s in subs:
                choose(criteria_of(s), pool, pool.candidates, lambda c, k: False, now=NOW,
                       since=since)  # fmt: skip
        finally:
            selection.reminder_keys = cached
        timings.append(time.perf_counter() - started)
    print(f"  choosing for {len(subs):,} subscribers against every call: with the reminder-key "
          f"cache {timings[0]:.2f} s, without {timings[1]:.2f} s (the cache: "
          f"{timings[1] / timings[0]:.2f}x)")  # fmt: skip


def raw_smtp_baseline(store: Any, settings: Any, port: int, count: int) -> tuple[float, int]:
    """Emails/s of bare smtplib sending ``count`` of this run's digests, already rendered and
    flattened, over one connection: the ceiling the loopback server allows."""
    import smtplib

    from notifications.smtp import wire_bytes

    todo = ledger.pending(store)[: count * 2]
    subscribers = {s.id: s for s in list_subscribers(store)}
    contents = _contents(store, settings, todo, subscribers)
    messages = [wire_bytes(mail.digest_message(contents[d.id], sender=settings.mail_from,  # type: ignore[index, arg-type]
                recipient="baseline@ki.example.org", message_id=f"<b{d.id}@bench>", date=NOW))
                for d in todo if subscribers[d.subscriber_id].kind == "email"][:count]  # fmt: skip
    client = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for data in messages:
        client.sendmail(settings.mail_from, ["baseline@ki.example.org"], data)
    elapsed = time.perf_counter() - started
    client.quit()
    return len(messages) / elapsed, len(messages)


def servers(ready: Any, counts: Any) -> None:
    """An aiosmtpd server and a Slack Web API stand-in on loopback (a separate process)."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            counts[0] += 1
            counts[1] += len(envelope.content)
            return "250 OK"

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            counts[2] += 1
            body = b'{"ok": true, "ts": "1.0"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    api = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    ready.send((port, api.server_address[1]))
    ready.recv()  # wait until told to stop
    controller.stop()
    api.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--calls", type=int, default=12000)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = load_settings(database_url=url, mail_from="monitor@ki.example.org",
                                 public_url="https://monitor.example.org",
                                 secret_key="bench-key", smtp_security="none")  # fmt: skip
        setup = build_store(url, args.calls, args.subscribers)
        print(f"store: {args.calls} calls, {args.subscribers} subscribers ({url.split(':')[0]}); "
              f"setup: load {setup['load']:.1f} s, tag {setup['tag']:.1f} s, "
              f"subscribers {setup['subscribers']:.1f} s, last week's digests "
              f"{setup['last week']:.1f} s")  # fmt: skip
        store = open_store(url)
        Taxonomy.load(store)  # seeds the taxonomy outside the timings
        started = time.perf_counter()
        plans = plan_digests(store, settings, NOW)
        selected = time.perf_counter() - started
        with_items = sum(1 for p in plans if p.entries)
        announced = sum(len(e.keys) for p in plans for e in p.entries)
        print(f"select  {selected:6.2f} s  {len(plans)} digests due, {with_items} with calls, "
              f"{announced} announcements written")  # fmt: skip
        started = time.perf_counter()
        digests, slack_messages, items = render_all(store, settings)
        rendered = time.perf_counter() - started
        sizes = sorted(len(p.entries) for p in plans if p.entries)
        print(f"render  {rendered:6.2f} s  {digests} digests, {items} items; calls per digest: "
              f"mean {items / max(digests, 1):.1f}, median {sizes[len(sizes) // 2]}, "
              f"95th percentile {sizes[int(len(sizes) * 0.95)]}, max {sizes[-1]}; "
              f"{slack_messages} Slack messages")  # fmt: skip
        total = selected + rendered
        print(
            f"select + render {total:.2f} s (target <= 20 s: {'met' if total <= 20 else 'NOT met'})"
        )
        indexed, every, sampled = baseline_selection(store, settings, 1000)
        print(f"baseline: choosing for {sampled:,} subscribers against every call {every:.2f} s, "
              f"through the tag index {indexed:.2f} s ({every / indexed:.1f}x faster)")  # fmt: skip
        cache_figures(store, settings, 1000)
        ours, theirs = multiprocessing.Pipe()
        counts = multiprocessing.Array("l", 3)
        helper = multiprocessing.get_context("fork").Process(target=servers,
                                                              args=(theirs, counts))  # fmt: skip
        helper.start()
        smtp_port, api_port = ours.recv()
        sending = settings.model_copy(update={"smtp_port": smtp_port, "smtp_host": "127.0.0.1"})
        raw_rate, raw_count = raw_smtp_baseline(store, settings, smtp_port, 500)
        box = Outbox(
            sending,
            slack_client=slack.web_client("xoxb-bench", f"http://127.0.0.1:{api_port}/api/"),
        )
        started = time.perf_counter()
        report = send_pending(store, sending, box, NOW)
        elapsed = time.perf_counter() - started
        box.close()
        ours.send("stop")
        helper.join()
        emails, email_bytes, posts = counts[0] - raw_count, counts[1], counts[2]
        rate = report.messages / elapsed
        print(f"send    {elapsed:6.2f} s  {report.sent} deliveries: {emails} emails "
              f"({email_bytes / 1e6:.1f} MB) + {posts} Slack messages = {report.messages} "
              f"messages, {rate:.0f} messages/s, {emails / elapsed:.0f} emails/s "
              f"(target >= 200 messages/s: {'met' if rate >= 200 else 'NOT met'}); "
              f"deferred {report.deferred}, refused {report.failed}")  # fmt: skip
        print(f"baseline: the same server takes {raw_rate:.0f} emails/s of these digests "
              f"pre-rendered, from bare smtplib with no ledger; the pipeline's email rate is "
              f"{emails / elapsed / raw_rate:.2f} of that")  # fmt: skip
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MB")
        store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
