"""The fast scorer: many (prompt, response) pairs -> rewards, in input order.

Why it is several times faster than the guide's loop (one forward pass per response,
fp32, text re-joined with `sep_token` and re-tokenized each call):
- Inputs are encoded ONCE, by `PairEncoder` (the exact training format), and never
  re-tokenized.
- Items are sorted by token length and batched, so each batch pads only to its own
  longest item (dynamic padding): short responses no longer pay for long ones.
- `torch.inference_mode()` (no autograd bookkeeping) and, where the hardware has it,
  bf16 autocast: on CPUs with avx512_bf16/AMX and on bf16-capable GPUs. Without it we
  stay in fp32; bf16 emulated in software is slower than fp32.
- One autocast context wraps the whole run, so weights are cast to bf16 once, not per
  batch (autocast caches casts until its outermost context exits).
- BERT-family models compute their last layer for the scored [CLS] position only
  (`pooled_token.py`): ~14% of the linear work, exact.
- On CPU, BertForSequenceClassification models (MiniLM) run on packed tokens
  (`packed_encoder.py`): no padded position is computed at all, which on hh data in
  GRPO-sized calls was half of the tokens (fp32: same logits within 1e-7).
- The reward head (pooler + classifier / score) stays fp32, so rewards are not rounded
  to bf16's ~3 significant digits (see `keep_head_fp32`).

Results come back in the order they went in, whatever order the batches ran in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import torch
from duelist.engine.models.encoding import Encoded, PairEncoder
from duelist.engine.models.packed_encoder import packable, packed_logits, token_batches
from duelist.engine.models.pooled_token import pooled_token_only

Progress = Callable[[int, int], None]
PRECISIONS = ("auto", "bf16", "fp32")
PRECISION_ENV = "DUELIST_SCORE_PRECISION"
# Cap on padded tokens per batch: bounds memory and keeps one long item from dragging a
# big batch up to its length. Quiet 2-core run, 1,600 hh responses, bf16 + pooled-token
# last layer: 16 x 4096 gave 65.9 resp/s, 32 x 8192 65.2, 8 x 2048 63.2 (one run each).
DEFAULT_BATCH_TOKENS = 4096
DEFAULT_BATCH_SIZE = 16
# Near-tie refinement (Scorer.score_pairs): items probed in fp32, and the safety factor.
# A pair's margin errs by at most the sum of its two items' errors, so 2 x the worst
# probed error covers it. Measured on 800 hh pairs (trained MiniLM): all 5 bf16 flips had
# |bf16 margin| <= 0.0015 while 2 x the probe's worst error was 0.0094 (39 pairs
# re-checked; 3x re-checked 64, 1x 25 — each also caught every flip).
PROBE = 16
PROBE_MARGIN = 2.0


def bf16_supported(device: torch.device) -> bool:
    """Whether bf16 compute runs natively here (not emulated): the engine's one answer."""
    from duelist.engine.models.precision import bf16_supported as _supported

    return _supported(str(device))


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' -> 'bf16' where supported, else 'fp32'. An explicit 'bf16' is honoured.

    DUELIST_SCORE_PRECISION=fp32 (or bf16) overrides 'auto' everywhere scoring happens
    (CLI, rank screen, queue scoring): for bit-exact fp32 rewards, or identical numbers
    across machines with and without native bf16.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    forced = os.environ.get(PRECISION_ENV, "").strip().lower()
    if precision == "auto" and forced in ("fp32", "bf16"):
        return forced
    if precision == "auto":
        return "bf16" if bf16_supported(device) else "fp32"
    return precision


def length_batches(lengths: Sequence[int], batch_size: int = DEFAULT_BATCH_SIZE,
                   max_tokens: int = DEFAULT_BATCH_TOKENS) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first.

    A batch closes when it holds `batch_size` items or one more would push its padded
    size (items x longest) past `max_tokens`; a single over-long item still gets a batch.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = lengths[current[0]] if current else lengths[i]
        if current and (len(current) >= batch_size or (len(current) + 1) * longest > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


# Modules that turn the last hidden state into the reward: BERT's pooler and classifier,
# the `score` head of decoder models (and RoBERTa-style heads named `classifier`).
HEAD_MODULES = ("pooler", "classifier", "score")


def _fp32_forward(forward: Any, device_type: str) -> Any:
    def run(*args: Any, **kwargs: Any) -> Any:
        def up(x: Any) -> Any:
            return x.float() if torch.is_tensor(x) and x.is_floating_point() else x

        with torch.autocast(device_type=device_type, enabled=False):
            return forward(*[up(a) for a in args], **{k: up(v) for k, v in kwargs.items()})

    return run


def keep_head_fp32(model: Any, device_type: str) -> int:
    """Run the reward head outside bf16 autocast; return how many modules were wrapped.

    Why: under autocast the head's Linear returns bf16, which rounds every REWARD to
    ~3 significant digits (0.2852, 0.3047, ...), so two responses whose rewards differ by
    less than ~0.002 swap order. The body's bf16 error is smaller than that rounding; the
    head is one token wide, so fp32 there costs nothing. Idempotent; a no-op in fp32.
    """
    wrapped = 0
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] in HEAD_MODULES and not getattr(module, "_duelist_fp32", False):
            module.forward = _fp32_forward(module.forward, device_type)
            module._duelist_fp32 = True
            wrapped += 1
    return wrapped


