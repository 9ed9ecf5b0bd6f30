"""`duelist eval --model DIR --data PAIRS`: how good is a reward model, and is it honest?

Reports pairwise accuracy, mean margin, expected calibration error (ECE) before and
after the model dir's fitted temperature, and how strongly reward tracks response
length (a reward that mostly measures length rewards verbosity, whatever its accuracy).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.tui.cli import scoring_opts as so
from duelist.tui.cli.textout import dumps, say
from duelist.tui.text.accuracy import accuracy_text, chance_warning


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="accuracy, margin, calibration (ECE) and length bias on held-out pairs",
        description="Evaluate a reward model on preference pairs (prompt/chosen/rejected in "
                    "JSON, JSONL, CSV or Parquet, or any shape 'duelist import' reads).")
    p.add_argument("--data", type=Path, required=True, metavar="PAIRS", help="held-out pairs")
    p.add_argument("--prompt-text-column", default="prompt", metavar="COL")
    p.add_argument("--text-column", default="chosen", metavar="COL", help="chosen column")
    p.add_argument("--rejected-text-column", default="rejected", metavar="COL")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    so.add_model_options(p)
    p.set_defaults(func=run)


def _fmt(value: float | None, spec: str = ".4f") -> str:
    return "n/a" if value is None else format(value, spec)


def run(args: argparse.Namespace) -> int:
    from duelist.engine.ingest import FileInfo, read_pairs
    from duelist.engine.scoring.evaluate import evaluate

    if not args.data.exists():
        raise InputError("no such file", path=str(args.data))
    info = FileInfo(str(args.data))
    pairs = read_pairs(args.data, args.prompt_text_column, args.text_column,
                       args.rejected_text_column, info=info)
    if info.skipped:  # import refuses such rows; eval leaves them out, and says so
        say(f"{args.data}: {info.skipped} row{'s' if info.skipped != 1 else ''} with an empty "
            "text left out of the evaluation", file=sys.stderr)
    if not pairs:
        raise InputError("no preference pairs to evaluate", path=str(args.data))
    with so.loading("model"):
        model = so.load_model_set(args)
    calibration = getattr(model, "calibration", None)
    with so.progress_bar("scoring pairs", enabled=not args.no_progress) as progress:
        report = evaluate(model, pairs, calibration=calibration, progress=progress)
    if args.json:
        say(dumps(report.as_dict(), indent=1))
        return 0
    cal_line = (f"{_fmt(report.ece_calibrated)} (temperature {report.temperature:.3f})"
                if report.temperature is not None else "n/a (no calibration.json in the model dir)")
    if calibration is not None and not calibration.applied:
        cal_line = f"n/a: the model dir's calibration was {calibration.note}"
    lines = [
        f"model            {so.describe(model)}",
        f"pairs            {report.n_pairs}",
        f"accuracy         {accuracy_text(report.accuracy, report.n_pairs, digits=4)} "
        "(a tie counts half)",
        f"mean margin      {report.mean_margin:+.4f}",
        f"ECE              {report.ece:.4f} (raw sigmoid of the margin)",
        f"ECE calibrated   {cal_line}",
        f"ECE best-fit T   {report.ece_refit:.4f} (temperature refit on this data: the floor)",
        f"length corr      pearson {_fmt(report.length_pearson, '+.3f')}, "
        f"spearman {_fmt(report.length_spearman, '+.3f')} (reward vs characters)",
        f"longer wins      {report.longer_wins:.1%} of pairs with different lengths",
    ]
    warning = chance_warning(report.accuracy, report.n_pairs)
    if warning:
        lines.append(f"warning          {warning}")
    say("\n".join(lines))
    return 0
