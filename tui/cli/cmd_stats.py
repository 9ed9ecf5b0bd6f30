"""`duelist stats`: what the project holds, for people (default) or scripts (--json)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from duelist.engine.application.project_stats import build_stats
from duelist.engine.safe_text import clean
from duelist.store import Store, StoreError
from duelist.tui.cli import main as cli
from duelist.tui.cli.textout import dumps, say
from duelist.tui.text.judgements import render_judgements
from duelist.tui.text.learning_curve import render_learning_curve
from duelist.tui.text.quality import render_quality

Renderer = Callable[[dict[str, Any]], list[str]]
RENDERERS: dict[str, Renderer] = {}
"""section name -> lines; sections without one print as `key: value` lines."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="counts of comparisons, judgements, annotators, runs",
                       description="Summarise the project database: comparisons, judgements "
                                   "per annotator, resolved pairs, training runs and models.")
    cli.add_db_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(func=run)


def _overview(d: dict[str, Any]) -> list[str]:
    return [f"comparisons  {d['comparisons']} ({d['judged']} judged, {d['gold']} with gold)",
            # "live" counts what decides something, as `judged` and the S screen do;
            # skips are said apart (issue 14: "24 judged, 25 live" looked like a mismatch).
            f"judgements   {d['annotations'] - d['skips']} live, {d['skips']} skips, "
            f"{d['undone']} undone"]


def _sources(d: dict[str, Any]) -> list[str]:
    return [f"  {clean(name) or '(made in the app)'}: {n}" for name, n in d.items()]


def _annotators(d: dict[str, Any]) -> list[str]:
    lines = [f"annotators   {len(d)}"]
    for who, info in d.items():
        choices = ", ".join(f"{c} {n}" for c, n in info["choices"].items())
        lines.append(f"  {clean(who)}: {info['judgements']} ({choices})")
    return lines


def _resolution(d: dict[str, Any]) -> list[str]:
    return [f"pairs        {d['pairs']} by majority vote (left out: {d['tie']} ties, "
            f"{d['both_bad']} both-bad, {d['conflict']} conflicts, {d['skip']} only skipped)"]


def _training(d: dict[str, Any]) -> list[str]:
    status = ", ".join(f"{s} {n}" for s, n in d["by_status"].items())
    runs = f"runs         {d['runs']}" + (f" ({status})" if status else "")
    model = f"models       {d['models']}" + (
        f" (current: {clean(d['current_model'])})" if d["current_model"] else "")
    return [runs, model]


RENDERERS.update(overview=_overview, annotators=_annotators, resolution=_resolution,
                 training=_training)


def _sources_block(d: dict[str, Any]) -> list[str]:
    return ["sources", *_sources(d)] if d else []


RENDERERS["sources"] = _sources_block
RENDERERS["quality"] = render_quality
RENDERERS["judgements"] = render_judgements
RENDERERS["learning_curve"] = render_learning_curve


def render(stats: dict[str, Any]) -> str:
    lines: list[str] = []
    for name, data in stats.items():
        renderer = RENDERERS.get(name)
        if renderer is not None:
            lines.extend(renderer(data))
        else:
            lines.append(f"{name}:")
            lines.extend(f"  {k}: {v}" for k, v in (data.items() if isinstance(data, dict)
                                                     else [("value", data)]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        raise StoreError(f"{args.db}: no such database; run 'duelist import' first")
    with Store.open_for_reading(args.db) as store:
        stats = build_stats(store)
    if args.json:
        print(dumps({"db": str(args.db), **stats}))
    else:
        say(f"database     {args.db}")
        say(render(stats))
    return 0