class Scorer:
    """Scores encoded pairs with a sequence-classification reward model (num_labels=1)."""

    def __init__(self, model: Any, encoder: PairEncoder, *, precision: str = "auto",
                 batch_size: int = DEFAULT_BATCH_SIZE,
                 max_batch_tokens: int = DEFAULT_BATCH_TOKENS) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = model.eval()
        self.encoder = encoder
        self.device = next(model.parameters()).device
        self.precision = resolve_precision(precision, self.device)
        self.batch_size = batch_size
        self.max_batch_tokens = max(max_batch_tokens, encoder.max_length)
        pad = encoder.tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else 0
        self.last_refined = 0  # pairs re-scored in fp32 by the last score_pairs call
        if self.precision == "bf16":
            keep_head_fp32(model, self.device.type)
        # Packed tokens measured on CPU only; on a GPU the per-item attention calls
        # would be many small kernel launches, so GPUs keep padded batches.
        self.packed = self.device.type == "cpu" and packable(self.model)

    def _autocast(self) -> Any:
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def _tensors(self, items: list[Encoded]) -> dict[str, torch.Tensor]:
        width = max(len(e.input_ids) for e in items)
        ids, mask, types = [], [], []
        for e in items:
            pad = width - len(e.input_ids)
            ids.append(e.input_ids + [self.pad_id] * pad)
            mask.append([1] * len(e.input_ids) + [0] * pad)
            if e.token_type_ids is not None:
                types.append(e.token_type_ids + [0] * pad)
        out = {"input_ids": torch.tensor(ids, dtype=torch.long, device=self.device),
               "attention_mask": torch.tensor(mask, dtype=torch.long, device=self.device)}
        if types and len(types) == len(items):
            out["token_type_ids"] = torch.tensor(types, dtype=torch.long, device=self.device)
        return out

    def score_encoded(self, encoded: Sequence[Encoded],
                      progress: Progress | None = None) -> list[float]:
        """Rewards for already-encoded items, in their input order."""
        total = len(encoded)
        scores: list[float] = [0.0] * total
        if total == 0:
            return scores
        lengths = [len(e.input_ids) for e in encoded]
        batches = (token_batches(lengths, self.max_batch_tokens) if self.packed
                   else length_batches(lengths, self.batch_size, self.max_batch_tokens))
        done = 0
        pruned = nullcontext() if self.packed else pooled_token_only(self.model)
        with torch.inference_mode(), self._autocast(), pruned:
            for batch in batches:
                items = [encoded[i] for i in batch]
                logits = (packed_logits(self.model, items) if self.packed
                          else self.model(**self._tensors(items)).logits)
                values = logits.float().reshape(len(batch), -1)[:, 0].tolist()
                for i, v in zip(batch, values, strict=True):
                    scores[i] = float(v)
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        return scores

    def _exact(self) -> Scorer:
        return Scorer(self.model, self.encoder, precision="fp32", batch_size=self.batch_size,
                      max_batch_tokens=self.max_batch_tokens)

    def tie_tolerance(self, encoded: Sequence[Encoded], scores: Sequence[float]) -> float:
        """How far apart two bf16 rewards must be for their ORDER to be trusted.

        Measured, not guessed: re-score a probe of up to PROBE items (spread over the
        length range) in fp32 and take PROBE_MARGIN x the largest difference seen. The
        error depends on the model and its activation scales, so a constant would be
        wrong for someone.
        """
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
        step = max(1, len(order) // PROBE)
        probe = order[::step][:PROBE]
        exact = self._exact().score_encoded([encoded[i] for i in probe])
        worst = max(abs(exact[k] - scores[i]) for k, i in enumerate(probe))
        return PROBE_MARGIN * worst

    def score_pairs(self, prompts: Sequence[str], first: Sequence[str], second: Sequence[str],
                    progress: Progress | None = None) -> tuple[list[float], list[float]]:
        """Rewards of (prompt, first[i]) and (prompt, second[i]) for comparisons.

        In bf16, pairs whose two rewards land within the measured bf16 error of each other
        (a near tie, where rounding could flip the order) are re-scored in fp32, so the
        ORDER of every pair agrees with fp32 scoring while most of the work stays bf16.
        """
        n = len(first)
        if not (len(prompts) == n == len(second)):
            raise ValueError("prompts, first and second differ in length")
        encoded = self.encoder.encode_many(list(prompts) * 2, list(first) + list(second))
        scores = self.score_encoded(encoded, progress)
        a, b = scores[:n], scores[n:]
        if self.precision == "fp32" or n == 0:
            return a, b
        tol = self.tie_tolerance(encoded, scores)
        close = [i for i in range(n) if abs(a[i] - b[i]) <= tol]
        if close:
            exact = self._exact().score_encoded([encoded[i] for i in close]
                                                + [encoded[n + i] for i in close])
            for k, i in enumerate(close):
                a[i], b[i] = exact[k], exact[len(close) + k]
        self.last_refined = len(close)
        return a, b

    def score(self, prompts: Sequence[str], responses: Sequence[str],
              progress: Progress | None = None) -> list[float]:
        """Rewards for parallel lists of prompts and responses, in input order."""
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
        return self.score_encoded(self.encoder.encode_many(list(prompts), list(responses)),
                                  progress)
