"""Background scoring for the uncertainty-first queue.

    python -m duelist.engine.application.uncertainty_job --db duelist.db --model-id 3

Scores every comparison that is still open (fewer than `--overlap` judges) and
that this model has not scored yet, page by page, and stores both rewards per
comparison (`scores` table). The annotate queue then orders by the smallest
|reward(A) - reward(B)|, or the largest ensemble spread when the model is an
ensemble. It runs as its own process so annotators never wait for it: each page
is committed on its own, so the queue improves while the job is still running,
and a killed job resumes where it stopped (scored items are skipped). Once the
open items are done, the judged ones follow (unless --no-judged), so that
`duelist stats` can say how often each annotator agrees with the model.

Events go to stdout as JSON lines (engine/runs/events.py): start, log, done, error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from duelist.engine.application import model_choice
from duelist.engine.runs.events import EventWriter
from duelist.engine.runs.processes import pid_alive
from duelist.store import Score, Store

RUNNING_KEY = "score_queue.running"
PAGE = 256

# (prompts, responses) -> (rewards, spreads or None)
ScoreFn = Callable[[Sequence[str], Sequence[str]], tuple[list[float], list[float] | None]]


def scores_with_spread(model: Any) -> ScoreFn:
    """The job's scoring function for a loaded scorer: rewards, plus the spread across
    members when it is an ensemble (None for a single model)."""

    def score(prompts: Sequence[str], responses: Sequence[str]):
        detail = model.score_detail(prompts, responses)
        return detail.scores, detail.std

    return score


def load_score_fn(path: str) -> ScoreFn:
    """A scoring function for a model dir (an ensemble dir scores as an ensemble), chosen
    and loaded as `duelist score --model DIR` does (engine/application/model_choice.py)."""
    choice = model_choice.choose(None, [path])
    assert choice is not None  # a named dir is always a choice (or a one-line error)
    return scores_with_spread(model_choice.load(choice))


def score_open_comparisons(store: Store, model_id: int, score_fn: ScoreFn, *,
                           overlap: int | None = 1, page: int = PAGE,
                           progress: Callable[[int, int], None] | None = None) -> int:
    """Score and store every open (overlap None: every), unscored comparison for
    `model_id`; return how many."""
    total = store.count_unscored_open(model_id, overlap=overlap)
    done, after = 0, 0
    while True:
        batch = store.unscored_open_comparisons(model_id, overlap=overlap, after_id=after,
                                                limit=page)
        if not batch:
            return done
        prompts = [c.prompt for c in batch for _ in (0, 1)]
        responses = [r for c in batch for r in (c.response_a, c.response_b)]
        rewards, spreads = score_fn(prompts, responses)
        store.put_scores(
            Score(model_id, c.id, rewards[2 * i], rewards[2 * i + 1],
                  spreads[2 * i] if spreads else None, spreads[2 * i + 1] if spreads else None)
            for i, c in enumerate(batch))
        done += len(batch)
        after = batch[-1].id
        if progress is not None:
            progress(done, max(total, done))


def job_running(store: Store, model_id: int | None = None) -> bool:
    """Whether a live scoring job (for `model_id`, or any) holds the marker."""
    mark: dict[str, Any] | None = store.get_setting(RUNNING_KEY)
    if not mark or not pid_alive(mark.get("pid")):
        return False
    return model_id is None or mark.get("model_id") == model_id


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m duelist.engine.application.uncertainty_job",
                                description="Score open comparisons for the uncertainty queue.")
    p.add_argument("--db", required=True)
    p.add_argument("--model-id", type=int, default=None,
                   help="model to score with (default: the current model)")
    p.add_argument("--overlap", type=int, default=1)
    p.add_argument("--page", type=int, default=PAGE)
    p.add_argument("--no-judged", dest="with_judged", action="store_false",
                   help="score only open items (by default judged ones follow, for the "
                        "'agreement with the model' statistic)")
    args = p.parse_args(argv)
    out = EventWriter()
    t0 = time.monotonic()
    store = Store.open(args.db)
    try:
        # the queue stores scores per registered model: never an aspect set here
        choice = model_choice.choose(store, model_id=args.model_id, aspects=False)
        if choice is None or choice.model_id is None:
            out.emit("error", message=f"{args.db}: no such model "
                     f"({args.model_id if args.model_id is not None else 'no current model'})",
                     traceback_tail="")
            return 2
        model_id, model_path = choice.model_id, choice.paths[0]
        if job_running(store, model_id) and store.get_setting(RUNNING_KEY)["pid"] != os.getpid():
            out.emit("done", model_dir=model_path, metrics={"scored": 0, "skipped": "running"},
                     duration_s=0.0)
            return 0
        store.set_setting(RUNNING_KEY, {"pid": os.getpid(), "model_id": model_id,
                                        "started": time.time()})
        total = store.count_unscored_open(model_id, overlap=args.overlap)
        rest = store.count_unscored_open(model_id, overlap=None) if args.with_judged else total
        out.emit("start", run_id=None, total_steps=rest, epochs=0, n_train=0, n_valid=0,
                 n_truncated=0, model=model_path, config={"job": "score_queue",
                                                          "model_id": model_id})
        if rest == 0:  # nothing to do: do not pay for loading a model
            out.emit("done", model_dir=model_path, metrics={"scored": 0, "model_id": model_id},
                     duration_s=round(time.monotonic() - t0, 3))
            return 0
        fn = scores_with_spread(model_choice.load(choice))
        n = score_open_comparisons(
            store, model_id, fn, overlap=args.overlap, page=args.page,
            progress=lambda d, t: out.emit("log", message=f"scored {d}/{t} open items"))
        if args.with_judged:  # then the judged ones: stats compare annotators with the model
            n += score_open_comparisons(
                store, model_id, fn, overlap=None, page=args.page,
                progress=lambda d, t: out.emit("log", message=f"scored {d}/{t} judged items"))
        out.emit("done", model_dir=model_path, metrics={"scored": n, "model_id": model_id},
                 duration_s=round(time.monotonic() - t0, 3))
        return 0
    except Exception as exc:  # the stream must end in error, never a silent death
        out.emit("error", message=f"{type(exc).__name__}: {exc}",
                 traceback_tail=traceback.format_exc()[-2000:])
        return 1
    finally:
        mark = store.get_setting(RUNNING_KEY)
        if mark and mark.get("pid") == os.getpid():
            store.set_setting(RUNNING_KEY, {})
        store.close()


if __name__ == "__main__":
    sys.exit(main())
