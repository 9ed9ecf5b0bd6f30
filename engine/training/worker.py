"""The training worker process: `python -m duelist.engine.training.worker --params PARAMS.json`.

Contract (the TUI and the CLI both rely on it):

    python -m duelist.engine.training.worker --params PARAMS.json
        [--db DB [--run-id N]] [--events-file FILE]

- PARAMS.json: `RewardParams.to_json()` (unknown keys are an error).
- stdout: JSON-lines events ONLY (`engine/runs/events.py`): start, step, eval, log, done,
  error. Everything else (transformers/TRL chatter, logs) goes to stderr: the worker
  points fd 1 at stderr and keeps a private copy of the real stdout for events.
- Every event is also appended to `--events-file` (default `<run_dir>/events.jsonl`)
  so a restarted TUI can follow a run that outlived it.
- With --db: the run is recorded in the store by THIS process (status running ->
  done/failed/interrupted, pid, config, metrics per step/eval, final metrics). With
  --run-id it updates that queued row (keeping the run folder its front end recorded,
  engine/runs/layout.py), else it creates one. The model dir is registered in
  `models` only after its atomic rename succeeded. This process owns the run's
  status; engine/application/run_follower.py settles it only when this process
  could not (killed, never started).
- Exit status: 0 done, 2 bad params/data/model (one-line `error` event), 1 internal
  error (`error` with a traceback tail), 130 interrupted (SIGINT/SIGTERM).
- A stream that ends without `done` is a failed run.
- Under `accelerate launch` only rank 0 emits and records; the others just train.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import IO, Any

from duelist.engine.errors import DuelistError
from duelist.engine.runs.layout import RunLayout
from duelist.engine.runs.recorder import RunRecorder
from duelist.engine.training import distributed
from duelist.engine.training.launch import cpu_distributed_env


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m duelist.engine.training.worker",
                                description="Train a reward model; JSON-lines events on stdout.")
    p.add_argument("--params", required=True, help="RewardParams as JSON")
    p.add_argument("--db", help="project database to record the run in")
    p.add_argument("--run-id", type=int, help="existing run row to update (needs --db)")
    p.add_argument("--events-file", help="also append events here (default <run_dir>/events.jsonl)")
    return p


def _claim_stdout() -> IO[str]:
    """Keep the real stdout for events; send everything else printed to stderr."""
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return events


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _tail(exc: BaseException, lines: int = 6) -> str:
    return "".join(traceback.format_exception(exc)[-lines:])


def run(params_file: str, *, db: str | None, run_id: int | None, events_file: str | None,
        stream: IO[str]) -> int:
    from duelist.engine.training.params import RewardParams

    t0 = time.monotonic()
    rank0 = distributed.rank() == 0
    params = None
    try:
        params = RewardParams.from_json_file(params_file)
    except DuelistError as exc:
        recorder = RunRecorder(stream if rank0 else open(os.devnull, "w"),  # noqa: SIM115
                               Path(events_file) if events_file and rank0 else None,
                               db=db if rank0 and run_id is not None else None, run_id=run_id)
        recorder.emit("error", message=str(exc), kind="params")
        recorder.fail(str(exc))
        recorder.close()
        return 2
    ev_path = Path(events_file) if events_file else RunLayout(params.run_dir).events
    recorder = RunRecorder(stream if rank0 else open(os.devnull, "w"),  # noqa: SIM115
                           ev_path if rank0 else None, db=db if rank0 else None, run_id=run_id)
    try:
        recorder.begin(params.project_name, params.to_dict(), params.run_dir)
        recorder.emit("log", message="loading training libraries")
        _without_bitsandbytes(params.quantization)
        if params.ensemble > 1:
            model_dir, metrics, base = _train_ensemble(params, recorder, db)
        else:
            from duelist.engine.training.train import train

            model = train(params, db=db, emit=recorder.emit)
            if model is None:  # a non-zero rank under accelerate
                return 0
            model_dir, metrics = str(params.output_dir), model.meta.get("metrics", {})
            base = model.meta.get("base_model")
        recorder.finish(model_dir, metrics, name=params.project_name, base_model=base)
        recorder.emit("done", model_dir=model_dir, metrics=metrics,
                      duration_s=round(time.monotonic() - t0, 3))
        return 0
    except DuelistError as exc:
        _failed(params.run_dir, rank0, str(exc))
        recorder.emit("error", message=str(exc), kind="user")
        recorder.fail(str(exc))
        return 2
    except KeyboardInterrupt:
        peer = distributed.first(params.run_dir) if rank0 else None
        if peer is not None:  # torchrun stopped us because another rank failed
            recorder.emit("error", message=peer, kind="internal")
            recorder.fail(peer)
            return 1
        # SIGINT/SIGTERM: the user's cancel or Ctrl+C, not a failure (issue 14, item 14).
        recorder.emit("error", message="stopped on request (cancel or Ctrl+C)", kind="interrupted")
        recorder.fail("stopped on request (cancel or Ctrl+C)", status="interrupted")
        return 130
    except Exception as exc:
        message = f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}"
        _failed(params.run_dir, rank0, message)
        # A broken collective in rank 0 is only the echo of a peer's failure: report the cause.
        message = (distributed.first(params.run_dir) if rank0 else None) or message
        recorder.emit("error", message=message, kind="internal", traceback_tail=_tail(exc))
        recorder.fail(message)
        traceback.print_exc(file=sys.stderr)
        return 1
    finally:
        recorder.close()


def _without_bitsandbytes(quantization: str | None) -> None:
    """A run that does not quantize never touches bitsandbytes: mark it absent here.

    peft (through transformers' trainer utils) imports bitsandbytes whenever it is
    installed, and bitsandbytes drags in torch._inductor: 2.5 s of the 10.2 s it took
    to import the training module on a loaded 2-core machine (`python -X importtime`),
    and a "Failed to load CPU gemm_4bit_forward" warning on every CPU run. With the
    module marked absent, peft's and transformers' availability checks say no and
    nothing imports it. Only this worker process is affected.
    """
    if not quantization and "bitsandbytes" not in sys.modules:
        sys.modules["bitsandbytes"] = None  # type: ignore[assignment]


def _failed(run_dir: Path, rank0: bool, message: str) -> None:
    """A non-zero rank leaves its error for rank 0, which alone reports the run."""
    if not rank0:
        distributed.record(run_dir, message)


def _train_ensemble(params: Any, recorder: RunRecorder,
                    db: str | None) -> tuple[str, dict[str, Any], str | None]:
    from duelist.engine.training.ensemble_training import train_ensemble

    # members train on the project's judgements when there is no --data-path
    result = train_ensemble(params, params.ensemble, emit=recorder.emit, db=recorder.db)
    return str(result.path or params.output_dir), dict(result.meta.get("metrics", {})), params.model


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.run_id is not None and not args.db:
        print("worker: --run-id needs --db", file=sys.stderr)
        return 2
    stream = _claim_stdout()
    signal.signal(signal.SIGTERM, _on_sigterm)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.update(cpu_distributed_env())  # torchrun on CPU: a gloo group, not N solo runs
    return run(args.params, db=args.db, run_id=args.run_id, events_file=args.events_file,
               stream=stream)


if __name__ == "__main__":
    sys.exit(main())
