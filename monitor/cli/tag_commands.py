"""The tag commands: ``tags``, ``classify``, ``label``, ``train``, ``evaluate``, ``review``.
Parsers and handlers; the work is done in monitor/tagging/."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from classifiers.evaluation import Evaluation
from classifiers.taxonomy import RULE_FIELDS, Tag, dump_taxonomy, parse_taxonomy, renamed
from monitor.cli import arguments
from monitor.cli.output import print_json
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.store import tags as tag_store
from monitor.store.db import Store, open_store
from monitor.store.subscribers import following, shown
from monitor.tagging import classify as tagging
from monitor.tagging import training

SCALARS = ("label_en", "label_sv", "description", "parent")


def add_parsers(sub: Any) -> None:
    _tags_parser(sub.add_parser("tags", help="the taxonomy: list, add, edit, retire, explain"))
    classify = sub.add_parser("classify", help="tag new or changed calls (or a JSON-lines file)")
    classify.add_argument("--all", action="store_true", help="re-tag every stored call")
    classify.add_argument(
        "--input",
        metavar="FILE",
        help="tag JSON lines from FILE ('-' = stdin) to stdout; no database",
    )
    classify.add_argument("--model", metavar="FILE", help="with --input: a saved model file")
    classify.add_argument("--taxonomy", metavar="FILE", help="with --input: a taxonomy TOML")
    label = sub.add_parser("label", help="say that a call has (or, with --not, lacks) a tag")
    label.add_argument("call", type=arguments.ids)
    label.add_argument("tag")
    label.add_argument("--not", dest="negative", action="store_true")
    train = sub.add_parser("train", help="retrain the model on every label and activate it")
    train.add_argument("--force", action="store_true", help="activate even if it scores worse")
    evaluate = sub.add_parser("evaluate", help="cross-validated precision, recall, F1 per tag")
    evaluate.add_argument(
        "--nested",
        action="store_true",
        help="also measure the per-tag choice by nested cross-validation",
    )
    evaluate.add_argument("--json", action="store_true")
    review = sub.add_parser("review", help="the calls the model is least sure about")
    review.add_argument("--limit", type=arguments.limits, default=20)
    review.add_argument("--json", action="store_true")  # fmt: skip


def _tags_parser(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="tags_command", required=True)
    listing = verbs.add_parser("list", help="the tags in force (with --all, retired ones too)")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--json", action="store_true")
    verbs.add_parser("show", help="one tag with its rules").add_argument("id")
    add = verbs.add_parser("add", help="add a tag")
    add.add_argument("id")
    add.add_argument("--label-en", required=True)
    add.add_argument("--label-sv", required=True)
    add.add_argument("--description", default="")
    add.add_argument("--parent")
    for name in RULE_FIELDS:
        add.add_argument(f"--{name[:-1] if name.endswith('s') else name}", dest=name,
                         action="append", default=[], metavar="TEXT",
                         help=f"a seed rule ({name}); repeatable")  # fmt: skip
    rename = verbs.add_parser("rename", help="change a tag's labels (its id stays)")
    rename.add_argument("id")
    rename.add_argument("--label-en")
    rename.add_argument("--label-sv")
    edit = verbs.add_parser("edit", help="change a tag's description, parent or rules")
    edit.add_argument("id")
    edit.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                      help=f"set one of {', '.join(SCALARS)}")  # fmt: skip
    edit.add_argument("--add", action="append", default=[], metavar="RULES=TEXT",
                      help=f"add to one of {', '.join(RULE_FIELDS)}")  # fmt: skip
    edit.add_argument("--remove", action="append", default=[], metavar="RULES=TEXT")
    retire = verbs.add_parser("retire", help="retire a tag (its history stays)")
    retire.add_argument("id")
    retire.add_argument("--force", action="store_true", help="retire even if it is in use")
    verbs.add_parser("restore", help="bring a retired tag back").add_argument("id")
    verbs.add_parser("history", help="the taxonomy's changes").add_argument("id", nargs="?")
    verbs.add_parser("export", help="the taxonomy as TOML on stdout")
    verbs.add_parser("import", help="add or replace tags from a TOML file").add_argument("file")
    explain = verbs.add_parser("explain", help="why a call has (or lacks) each tag")
    explain.add_argument("call", type=arguments.ids)
    explain.add_argument("--json", action="store_true")


def handlers() -> dict[str, Callable[[argparse.Namespace, Settings], int]]:
    return {"tags": cmd_tags, "classify": cmd_classify, "label": cmd_label, "train": cmd_train,
            "evaluate": cmd_evaluate, "review": cmd_review}  # fmt: skip


def cmd_tags(args: argparse.Namespace, settings: Settings) -> int:
    verb = args.tags_command
    reading = verb in ("explain", "list", "show", "history", "export")
    store = open_store(settings.database_url, create=not reading)
    if verb == "explain":
        return _explain(store, settings, args)
    if verb in ("list", "show", "history", "export"):
        return _read_tags(store, args)
    return _change_tags(store, args)


def _read_tags(store: Store, args: argparse.Namespace) -> int:
    verb = args.tags_command
    if verb == "export":
        sys.stdout.write(dump_taxonomy(tag_store.active_taxonomy(store)))
    elif verb == "history":
        for e in tag_store.history(store, args.id):
            detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
            print(f"{e.at:%Y-%m-%d %H:%M} {e.tag_id:<24} {e.kind:<9} {detail}"[:200])
    elif verb == "show":
        import tomli_w

        tag = tag_store.active_taxonomy(store).get(args.id)
        print(tomli_w.dumps({"tag": [tag.as_dict()]}), end="")
    else:
        rows = tag_store.tag_rows(store, retired=args.all)
        if args.json:
            print_json([_tag_json(r) for r in rows])
        for r in rows if not args.json else []:
            mark = " (retired)" if r.retired_at else ""
            indent = "  " if r.parent else ""
            print(f"{indent}{r.id:<24} {r.label_en} / {r.label_sv}{mark}")
    return 0


def _tag_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "label_en": row.label_en, "label_sv": row.label_sv,
            "parent": row.parent, "retired": row.retired_at is not None}  # fmt: skip


def _change_tags(store: Store, args: argparse.Namespace) -> int:
    taxonomy = tag_store.active_taxonomy(store)
    verb = args.tags_command
    if verb == "add":
        if args.id in {r.id for r in tag_store.tag_rows(store)}:
            raise ConfigError(f"tag {args.id!r} exists", hint="Use `tags edit` or `tags restore`.")
        rules = {name: tuple(getattr(args, name)) for name in RULE_FIELDS}
        tag = Tag(args.id, args.label_en, args.label_sv, args.description, args.parent, **rules)
        _save(store, taxonomy, tag, "added", tag.as_dict())
    elif verb == "rename":
        old = taxonomy.get(args.id)
        tag = renamed(old, args.label_en, args.label_sv)
        _save(store, taxonomy, tag, "renamed", {"from": [old.label_en, old.label_sv],
                                                "to": [tag.label_en, tag.label_sv]})  # fmt: skip
    elif verb == "edit":
        old = taxonomy.get(args.id)
        tag = _edited(old, args)
        _save(store, taxonomy, tag, "edited", {"set": args.set, "add": args.add,
                                               "remove": args.remove})  # fmt: skip
    elif verb in ("retire", "restore"):
        return _retire(store, taxonomy, args)
    elif verb == "import":
        try:
            text = Path(args.file).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {args.file}: {exc.strerror}") from exc
        for tag in parse_taxonomy(text, args.file).tags.values():
            _save(store, taxonomy, tag, "imported", tag.as_dict())
            taxonomy = tag_store.active_taxonomy(store)
    print("taxonomy updated; run `funding-monitor classify` to re-tag the calls")
    return 0


def _save(store: Store, taxonomy: Any, tag: Tag, kind: str, detail: dict[str, Any]) -> None:
    taxonomy.with_tag(tag)  # validates the tag and its parent against the others
    tag_store.save_tag(store, tag, kind, detail)


def _edited(tag: Tag, args: argparse.Namespace) -> Tag:
    changes: dict[str, Any] = {}
    for item in args.set:
        field, _, value = item.partition("=")
        if field not in SCALARS:
            raise ConfigError(f"cannot set {field!r}", hint=f"Settable: {', '.join(SCALARS)}.")
        changes[field] = value or None if field == "parent" else value
    for option, adding in (("add", True), ("remove", False)):
        for item in getattr(args, option):
            field, _, value = item.partition("=")
            if field not in RULE_FIELDS or not value:
                raise ConfigError(f"--{option} {item!r}: use RULES=TEXT",
                                  hint=f"Rule lists: {', '.join(RULE_FIELDS)}.")  # fmt: skip
            items = list(changes.get(field, getattr(tag, field)))
            if adding and value not in items:
                items.append(value)
            elif not adding:
                if value not in items:
                    raise ConfigError(f"tag {tag.id!r} has no {field} rule {value!r}")
                items.remove(value)
            changes[field] = tuple(items)
    return replace(tag, **changes)


def _retire(store: Store, taxonomy: Any, args: argparse.Namespace) -> int:
    if args.tags_command == "restore":
        tag_store.set_retired(store, args.id, False)
        print(f"tag {args.id} restored; run `funding-monitor classify --all` to re-tag")
        return 0
    taxonomy.without(args.id)  # refuses a tag that still has sub-tags
    used = tag_store.usage(store, args.id)
    followers = following(store, args.id)
    if (used["calls"] or used["labels"] or followers) and not args.force:
        print(f"warning: tag {args.id} is on {used['calls']} calls and in {used['labels']} "
              f"labels, and {len(followers)} subscribers follow it; their subscriptions to it "
              "will match nothing once it is retired.", file=sys.stderr)  # fmt: skip
        for row in followers:
            print(f"  subscriber {row.id}: {row.kind} {shown(row.kind, row.address)}",
                  file=sys.stderr)  # fmt: skip
        print("Retire it anyway with --force.", file=sys.stderr)
        return 1
    tag_store.set_retired(store, args.id, True)
    print(f"tag {args.id} retired (removed from {used['calls']} calls; labels kept)")
    return 0


def _explain(store: Store, settings: Settings, args: argparse.Namespace) -> int:
    data = tagging.explain(store, settings, args.call)
    if args.json:
        print_json(data)
        return 0
    print(f"call {data['call']}: {data['title']}\ntagger: {data['tagger']}")
    if data["warning"]:
        print(f"warning: {data['warning']}")
    for tag, e in data["tags"].items():
        state = f"given, score {e['score']:.2f}" if e["given"] else "not given"
        print(f"\n{tag}: {state} (decided by: {e['combination'] or 'its sub-tags'})")
        if e["label"] is not None:
            print(f"  label: {'has it' if e['label'] else 'does not have it'} (admin)")
        for reason in e["rules"]:
            print(f"  rule: {reason}")
        if e["vetoed_by"]:
            print(f'  vetoed by negative phrase "{e["vetoed_by"]}"')
        if e["model_score"] is not None:
            terms = ", ".join(e["model_terms"]) or "—"
            print(f"  model: score {e['model_score']:.2f}; strongest terms: {terms}")
    if not data["tags"]:
        print("no tag has any evidence for this call")
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    if args.input:
        return _classify_file(args)
    store = open_store(settings.database_url)
    report = tagging.classify_stored(store, settings, all_calls=args.all)
    if report.trained:
        print(report.trained)
    if report.warning:
        print(f"warning: {report.warning}", file=sys.stderr)
    print(f"tagged {report.tagged} calls with {report.tagger}")
    return 0


def _classify_file(args: argparse.Namespace) -> int:
    tagger = tagging.offline_tagger(args.model, args.taxonomy)
    try:
        handle = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot read {args.input}: {exc.strerror}") from exc
    errors = 0
    with handle:
        for _, line, error in tagging.classify_lines(handle, tagger):
            if line is None:
                errors += 1
                print(f"error: {args.input}: {error}", file=sys.stderr)
            else:
                sys.stdout.write(line + "\n")
    return 1 if errors else 0


def cmd_label(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    tagging.set_label(store, args.call, args.tag, not args.negative)
    verdict = "does not have" if args.negative else "has"
    print(f"call {args.call} {verdict} tag {args.tag}: stored, and in force now; "
          "`funding-monitor train` learns from it")  # fmt: skip
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    report = training.train_and_register(store, settings, force=args.force)
    before = f"{report.previous_macro_f1:.3f}" if report.previous_macro_f1 is not None else "—"
    print(f"model {report.model_id}: {report.labels} labels, trained in {report.seconds:.1f}s, "
          f"cross-validated macro F1 {report.macro_f1:.3f} (active model: {before})")  # fmt: skip
    print(f"saved {report.file}")
    if report.activated:
        print("activated; run `funding-monitor classify` to re-tag the calls")
        return 0
    print("NOT activated: it scores worse than the active model. Use --force to activate it.")
    return 1


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    evaluation, active = training.evaluate(store, nested=args.nested)
    if args.json:
        print_json({**evaluation.as_dict(), "active_model": active.metrics if active else None})
        return 0
    print(evaluation_table(evaluation))
    if active is not None:
        f1 = active.metrics.get("chosen_macro_f1", 0)
        when = f"{active.created_at:%Y-%m-%d}"
        print(f"\nactive model {active.id} ({active.labels} labels, {when}): "
              f"macro F1 {f1:.3f} with its per-tag choice")  # fmt: skip
    return 0


def evaluation_table(evaluation: Evaluation) -> str:
    methods = list(evaluation.counts)
    head = f"{'tag':<24} {'n':>4}  " + "  ".join(f"{m:^17}" for m in methods)
    sub = f"{'':<24} {'':>4}  " + "  ".join(f"{'P':>5} {'R':>5} {'F1':>5}" for _ in methods)
    lines = [f"{evaluation.calls} labelled calls, {evaluation.folds}-fold cross-validation",
             head, sub]  # fmt: skip
    for tag, n in evaluation.support.items():
        cells = "  ".join(
            f"{c.precision:5.2f} {c.recall:5.2f} {c.f1:5.2f}"
            for c in (evaluation.counts[m][tag] for m in methods)
        )
        lines.append(f"{tag:<24} {n:>4}  {cells}")
    macro = "  ".join(f"{evaluation.macro_f1(m):>17.3f}" for m in methods)
    lines.append(f"{'macro F1':<24} {'':>4}  {macro}")
    return "\n".join(lines)


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings.database_url)
    items = training.review(store, settings, args.limit)
    if args.json:
        print_json(items)
    elif not items:
        print("nothing to review (no model, or no calls)")
    for item in items if not args.json else []:
        print(f"{item['call']:>6}  {item['tag']:<24} {item['score']:.2f}  {item['title'][:70]}")
        print(f"        funding-monitor label {item['call']} {item['tag']} [--not]")
    return 0
