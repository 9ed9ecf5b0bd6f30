"""What the reward head reads: per (prompt, response), the input of its final linear layer.

Why: two acquisition rules (bench/sim/acquisition.py) need geometry, not just rewards.
Expected model change is the gradient norm of the Bradley-Terry loss with respect to
the head, (p - y) * (h_a - h_b), so it needs h; the diversity-aware batch measures
distances between comparisons, and h is the representation the reward is linear in.

One forward pass gives both the reward and h: a forward hook on the head's last
linear layer (BERT's `classifier`, Llama's and GPT-2's `score`) records its input.
Scores here are plain fp32 (no bf16, no pooled-token shortcut) so that
`h @ W.T + b` reproduces them exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from duelist.engine.scoring.reward_model import pad_batch

from bench.sim.acquisition import Pool


def head_layer(model: Any) -> torch.nn.Linear:
    """The final linear layer with one output (the reward)."""
    last = None
    for _name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == 1:
            last = module
    if last is None:
        raise ValueError(f"{type(model).__name__}: no one-output linear head found")
    return last


def head_inputs(rm: Any, prompts: Sequence[str], responses: Sequence[str], *,
                batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(rewards [n], head inputs [n, hidden]) for a RewardModel, in input order."""
    encoded = rm.encoder.encode_many(list(prompts), list(responses))
    layer = head_layer(rm.model)
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    hook = layer.register_forward_hook(lambda _m, inputs, out: seen.append((inputs[0], out)))
    scores = np.zeros(len(encoded))
    feats: np.ndarray | None = None
    rm.model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(encoded), batch_size):
                chunk = [e.features() for e in encoded[start:start + batch_size]]
                batch = {k: v.to(rm.device) for k, v in
                         pad_batch(chunk, rm.tokenizer.pad_token_id).items()}
                seen.clear()
                logits = rm.model(**batch).logits.float()[:, 0]
                h, per_position = seen[-1][0].float(), seen[-1][1].float()
                if h.dim() == 3:
                    # Decoders score every position and the model reads one of them (its
                    # own rule about pad = eos); take the position whose score it returned.
                    at = (per_position[..., 0] - logits[:, None]).abs().argmin(1)
                    h = h[torch.arange(h.shape[0]), at]
                if feats is None:
                    feats = np.zeros((len(encoded), h.shape[-1]), dtype=np.float32)
                feats[start:start + len(chunk)] = h.cpu().numpy()
                scores[start:start + len(chunk)] = logits.cpu().numpy()
    finally:
        hook.remove()
    return scores, feats if feats is not None else np.zeros((0, 0), dtype=np.float32)


def pool_from_model(rm: Any, prompts: Sequence[str], response_a: Sequence[str],
                    response_b: Sequence[str]) -> Pool:
    """An acquisition Pool (rewards and head inputs of both sides) for open comparisons."""
    n = len(prompts)
    scores, feats = head_inputs(rm, [*prompts, *prompts], [*response_a, *response_b])
    return Pool(score_a=scores[:n], score_b=scores[n:], feat_a=feats[:n], feat_b=feats[n:])
