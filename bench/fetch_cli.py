"""Fetching as a user runs it: `funding-monitor fetch` as a whole process, with the default
settings, on 200 feeds over 40 loopback origins answering after 300 ms (bench/fetch.py's
origins, in a child process). Runs it twice (first, then unchanged: conditional GETs) and a
sequential baseline of the same command with FUNDING_MONITOR_FETCH_WORKERS=1, and prints wall
time, requests, 304s, body bytes, peak RSS, and the ratio to the baseline.
Target: <= 3.0 s for both runs with the defaults.

    python bench/fetch_cli.py [--sources 200] [--origins 40] [--delay 0.3] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fetch import Counters, feed_body, origins  # noqa: E402


def run(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (KB, the whole process tree's largest) and exit status."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--origins", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    command = shutil.which("funding-monitor", path=str(Path(sys.executable).parent))
    if command is None:
        raise SystemExit("funding-monitor is not installed beside this Python")
    counters = Counters()
    bodies = {f"/feed/{n}.xml": feed_body(n) for n in range(args.sources)}
    work = Path(tempfile.mkdtemp(prefix="fetch-cli-bench-"))
    with origins(args.origins, bodies, args.delay, counters) as bases:
        lines = []
        for n in range(args.sources):
            url = f"{bases[n % len(bases)]}/feed/{n}.xml"
            lines.append(f'[[source]]\nname = "feed-{n}"\nkind = "feed"\nurl = "{url}"\n')
        (work / "sources.toml").write_text("\n".join(lines))
        ours = ("FUNDING_MONITOR_", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        results = {}
        plans = (
            [("defaults", {})]
            if args.skip_baseline
            else [("sequential baseline", {"FUNDING_MONITOR_FETCH_WORKERS": "1"}), ("defaults", {})]
        )
        for label, extra in plans:
            db = work / f"{label.split()[0]}.db"
            env_run = {**env, **extra, "FUNDING_MONITOR_DATABASE_URL": f"sqlite:///{db}",
                       "FUNDING_MONITOR_MODEL_DIR": str(work / "models")}  # fmt: skip
            subprocess.run([command, "sources", "import", str(work / "sources.toml")],
                           env=env_run, check=True, capture_output=True)  # fmt: skip
            counters.reset()
            for run_label in ("first run", "unchanged"):
                seconds, kb, status = run([command, "fetch"], env_run)
                requests, not_modified, sent = counters.reset()
                results[(label, run_label)] = seconds
                base = results.get(("sequential baseline", run_label))
                ratio = f"  {base / seconds:5.1f}x faster than sequential" if base else ""
                print(f"{label:<20} {run_label:<10} {seconds:6.2f} s  exit {status}  "
                      f"requests {requests}  304s {not_modified}  body {sent:,} B  "
                      f"peak RSS {kb / 1024:.0f} MB{ratio}", flush=True)  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
