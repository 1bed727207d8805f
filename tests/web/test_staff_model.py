"""The admins' model page (issue #15): the active model's per-tag figures, the models side by
side (a table and an SVG plot of the same figures), train now in a thread with its progress
fragment (a second press while it trains changes nothing), activate and roll back with the
worse-model guard (a second, explicit step), roles, CSRF and the audit log, from the page and
from the use cases the command line calls.

Shared with the other admin tests: ``models_in_tmp`` (autouse: models trained in tmp_path),
``fitted`` (one model trained on the shipped labels per test session) and ``register`` (copies
of it registered as trained, with chosen macro F1s)."""

from __future__ import annotations

import re
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.app import audit
from monitor.app import model as model_cases
from monitor.app.context import App
from tests.web.conftest import csrf_of, sign_in_staff

PAGES = ("/staff/model", "/staff/model/training")
POSTS = ("/staff/model/train", "/staff/model/activate", "/staff/model/rollback")


@pytest.fixture(autouse=True)
def models_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trained models kept under tmp_path (set before ``bare_app`` reads the settings)."""
    monkeypatch.setenv("FUNDING_MONITOR_MODEL_DIR", str(tmp_path / "models"))


@pytest.fixture(scope="session")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One model trained on the shipped labels (its file, its metadata), for the session."""
    from classifiers.model import save_model
    from classifiers.taxonomy import load_taxonomy
    from monitor.tagging.training import fit, training_data

    taxonomy = load_taxonomy()
    model, _, _ = fit(training_data(None, taxonomy), taxonomy)
    path = tmp_path_factory.mktemp("fitted") / "model.joblib"
    save_model(model, path)
    return path, model.meta


def register(app: App, fitted: tuple[Path, dict[str, Any]], macro_f1s: list[float],
             active: int = -1) -> list[int]:  # fmt: skip
    """Models registered as if trained one after the other (copies of ``fitted``), with these
    chosen macro F1s and every per-tag F1 scaled alike; ``active``: the index of the active
    one. Their ids, oldest first."""
    from monitor.store import tags as tag_store
    from monitor.store.tables import TagModelRow

    path, meta = fitted
    base = meta["chosen_macro_f1"]
    folder = app.settings.models_path
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for i, f1 in enumerate(macro_f1s):
        copy = folder / f"registered-{i}-{time.monotonic_ns()}.joblib"
        shutil.copy(path, copy)
        per_tag = {how: {tag: {**v, "f1": round(min(1.0, v["f1"] * f1 / base), 4)}
                         for tag, v in tags.items()}
                   for how, tags in meta["metrics"]["per_tag"].items()}  # fmt: skip
        row = TagModelRow(
            file=str(copy), created_at=app.now() - timedelta(days=len(macro_f1s) - i),
            data_hash=meta["data_hash"], labels=meta["labels"], combination=meta["combination"],
            metrics={**meta["metrics"], "per_tag": per_tag, "chosen_macro_f1": f1},
            versions=meta["versions"],
        )  # fmt: skip
        ids.append(tag_store.register_model(app.store(), row, False))
    tag_store.activate_model(app.store(), ids[active])
    return ids


def _active(app: App) -> int | None:
    return next((m.id for m in model_cases.models(app) if m.active), None)


