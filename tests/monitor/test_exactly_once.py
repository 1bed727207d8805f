"""Exactly once, the hard way: `digest send` killed with SIGKILL in the middle of a run, on
SQLite and PostgreSQL. The next run sends what was not sent, and nobody gets anything twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from monitor.store import ledger
from monitor.store.db import open_store
from tests.conftest import CAPTURE_TIME
from tests.mailserver import Mailbox

ROOT = Path(__file__).resolve().parents[2]
AS_OF = CAPTURE_TIME.isoformat()


def test_killed_mid_run_the_next_run_sends_the_rest_once(cli, portal, box: Mailbox, db_url):
    for n in range(6):
        cli("subscribers", "add", f"r{n}@ki.se", "--tag", "global-actor")
    running: dict[str, subprocess.Popen[bytes]] = {}

    def kill_at_fourth(number: int) -> None:
        if number == 4:  # before the server takes message 4: the sender dies waiting
            box.fail_from = 3
            os.kill(running["send"].pid, signal.SIGKILL)

    box.on_data = kill_at_fourth
    # One connection, so that "before message 4" is a well-defined point: with two, message 3
    # could be accepted and not yet marked when message 4 kills the sender, which is the
    # acceptance-to-commit window the README describes (then resent with its Message-ID).
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FUNDING_MONITOR_SEND_CONNECTIONS": "1"}
    running["send"] = subprocess.Popen(
        [sys.executable, "-m", "monitor", "digest", "send", "--as-of", AS_OF],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    running["send"].communicate(timeout=120)
    assert running["send"].returncode == -signal.SIGKILL
    assert len(box.messages) == 3
    store = open_store(db_url)
    statuses = sorted(d.status for d in ledger.deliveries(store))
    assert statuses == ["pending"] * 3 + ["sent"] * 3  # all planned before the first was sent
    box.on_data, box.fail_from = None, None
    code, out, _ = cli("digest", "send", "--as-of", AS_OF)
    assert code == 0 and "sent 3 deliveries" in out
    assert sorted(m["To"] for m in box.messages) == [f"r{n}@ki.se" for n in range(6)]
    assert len({m["Message-ID"] for m in box.messages}) == 6
    assert {d.status for d in ledger.deliveries(store)} == {"sent"}
    code, out, _ = cli("digest", "send", "--now", "--as-of", AS_OF)
    assert out.startswith("sent 0") and len(box.messages) == 6
    store.dispose()
