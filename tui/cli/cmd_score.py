"""`duelist score IN OUT`: add reward columns to a JSONL/JSON/CSV/Parquet file.

    duelist score generations.jsonl scored.jsonl --model reward-model
    duelist score pairs.parquet out.parquet --model a --model b --aggregate min
    duelist score gens.csv out.csv --model helpfulness=h --model harmlessness=s \\
        --weights helpfulness=0.6,harmlessness=0.4

Columns added are described in duelist.engine.scoring.score_file. OUT is written atomically
(temp file + rename); its format follows its extension.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.engine.scoring.model_set import temperature_of
from duelist.tui.cli import scoring_opts as so
from duelist.tui.cli.textout import say

_EPILOG = """\
columns added (all input columns are kept):
  reward / reward_<col>     reward of each response column (the weighted sum for aspects)
  reward_<col>_std          spread across ensemble members (uncertainty)
  reward_<col>_<aspect>     each aspect's own reward (with --weights)
  p_<a>_over_<b>            P(a beats b) for two response columns, e.g. chosen/rejected
                            (calibrated with --calibrated)
response columns: --response-column (repeatable); by default 'response', else
'chosen'+'rejected', else 'response_a'+'response_b'.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", help="score a file of responses and add reward columns",
        description="Score every response in IN with a reward model (or ensemble, or weighted "
                    "aspect models) and write OUT with reward columns added.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", type=Path, metavar="IN", help="JSONL, JSON, CSV/TSV or Parquet file")
    p.add_argument("output", type=Path, metavar="OUT", help="where to write (format by extension)")
    p.add_argument("--prompt-column", default="prompt", metavar="COL",
                   help="prompt column (default: prompt)")
    p.add_argument("--response-column", dest="response_columns", action="append",
                   metavar="COL", help="response column to score (repeatable)")
    p.add_argument("--normalize", action="store_true",
                   help="reward columns as (reward - mean) / std, with the mean/std of the "
                        "model's training rewards saved in its dir (single model dirs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    so.add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from duelist.engine.scoring import score_file

    if not args.input.exists():
        raise InputError("no such file", path=str(args.input))
    if args.output.exists() and args.output.resolve() == args.input.resolve():
        raise InputError("OUT must differ from IN (scoring never overwrites its input)",
                         path=str(args.output))
    job = score_file.prepare(args.input, args.output, prompt_column=args.prompt_column,
                             response_columns=args.response_columns)
    with so.loading("model"):
        model = so.load_model_set(args)
    if args.calibrated:
        temperature_of(model, True)  # no calibration: fail now, not after scoring
        so.warn_if_calibration_not_applied(model, True)
    if args.normalize:
        from duelist.engine.scoring.reward_stats import normalizer

        normalizer(model)  # no statistics: fail now, not after scoring
    with so.progress_bar(f"scoring {job.n_texts} responses",
                         enabled=not args.no_progress) as progress:
        summary = score_file.run(model, job, calibrated=args.calibrated, progress=progress,
                                 normalize=args.normalize)
    say(f"scored {summary.responses} responses in {summary.rows} rows with "
          f"{so.describe(model)} -> {summary.out} (added: {', '.join(summary.columns_added)})",
          file=sys.stderr)
    return 0
