"""`duelist rank`: sort candidate responses to a prompt by reward.

    duelist rank --model DIR --prompt TEXT RESPONSE [RESPONSE ...]
    duelist rank --model DIR --file candidates.jsonl

Prints, best first: the reward (± ensemble spread), a bar placing it between the best
and worst, per-aspect rewards for aspect sets, and P(beats next): the Bradley-Terry
probability that the response beats the one below it (calibrated with --calibrated).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.scoring.ranking import candidates_from_file
from duelist.tui.cli import scoring_opts as so
from duelist.tui.cli.textout import dumps

_EPILOG = """\
--file rows (JSON, JSONL, CSV, Parquet): {prompt, responses: [...]} ranks each row;
{prompt, response} rows are grouped by prompt. With --prompt, rows need only the
response(s).

examples:
  duelist rank --model reward-model --prompt "Write a haiku about coding" \\
      "Bugs hide in the code..." "coding is hard..."
  duelist rank --file candidates.jsonl --calibrated          # the project's current model
  duelist rank --model a --model b --model c --aggregate min --prompt P R1 R2
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rank", help="rank candidate responses to a prompt with a reward model",
        description="Rank responses by reward, best first, with the probability that each "
                    "beats the next.", epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("responses", nargs="*", metavar="RESPONSE", help="candidate responses")
    p.add_argument("--prompt", help="the prompt the responses answer")
    p.add_argument("--file", type=Path, help="read prompt(s) and responses from a file")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    so.add_model_options(p)
    p.set_defaults(func=run)


def _groups(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    if args.file is not None:
        if args.responses:
            raise InputError("give responses either on the command line or with --file, not both")
        return candidates_from_file(args.file, args.prompt)
    if args.prompt is None:
        raise InputError("--prompt is required (or --file)")
    if not args.responses:
        raise InputError("give at least one RESPONSE to rank")
    return [(args.prompt, list(args.responses))]


def _as_json(prompt: str, ranked: list[Any]) -> dict[str, Any]:
    return {"prompt": prompt, "ranking": [
        {"rank": r.position, "index": r.index, "score": r.score, "std": r.std,
         "p_beats_next": r.p_beats_next, "aspects": r.aspects, "response": r.response}
        for r in ranked]}


def _table(prompt: str, ranked: list[Any], calibrated: bool) -> Any:
    from duelist.tui.text.ranking import fmt_prob, fmt_score, preview, score_bar
    from rich.table import Table
    from rich.text import Text

    lo, hi = min(r.score for r in ranked), max(r.score for r in ranked)
    table = Table(title=Text(preview(prompt, 90)), title_justify="left", expand=False)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("P(>next)" + (" cal" if calibrated else ""), justify="right")
    aspects = list(ranked[0].aspects or {})
    for a in aspects:
        table.add_column(Text(so.clean(a)), justify="right")
    table.add_column("response", overflow="fold")
    for r in ranked:
        cells = [Text(str(r.position)), Text(fmt_score(r.score, r.std)),
                 Text(score_bar(r.score, lo, hi), style="green"), Text(fmt_prob(r.p_beats_next))]
        cells += [Text(f"{r.aspects[a]:+.3f}") for a in aspects]
        cells.append(Text(preview(r.response)))
        table.add_row(*cells)
    return table


def run(args: argparse.Namespace) -> int:
    from duelist.engine.scoring.ranking import rank_responses

    groups = _groups(args)
    with so.loading("model"):
        model = so.load_model_set(args)
    so.warn_if_calibration_not_applied(model, args.calibrated)
    results = [(prompt, rank_responses(model, prompt, responses, calibrated=args.calibrated))
               for prompt, responses in groups]
    if args.json:
        out = [_as_json(p, r) for p, r in results]
        print(dumps(out[0] if len(out) == 1 else out, indent=1))
        return 0
    from rich.console import Console

    console = Console(highlight=False)
    for prompt, ranked in results:
        console.print(_table(prompt, ranked, args.calibrated))
    return 0
