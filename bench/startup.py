"""Start-up benchmark: commands run as a user runs them, each a whole process.

Measures, in one run, against `python -c pass` on the same interpreter:
  --help, --version            (targets: <= 0.3 s)
  calls list on the demo db    (target:  <= 0.6 s)
  sources add                  (target:  <= 0.5 s; a fresh source name each time)
  sources list, status         (for reference)
and prints each command's median and best wall time over --repeat runs, its ratio to the
baseline, and its peak RSS. Byte-compiled modules are written (as an installed package has
them): PYTHONDONTWRITEBYTECODE is cleared and every command runs once before it is timed.

    python bench/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"--help": 0.3, "--version": 0.3, "calls list": 0.6, "sources add": 0.5}


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # `status` exits 1 while a source is unhealthy
        raise SystemExit(f"{' '.join(argv)} failed with status {process.returncode}")
    return seconds, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    command = shutil.which("funding-monitor", path=str(Path(sys.executable).parent))
    if command is None:
        raise SystemExit("funding-monitor is not installed beside this Python")
    work = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("FUNDING_MONITOR_DATABASE_URL", None)
    demo = [command, "demo", "--limit", "1", "--out-dir", str(work / "demo")]
    subprocess.run(demo, env=env, cwd=work, check=True, capture_output=True)
    env["FUNDING_MONITOR_DATABASE_URL"] = f"sqlite:///{work / 'demo' / 'demo.db'}"
    env["FUNDING_MONITOR_MODEL_DIR"] = str(work / "demo" / "models")
    counter = iter(range(1_000_000))

    cases: list[tuple[str, object]] = [
        ("python -c pass", lambda: [sys.executable, "-c", "pass"]),
        ("--help", lambda: [command, "--help"]),
        ("--version", lambda: [command, "--version"]),
        ("calls list", lambda: [command, "calls", "list"]),
        (
            "sources add",
            lambda: [
                command,
                "sources",
                "add",
                f"feed-{next(counter)}",
                "--kind",
                "feed",
                "--url",
                "https://example.org/feed.xml",
            ],
        ),  # fmt: skip
        ("sources list", lambda: [command, "sources", "list"]),
        ("status", lambda: [command, "status"]),
    ]
    results: dict[str, tuple[float, float, int]] = {}
    for name, argv in cases:
        timed(argv(), env, work)  # writes the byte-code, warms the disk cache
        runs = [timed(argv(), env, work) for _ in range(args.repeat)]
        seconds = [s for s, _ in runs]
        results[name] = (statistics.median(seconds), min(seconds), max(kb for _, kb in runs))
    base = results["python -c pass"][0]
    print(f"start-up, {args.repeat} runs each (median / best), {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")  # fmt: skip
    print(f"{'command':<16} {'median':>8} {'best':>8} {'x pass':>7} {'peak RSS':>10}  target")
    for name, (median, best, kb) in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else f"<= {target:.1f} s " + (
            "met" if median <= target else "MISSED")  # fmt: skip
        print(f"{name:<16} {median:>7.3f}s {best:>7.3f}s {median / base:>6.1f}x "
              f"{kb / 1024:>8.1f} MB  {verdict}")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
