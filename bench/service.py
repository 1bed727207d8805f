"""Service benchmark: how fast a standby `serve` takes over, and what a job's bookkeeping costs.

For SQLite (a temporary file) and PostgreSQL (a database of its own, dropped after):
  1. cold start, the baseline: a `serve` process started on an idle database, until it holds
     the leader lock (imports, migration check, lock), --rounds times;
  2. take-over: a leader and a standby (LEADER_POLL as given, default the setting's 15 s); the
     leader is killed with SIGKILL at a random moment; time from the kill until the standby
     holds the lock; then a new standby joins and it repeats, --rounds times. The issue asks
     for "within a minute";
  3. bookkeeping, in this process: ``run_job`` around a job that does nothing (lock check,
     start and outcome written to job_state, one log line) against calling the job directly,
     --jobs times.
Prints seconds (min / median / max), the ratio of take-over to cold start, ms per job and peak
RSS of this process.

    python bench/service.py [--rounds 3] [--leader-poll 15] [--jobs 300] [--pg ADMIN-URL|'']
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


from scratch import pg_database  # noqa: E402  (bench/scratch.py)

from monitor.app.jobs import Outcome  # noqa: E402
from monitor.config import load_settings  # noqa: E402
from monitor.service.scheduler import Context, run_job  # noqa: E402
from monitor.store.db import Store, open_store  # noqa: E402
from monitor.store.leader import current_leader, leader_lock  # noqa: E402


def spawn(url: str, poll: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FUNDING_MONITOR_DATABASE_URL": url,
           "FUNDING_MONITOR_LEADER_POLL": str(poll), "FUNDING_MONITOR_LOG_LEVEL": "WARNING",
           "FUNDING_MONITOR_SMTP_HOST": "127.0.0.1", "FUNDING_MONITOR_SMTP_PORT": "9"}  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "monitor", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def until_leader(store: Store, pid: int, limit: float = 120.0) -> float:
    """Seconds until process ``pid`` holds the lock (polled every 20 ms)."""
    started = time.perf_counter()
    while f":{pid} " not in (current_leader(store) or ""):
        if time.perf_counter() - started > limit:
            raise SystemExit(f"process {pid} did not lead within {limit} s")
        time.sleep(0.02)
    return time.perf_counter() - started


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def spread(values: list[float]) -> str:
    return (f"min {min(values):.2f} s, median {statistics.median(values):.2f} s, "
            f"max {max(values):.2f} s")  # fmt: skip


def bench(url: str, label: str, rounds: int, poll: float, jobs: int) -> None:
    store = open_store(url)
    print(f"\n== {label} ({rounds} rounds, LEADER_POLL {poll:g} s) ==")
    cold = []
    for _ in range(rounds):
        process = spawn(url, poll)
        cold.append(until_leader(store, process.pid))
        stop(process)
    print(f"cold start to leader (baseline): {spread(cold)}")
    leader = spawn(url, poll)
    until_leader(store, leader.pid)
    takeovers = []
    for _ in range(rounds):
        standby = spawn(url, poll)
        time.sleep(3 + random.uniform(0, poll))  # the standby is waiting, at a random phase
        leader.kill()
        leader.wait()
        takeovers.append(until_leader(store, standby.pid))
        leader = standby
    stop(leader)
    print(
        f"take-over after SIGKILL: {spread(takeovers)}; "
        f"median {statistics.median(takeovers) / statistics.median(cold):.2f}x the cold start"
    )
    lock = leader_lock(store, "bench:0")
    assert lock.acquire()
    ctx = Context(store, load_settings(), None, lock)
    logging.getLogger("monitor.service.scheduler").setLevel(logging.WARNING)

    def nothing(_ctx: Context) -> Outcome:
        return Outcome(True, {"n": 0})

    started = time.perf_counter()
    for _ in range(jobs):
        nothing(ctx)
    direct = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(jobs):
        run_job(ctx, f"bench:{n % 10}", nothing)
    wrapped = time.perf_counter() - started
    lock.release()
    print(
        f"job bookkeeping: {wrapped / jobs * 1000:.2f} ms per job ({jobs} jobs; the job "
        f"alone {direct / jobs * 1e6:.1f} µs)"
    )
    store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--leader-poll", type=float, default=load_settings().leader_poll)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="admin URL of the PostgreSQL server ('' to skip)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.db", "SQLite", args.rounds, args.leader_poll, args.jobs)
    if args.pg:
        with pg_database(args.pg) as url:
            bench(url, "PostgreSQL", args.rounds, args.leader_poll, args.jobs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
