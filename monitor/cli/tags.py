"""`tags list|show|add|rename|edit|retire|restore|history|export|import|explain`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers.taxonomy import RULE_FIELDS
from classifiers.taxonomy import SCALAR_FIELDS as SCALARS
from monitor.cli import arguments
from monitor.cli.parser import repeatable, verbs

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    group = verbs(commands.add_parser("tags", help="the taxonomy: list, add, edit, retire, "
                                      "explain"), "tags_command")  # fmt: skip
    listing = group.add_parser("list", help="the tags in force (with --all, retired ones too)")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=list_tags)
    show = group.add_parser("show", help="one tag with its rules")
    show.add_argument("id")
    show.set_defaults(run=show_tag)
    add = group.add_parser("add", help="add a tag")
    add.add_argument("id")
    add.add_argument("--label-en", required=True)
    add.add_argument("--label-sv", required=True)
    add.add_argument("--description", default="")
    add.add_argument("--parent")
    for name in RULE_FIELDS:
        single = {"countries": "country", "requires": "require"}.get(name, name.rstrip("s"))
        repeatable(add, f"--{single}", "TEXT",
                   f"a seed rule ({name}); repeatable", dest=name)  # fmt: skip
    add.set_defaults(run=add_tag)
    rename = group.add_parser("rename", help="change a tag's labels (its id stays)")
    rename.add_argument("id")
    rename.add_argument("--label-en")
    rename.add_argument("--label-sv")
    rename.set_defaults(run=rename_tag)
    edit = group.add_parser("edit", help="change a tag's description, parent or rules")
    edit.add_argument("id")
    repeatable(edit, "--set", "FIELD=VALUE", f"set one of {', '.join(SCALARS)}")
    repeatable(edit, "--add", "RULES=TEXT", f"add to one of {', '.join(RULE_FIELDS)}")
    repeatable(edit, "--remove", "RULES=TEXT", "remove from a rule list")
    edit.set_defaults(run=edit_tag)
    retire = group.add_parser("retire", help="retire a tag (its history stays)")
    retire.add_argument("id")
    retire.add_argument("--force", action="store_true", help="retire even if it is in use")
    retire.set_defaults(run=retire_tag)
    restore = group.add_parser("restore", help="bring a retired tag back")
    restore.add_argument("id")
    restore.set_defaults(run=restore_tag)
    history = group.add_parser("history", help="the taxonomy's changes")
    history.add_argument("id", nargs="?")
    history.set_defaults(run=show_history)
    group.add_parser("export", help="the taxonomy as TOML on stdout").set_defaults(run=export)
    imp = group.add_parser("import", help="add or replace tags from a TOML file")
    imp.add_argument("file")
    imp.set_defaults(run=import_file)
    explain = group.add_parser("explain", help="why a call has (or lacks) each tag")
    explain.add_argument("call", type=arguments.call_ref, help="the call's number or identifier")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(run=explain_call)


CHANGED = "taxonomy updated; run `funding-monitor classify` to re-tag the calls"


def list_tags(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags
    from monitor.cli.output import print_json

    rows = tags.rows(app, retired=args.all)
    if args.json:
        print_json([{"id": r.id, "label_en": r.label_en, "label_sv": r.label_sv,
                     "parent": r.parent, "retired": r.retired_at is not None}
                    for r in rows])  # fmt: skip
        return 0
    for r in rows:
        mark = " (retired)" if r.retired_at else ""
        indent = "  " if r.parent else ""
        print(f"{indent}{r.id:<24} {r.label_en} / {r.label_sv}{mark}")
    return 0


def show_tag(args: argparse.Namespace, app: App) -> int:
    import tomli_w

    from monitor.app import tags

    print(tomli_w.dumps({"tag": [tags.get(app, args.id).as_dict()]}), end="")
    return 0


def show_history(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    for e in tags.history(app, args.id):
        detail = json.dumps(e.detail, ensure_ascii=False) if e.detail else ""
        print(f"{e.at:%Y-%m-%d %H:%M} {e.tag_id:<24} {e.kind:<9} {detail}"[:200])
    return 0


def export(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    sys.stdout.write(tags.export(app))
    return 0


def add_tag(args: argparse.Namespace, app: App) -> int:
    from classifiers.taxonomy import Tag
    from monitor.app import tags

    rules = {name: tuple(getattr(args, name)) for name in RULE_FIELDS}
    tags.add(app, Tag(args.id, args.label_en, args.label_sv, args.description, args.parent,
                      **rules))  # fmt: skip
    print(CHANGED)
    return 0


def rename_tag(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    tags.rename(app, args.id, args.label_en, args.label_sv)
    print(CHANGED)
    return 0


def edit_tag(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    tags.edit(app, args.id, tags.Edit(args.set, args.add, args.remove))
    print(CHANGED)
    return 0


def import_file(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    tags.import_file(app, Path(args.file))
    print(CHANGED)
    return 0


def retire_tag(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    done = tags.retire(app, args.id, force=args.force)
    if not done.done:
        print(f"warning: tag {args.id} is on {done.calls} calls and in {done.labels} labels, "
              f"and {len(done.followers)} subscribers follow it; their subscriptions to it "
              "will match nothing once it is retired.", file=sys.stderr)  # fmt: skip
        for follower in done.followers:
            print(f"  subscriber {follower.id}: {follower.shown}", file=sys.stderr)
        print("Retire it anyway with --force.", file=sys.stderr)
        return 1
    print(f"tag {args.id} retired (removed from {done.calls} calls; labels kept)")
    return 0


def restore_tag(args: argparse.Namespace, app: App) -> int:
    from monitor.app import tags

    tags.restore(app, args.id)
    print(f"tag {args.id} restored; run `funding-monitor classify --all` to re-tag")
    return 0


def explain_call(args: argparse.Namespace, app: App) -> int:
    from monitor.app import model
    from monitor.cli.output import print_json

    data = model.explain(app, args.call)
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
