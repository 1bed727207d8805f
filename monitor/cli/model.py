"""The model's commands: `classify`, `label`, `train`, `evaluate`, `review`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from monitor.cli import arguments

if TYPE_CHECKING:
    from monitor.app.context import App


def register(commands: Any) -> None:
    classify = commands.add_parser(
        "classify", help="tag new or changed calls (or a JSON-lines file)"
    )
    classify.add_argument("--all", action="store_true", help="re-tag every stored call")
    classify.add_argument(
        "--input",
        metavar="FILE",
        help="tag JSON lines from FILE ('-' = stdin) to stdout; no database",
    )
    classify.add_argument("--model", metavar="FILE", help="with --input: a saved model file")
    classify.add_argument("--taxonomy", metavar="FILE", help="with --input: a taxonomy TOML")
    classify.set_defaults(run=classify_calls)
    label = commands.add_parser("label", help="say that a call has (or, with --not, lacks) a tag")
    label.add_argument("call", type=arguments.call_ref, help="the call's number or identifier")
    label.add_argument("tag")
    label.add_argument("--not", dest="negative", action="store_true")
    label.set_defaults(run=label_call)
    train = commands.add_parser("train", help="retrain the model on every label and activate it")
    train.add_argument("--force", action="store_true", help="activate even if it scores worse")
    train.set_defaults(run=train_model)
    evaluate = commands.add_parser("evaluate", help="cross-validated precision, recall, F1 per tag")
    evaluate.add_argument(
        "--nested",
        action="store_true",
        help="also measure the per-tag choice by nested cross-validation",
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=evaluate_model)
    review = commands.add_parser(
        "review", help="what to label next: calls readers said 👎 about, then the least sure"
    )
    review.add_argument("--limit", type=arguments.limits, default=20)
    review.add_argument("--json", action="store_true")
    review.set_defaults(run=review_calls)


def classify_calls(args: argparse.Namespace, app: App) -> int:
    from monitor.app import model
    from monitor.cli import output

    if args.input:
        return _classify_file(args)
    with output.progress("tagging", None):
        report = model.classify(app, all_calls=args.all)
    if report.trained:
        print(report.trained)
    if report.warning:
        print(f"warning: {report.warning}", file=sys.stderr)
    print(f"tagged {report.tagged} calls with {report.tagger}")
    return 0


def _classify_file(args: argparse.Namespace) -> int:
    from monitor.app import model
    from monitor.errors import ConfigError

    try:
        handle = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot read {args.input}: {exc.strerror}") from exc
    errors = 0
    with handle:
        for _, line, error in model.classify_lines(handle, model_file=args.model,
                                                   taxonomy_file=args.taxonomy):  # fmt: skip
            if line is None:
                errors += 1
                print(f"error: {args.input}: {error}", file=sys.stderr)
            else:
                sys.stdout.write(line + "\n")
    return 1 if errors else 0


def label_call(args: argparse.Namespace, app: App) -> int:
    from monitor.app import model

    call_id = model.label(app, args.call, args.tag, not args.negative)
    verdict = "does not have" if args.negative else "has"
    print(f"call {call_id} {verdict} tag {args.tag}: stored, and in force now; "
          "`funding-monitor train` learns from it")  # fmt: skip
    return 0


def train_model(args: argparse.Namespace, app: App) -> int:
    from monitor.app import model
    from monitor.cli import output

    with output.stages("training") as tell:
        report = model.train(app, force=args.force, on_progress=tell)
    before = f"{report.previous_macro_f1:.3f}" if report.previous_macro_f1 is not None else "—"
    print(f"model {report.model_id}: {report.labels} labels, trained in {report.seconds:.1f}s, "
          f"cross-validated macro F1 {report.macro_f1:.3f} (active model: {before})")  # fmt: skip
    print(f"saved {report.file}")
    if report.activated:
        print("activated; run `funding-monitor classify` to re-tag the calls")
        return 0
    print("NOT activated: it scores worse than the active model. Use --force to activate it.")
    return 1


def evaluate_model(args: argparse.Namespace, app: App) -> int:
    from monitor.app import model
    from monitor.cli import output

    with output.stages("nested" if args.nested else "evaluating") as tell:
        evaluation, active = model.evaluate(app, nested=args.nested, on_progress=tell)
    if args.json:
        output.print_json({**evaluation.as_dict(),
                           "active_model": active.metrics if active else None})  # fmt: skip
        return 0
    print(output.evaluation_table(evaluation))
    print()
    print(output.deployed_table(evaluation))
    if active is not None:
        f1 = active.metrics.get("chosen_macro_f1", 0)
        print(f"\nactive model {active.id} ({active.labels} labels, {active.created_at:%Y-%m-%d}): "
              f"macro F1 {f1:.3f} with its per-tag choice")  # fmt: skip
    return 0


def review_calls(args: argparse.Namespace, app: App) -> int:
    from monitor.app import model
    from monitor.cli.output import print_json

    items = model.review(app, args.limit)
    if args.json:
        print_json(items)
        return 0
    if not items:
        print("nothing to review (no model, or no calls)")
    for item in items:
        if item["why"] == "feedback":
            print(f"{item['call']:>6}  {'a reader said 👎':<24} {'':>4}  {item['title'][:70]}")
        else:
            print(f"{item['call']:>6}  {item['tag']:<24} {item['score']:.2f}  {item['title'][:70]}")
    return 0
