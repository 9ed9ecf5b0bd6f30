"""Peak memory (and time) of the round-two unbounded cases, fixed vs. baseline, one run.

Each case runs in a fresh child process (`python bench/memory_bench.py --child CASE MODE`)
that reports its peak RSS (ru_maxrss) and the RSS it had before the work started, so
the figure is what the work itself added. MODE `baseline` re-creates the old behaviour
in the same code (whole-file batches, no text pre-cut, all-pairs expansion, the
quadratic header check, score with the whole input in one chunk); `fixed` is the code
as shipped. Usage: `quiet .venv/bin/python bench/memory_bench.py` (figures in BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_TMP", tempfile.gettempdir())) / "duelist-memory-bench"
CASES = ("csv_header", "responses_row", "parquet_big_texts", "parquet_random_texts",
         "score_file", "huge_response")
# Parquet also has `batch16mb`: the reader as round two first shipped it (16 MB batches,
# unbuffered column chunks), between `baseline` (8,192-row batches) and `fixed`.
PARQUET_MODES = ("baseline", "batch16mb", "fixed")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _rss_kib() -> int:
    return _status_kib("VmRSS")


def _make_inputs() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    WORK.mkdir(parents=True, exist_ok=True)
    names = ["prompt", "chosen", "rejected", *[f"c{i}" for i in range(100_000)]]
    (WORK / "wide.csv").write_text(",".join(names) + "\n" + ",".join(["x"] * len(names)) + "\n")
    (WORK / "row.jsonl").write_text(json.dumps(
        {"prompt": "p", "responses": [f"answer number {i}" for i in range(2500)]}) + "\n")
    big = [{"prompt": f"p{i}", "chosen": f"{i} " + "good words " * 190_000,
            "rejected": f"{i} " + "bad words " * 200_000} for i in range(10)]
    pq.write_table(pa.Table.from_pylist(big), str(WORK / "big.parquet"), compression="zstd")
    # The case: ten rows of two 2 MB texts of random words, ~21 MB with zstd
    # (big.parquet repeats one phrase: 5 KB on disk for the same 41 MB of text).
    import random

    rng = random.Random(0)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(50_000)]
    words = 2_000_000 // 6

    def text() -> str:
        return " ".join(rng.choices(vocab, k=words))

    rand = [{"prompt": f"p{i}", "chosen": text(), "rejected": text()} for i in range(10)]
    pq.write_table(pa.Table.from_pylist(rand), str(WORK / "rand.parquet"), compression="zstd")
    with (WORK / "score.jsonl").open("w") as fh:
        for i in range(20_000):
            fh.write(json.dumps({"prompt": f"question {i} " * 20, "chosen": f"good {i} " * 60,
                                 "rejected": f"bad {i} " * 60, "meta": "m" * 200}) + "\n")
    from tiny_models import build_bert

    if not (WORK / "model").exists():
        build_bert(WORK / "model")


def _child(case: str, mode: str) -> dict:
    base = mode == "baseline"
    from duelist.engine.ingest import items, readers

    before = _rss_kib()
    t = time.perf_counter()
    if case == "csv_header":
        header = (WORK / "wide.csv").read_text().splitlines()[0].split(",")
        if base:
            for i, name in enumerate(header):
                assert header.index(name) == i
        else:
            from duelist.engine.ingest.readers import iter_csv

            list(iter_csv(WORK / "wide.csv"))
        n = len(header)
    elif case == "responses_row":
        opts = items.ReadOptions(max_responses=0 if base else items.MAX_RESPONSES)
        try:
            n = sum(1 for _ in items.iter_items(WORK / "row.jsonl", opts))
        except Exception as exc:
            n = f"refused: {type(exc).__name__}"
    elif case in ("parquet_big_texts", "parquet_random_texts"):
        from duelist.engine.ingest import parquet_budget

        if mode in ("baseline", "batch16mb"):
            import pyarrow.parquet as pq

            parquet_budget.open_parquet = lambda path: pq.ParquetFile(str(path))
            parquet_budget.BATCH_BYTES = 16 << 20
            if base:
                parquet_budget.BATCH_BYTES = 1 << 62  # 8,192 rows (MAX_BATCH_ROWS)
        name = "big.parquet" if case == "parquet_big_texts" else "rand.parquet"
        n = sum(1 for _ in readers.iter_parquet(WORK / name))
    elif case == "score_file":
        from duelist.engine.scoring import score_file
        from duelist.engine.scoring.reward_model import RewardModel

        if base:
            score_file.CHUNK_ROWS = 10**9
        model = RewardModel.load(WORK / "model")
        before = _rss_kib()
        t = time.perf_counter()
        n = score_file.score_file(model, WORK / "score.jsonl", WORK / "scored.jsonl").rows
    elif case == "huge_response":
        from duelist.engine.models.encoding import PairEncoder
        from duelist.engine.models.loading import embedded_minilm_path, load_tokenizer

        enc = PairEncoder(load_tokenizer(embedded_minilm_path()), 256)
        if base:
            enc._char_cap = 10**12
        text = "a long response about many things " * 150_000  # ~5 MB
        before = _rss_kib()
        t = time.perf_counter()
        n = len(enc.encode("prompt", text).input_ids)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent.
    peak = _status_kib("VmHWM")
    return {"case": case, "mode": mode, "seconds": round(time.perf_counter() - t, 2),
            "peak_mib": round(peak / 1024), "added_mib": round((peak - before) / 1024),
            "result": n}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, str(ROOT / "tests"))
        print(json.dumps(_child(sys.argv[2], sys.argv[3])))
        return
    sys.path.insert(0, str(ROOT / "tests"))
    if sys.argv[1:2] == ["--inputs"]:
        _make_inputs()
        return
    subprocess.run([sys.executable, __file__, "--inputs"], check=True)
    cases = sys.argv[1:] or list(CASES)
    print(f"{'case':20} {'mode':9} {'seconds':>8} {'peak MiB':>9} {'added MiB':>10}  result")
    for case in cases:
        for mode in PARQUET_MODES if case.startswith("parquet") else ("baseline", "fixed"):
            out = subprocess.run([sys.executable, __file__, "--child", case, mode],
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0:
                print(f"{case:20} {mode:9} FAILED: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{case:20} {mode:9} {r['seconds']:8} {r['peak_mib']:9} {r['added_mib']:10}"
                  f"  {r['result']}")


if __name__ == "__main__":
    main()
