"""Golden files: a parser's records as JSON, compared with a reviewed expected file.

Regenerate after a deliberate change with `FM_UPDATE_GOLDEN=1 pytest tests/sources`, then
review the diff before committing it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sources.records import CallRecord

GOLDEN = Path(__file__).parent.parent / "fixtures" / "golden"


def records_json(records: list[CallRecord]) -> list[dict[str, Any]]:
    out = []
    for record in records:
        data = asdict(record)
        data["opens"] = record.opens.isoformat() if record.opens else None
        data["deadlines"] = [
            {"at": d.at.isoformat(), "raw": d.raw, "date_only": d.date_only}
            for d in record.deadlines
        ]
        data["description_length"] = len(data.pop("description"))
        out.append(json.loads(json.dumps(data)))
    return out


def check_golden(name: str, records: list[CallRecord]) -> None:
    path = GOLDEN / name
    actual = records_json(records)
    if os.environ.get("FM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected
