"""Pre-tokenized preference batches for TRL's RewardTrainer: rows, collator, sampler.

Why our own:
- TRL tokenizes `chosen`/`rejected` itself and DROPS pairs longer than max_length
  (22% of hh pairs at 256 tokens). We hand it `chosen_ids`/`rejected_ids` already
  encoded by `PairEncoder` (truncated, never dropped) and set its max_length to None.
- TRL's collator forgets `token_type_ids`, which BERT-style pair templates need (the
  response segment has type 1); ours carries them.
- `train_sampling_strategy="group_by_length"` fails on TRL's columns, so the
  length-grouped sampler is built here: shuffled mega-batches, sorted by length
  inside, so each batch pads little while the order stays random between epochs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from duelist.engine.models.encoding import PairEncoder
from duelist.engine.preferences.pair import PreferencePair

MEGABATCH_FACTOR = 50


@dataclass(frozen=True, slots=True)
class EncodedPairs:
    rows: list[dict[str, Any]]
    n_truncated: int  # pairs where chosen or rejected was cut to fit


def encode_pairs(encoder: PairEncoder, pairs: Sequence[PreferencePair], *,
                 margins: bool = False) -> EncodedPairs:
    """Token rows for TRL; with `margins`, each row carries the pair's `margin`, which
    the collator passes on and TRL's loss subtracts (`--use-margin`)."""
    rows, cut = [], 0
    for pair in pairs:
        c = encoder.encode(pair.prompt, pair.chosen)
        r = encoder.encode(pair.prompt, pair.rejected)
        cut += c.truncated or r.truncated
        row: dict[str, Any] = {"chosen_ids": c.input_ids, "rejected_ids": r.input_ids}
        if c.token_type_ids is not None:
            row["chosen_token_type_ids"] = c.token_type_ids
            row["rejected_token_type_ids"] = r.token_type_ids
        if margins:
            row["margin"] = float(pair.margin)
        rows.append(row)
    return EncodedPairs(rows, cut)


def pair_length(row: dict[str, Any]) -> int:
    return max(len(row["chosen_ids"]), len(row["rejected_ids"]))


@dataclass
class PreferenceCollator:
    """chosen rows then rejected rows, right-padded to the batch's longest sequence."""

    pad_token_id: int

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        seqs = [e["chosen_ids"] for e in examples] + [e["rejected_ids"] for e in examples]
        width = max(len(s) for s in seqs)
        out = {
            "input_ids": torch.tensor([s + [self.pad_token_id] * (width - len(s)) for s in seqs]),
            "attention_mask": torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs]),
        }
        if "chosen_token_type_ids" in examples[0]:
            types = ([e["chosen_token_type_ids"] for e in examples]
                     + [e["rejected_token_type_ids"] for e in examples])
            out["token_type_ids"] = torch.tensor([t + [0] * (width - len(t)) for t in types])
        if "margin" in examples[0]:
            out["margin"] = torch.tensor([float(e["margin"]) for e in examples])
        return out


class LengthGroupedSampler(torch.utils.data.Sampler[int]):
    """Indices in batch-sized runs of similar length; random across batches and epochs.

    Deterministic per (seed, epoch), so a resumed run sees the same order and the
    Trainer's skip-ahead lands on the right batches.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        idx = list(range(len(self.lengths)))
        rng.shuffle(idx)
        mega = self.batch_size * MEGABATCH_FACTOR
        batches: list[list[int]] = []
        for start in range(0, len(idx), mega):
            chunk = sorted(idx[start:start + mega], key=lambda i: -self.lengths[i])
            batches += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        # Keep the longest batch first: an out-of-memory error shows at step 1, not hours in.
        longest = max(range(len(batches)), key=lambda b: self.lengths[batches[b][0]]) if batches else 0
        first = batches.pop(longest) if batches else []
        rng.shuffle(batches)
        # A short batch goes last so the DataLoader's fixed-size chunks stay aligned.
        batches.sort(key=lambda b: len(b) < self.batch_size)
        for batch in [first, *batches]:
            yield from batch