def _figures(page: str, table: str) -> list[list[str]]:
    """The cells of a table of the page, row by row (header cells included)."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split())
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]  # fmt: skip


def test_model_pages_are_for_admins_and_every_post_needs_its_csrf_token(client, bare_app, fitted):
    ids = register(bare_app, fitted, [0.8, 0.82])
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert client.post(path, data={"model_id": str(ids[0])}).status_code == 403, path
    sign_in_staff(client, bare_app, "cura@ki.se", "curator")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 403 and "for admins" in answer.text, path
    token = csrf_of(client.get("/staff").text)
    for path in POSTS:
        answer = client.post(path, data={"csrf_token": token, "model_id": str(ids[0]),
                                         "force": "yes"})  # fmt: skip
        assert answer.status_code == 403, path
    sign_in_staff(client, bare_app, "boss@ki.se", "admin")
    assert 'href="/staff/model"' in client.get("/staff").text  # in the admin's menu
    for path in POSTS:  # an admin's form without its token changes nothing
        answer = client.post(path, data={"model_id": str(ids[0]), "force": "yes"})
        assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert _active(bare_app) == ids[1]
    assert len(model_cases.models(bare_app)) == 2  # nothing trained
    assert model_cases.training_state(bare_app).started_at is None
    assert audit.events(bare_app, action="model") == []


def test_the_page_shows_the_active_models_figures_and_the_history_side_by_side(
    admin_client, bare_app, fitted
):
    ids = register(bare_app, fitted, [0.70, 0.85, 0.80], active=1)
    page = admin_client.get("/staff/model")
    assert page.status_code == 200
    models = {m.id: m for m in model_cases.models(bare_app)}
    active = models[ids[1]]
    assert f"Model {ids[1]}, trained" in page.text and "macro F1 0.850" in page.text
    rows = _figures(page.text, "active-figures")
    assert rows[0][:4] == ["Tag", "Precision", "Recall", "F1"]
    shown = {r[0].split()[-1]: r[1:5] for r in rows[1:]}  # tag id (in <code>) -> figures
    assert set(shown) == set(active.figures) and shown
    for tag, f in active.figures.items():
        assert shown[tag] == [f"{f.precision:.2f}", f"{f.recall:.2f}", f"{f.f1:.2f}",
                              str(f.support)]  # fmt: skip
    side = _figures(page.text, "side-by-side")
    assert side[0][1:] == [f"Model {ids[0]}", f"Model {ids[1]} active", f"Model {ids[2]}"]
    assert side[-1] == ["Macro F1", "0.700", "0.850", "0.800"]
    tag = next(iter(active.figures))
    label = model_cases.tag_names(bare_app)[tag]["en"]
    row = next(r for r in side if r[0] == label)
    assert row[1:] == [f"{models[i].figures[tag].f1:.2f}" for i in ids]
    history = _figures(page.text, "history")
    assert [r[0] for r in history[1:]] == [f"Model {i}" for i in reversed(ids)]  # newest first
    assert sum("active" in r[-1] for r in history[1:]) == 1
    # the plot: one line per tag in the table, a point per model, axis labels and a title
    svg = page.text.split('<svg viewBox="0 0 640 300"', 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "<title" in svg and "F1 per tag over model versions" in svg
    assert svg.count("<polyline") == len(side) - 2 and svg.count("<circle") == 3 * (len(side) - 2)
    assert all(f">{i}</text>" in svg for i in ids) and ">Model</text>" in svg
    points = re.findall(r'<polyline points="([^"]+)"', svg)
    heights = [float(p.split(",")[1]) for p in points[0].split()]
    tag0 = side[1]  # higher F1 is drawn higher (a smaller y)
    order = sorted(range(3), key=lambda i: float(tag0[1 + i]))
    assert sorted(range(3), key=lambda i: -heights[i]) == order or len(set(tag0[1:])) < 3
    ticks = [float(v) for v in re.findall(r'text-anchor="end">([0-9.]+)</text>', svg)]
    lowest = min(float(c) for r in side[1:-1] for c in r[1:] if c != "—")
    assert ticks[-1] == 1.0 and ticks[0] <= lowest and lowest - ticks[0] <= 0.25  # zoomed in
    legend = page.text.split('<ul class="legend">', 1)[1].split("</ul>", 1)[0]
    assert legend.count("<li>") == len(side) - 2
    sv = admin_client.get("/staff/model?lang=sv").text
    assert "Aktiv modell" in sv and "Tränade modeller" in sv and "Makro-F1" in sv


def test_activate_refuses_a_worse_model_until_confirmed_and_is_audited(
    admin_client, bare_app, fitted
):
    ids = register(bare_app, fitted, [0.70, 0.85, 0.86], active=1)
    token = csrf_of(admin_client.get("/staff/model").text)
    better = admin_client.post("/staff/model/activate",
                               data={"csrf_token": token, "model_id": str(ids[2])})  # fmt: skip
    assert better.status_code == 200 and f"Model {ids[2]} is active" in better.text
    assert _active(bare_app) == ids[2]
    worse = admin_client.post("/staff/model/activate",
                              data={"csrf_token": token, "model_id": str(ids[0])})  # fmt: skip
    assert worse.status_code == 409 and "This model scores worse" in worse.text
    assert "0.700" in worse.text and "0.860" in worse.text
    assert _active(bare_app) == ids[2]  # refused: nothing changed
    assert f"Activate model {ids[0]} anyway" in worse.text
    anyway = admin_client.post("/staff/model/activate",
                               data={"csrf_token": csrf_of(worse.text), "model_id": str(ids[0]),
                                     "force": "yes"})  # fmt: skip
    assert anyway.status_code == 200 and f"Model {ids[0]} is active" in anyway.text
    assert _active(bare_app) == ids[0]
    events = audit.events(bare_app, action="model.activate")
    assert [(e.actor, e.target, e.before, e.after) for e in events] == [
        ("boss@ki.se", f"model {ids[0]}", {"active": ids[2]}, {"active": ids[0], "forced": True}),
        ("boss@ki.se", f"model {ids[2]}", {"active": ids[1]}, {"active": ids[2]}),
    ]
    gone = admin_client.post("/staff/model/activate",
                             data={"csrf_token": token, "model_id": "999999"})  # fmt: skip
    assert gone.status_code == 400 and "no model 999999" in gone.text


def test_roll_back_to_the_model_before_with_the_guard(admin_client, bare_app, fitted):
    ids = register(bare_app, fitted, [0.80, 0.70, 0.90])
    token = csrf_of(admin_client.get("/staff/model").text)
    back = admin_client.post("/staff/model/rollback", data={"csrf_token": token})
    assert back.status_code == 409 and "This model scores worse" in back.text  # 0.70 < 0.90
    assert _active(bare_app) == ids[2]
    back = admin_client.post("/staff/model/rollback",
                             data={"csrf_token": csrf_of(back.text), "force": "yes"})  # fmt: skip
    assert back.status_code == 200 and f"Rolled back: model {ids[1]} is active" in back.text
    assert _active(bare_app) == ids[1]
    back = admin_client.post("/staff/model/rollback", data={"csrf_token": token})
    assert back.status_code == 200 and _active(bare_app) == ids[0]  # 0.80 > 0.70: no question
    oldest = admin_client.post("/staff/model/rollback", data={"csrf_token": token})
    assert oldest.status_code == 400 and "is the oldest" in oldest.text
    assert _active(bare_app) == ids[0]
    events = audit.events(bare_app, action="model.rollback")
    assert [(e.target, e.before, e.after) for e in events] == [
        (f"model {ids[0]}", {"active": ids[1]}, {"active": ids[0]}),
        (f"model {ids[1]}", {"active": ids[2]}, {"active": ids[1], "forced": True}),
    ]


def test_train_now_runs_in_a_thread_with_its_progress_and_a_second_press_waits(
    portal, admin_client, bare_app
):
    token = csrf_of(admin_client.get("/staff/model").text)
    assert "No model has been trained yet" in admin_client.get("/staff/model").text
    started = admin_client.post("/staff/model/train", data={"csrf_token": token},
                                follow_redirects=False)  # fmt: skip
    assert started.status_code == 303 and started.headers["location"] == "/staff/model"
    again = admin_client.post("/staff/model/train", data={"csrf_token": token})
    assert "A model is being trained already" in again.text
    assert 'hx-get="/staff/model/training" hx-trigger="every 1s"' in again.text
    fragment = admin_client.get("/staff/model/training", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    seen = set()
    for _ in range(240):
        state = model_cases.training_state(bare_app)
        if not state.running:
            break
        seen.add(state.stage)
        time.sleep(0.25)
    assert not state.running and state.error is None and state.report is not None
    assert seen & {"", "train", "cross-validate"}
    done = admin_client.get("/staff/model/training", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"  # htmx reloads the page to show the model
    assert f"Model {state.report.model_id} was trained on" in done.text
    page = admin_client.get("/staff/model").text
    assert "hx-trigger" not in page  # no more polling
    assert [m.id for m in model_cases.models(bare_app)] == [state.report.model_id]
    assert _active(bare_app) == state.report.model_id  # the first model is activated
    [event] = audit.events(bare_app, action="model.train")
    assert event.actor == "boss@ki.se" and event.target == f"model {state.report.model_id}"
    assert event.after["activated"] is True and event.after["labels"] == state.report.labels
    assert event.before == {"active": None} and event.after["active"] == state.report.model_id


def test_the_use_cases_the_commands_call_are_audited_as_their_user(bare_app, fitted):
    from monitor.errors import ConfigError

    ids = register(bare_app, fitted, [0.8, 0.81])
    with audit.acting("cli:someone"):
        assert model_cases.activate(bare_app, ids[0]).worse  # refused: nothing to record
        assert model_cases.activate(bare_app, ids[0], force=True).activated
        with pytest.raises(ConfigError, match="is the oldest"):
            model_cases.rollback(bare_app)
    model_cases.activate(bare_app, ids[1])  # no one acting (the scheduler): not recorded
    events = audit.events(bare_app, action="model")
    assert [(e.actor, e.action, e.after) for e in events] == [
        ("cli:someone", "model.activate", {"active": ids[0], "forced": True}),
    ]
    assert _active(bare_app) == ids[1]
