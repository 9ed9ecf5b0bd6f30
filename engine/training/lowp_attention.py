"""Eager attention that stays in the autocast dtype: the CPU bf16 training kernel.

Why: under bf16 autocast on CPU, neither of transformers' kernels keeps the
attention matrix in bf16:
- `eager` multiplies in bf16, then adds the fp32 padding mask, which promotes the
  (batch, heads, width, width) scores to fp32: softmax, its backward and a cast back
  to bf16 for the second matmul all run on fp32 copies of the largest tensor of the
  layer;
- `sdpa` on CPU runs its flash kernel, slow on the short, padded batches of
  preference data with MiniLM's 32-wide heads (it wins only at the longest widths).

This kernel is the same math as `eager` (scores, additive padding mask, softmax,
dropout, weighted sum) with the mask cast to the scores' dtype, so every
width-by-width tensor stays bf16. One forward + backward of real hh_train batches
(MiniLM reward model, bf16 autocast, dropout off as TRL trains, pooled-token
training, one thread of this project's EPYC with avx512_bf16, torch profiler on):

    width 140: eager  455 ms  sdpa  698 ms  this  419 ms
    width 260: eager 1367 ms  sdpa 1159 ms  this  849 ms
    width 512: eager 5478 ms  sdpa 2714 ms  this 2860 ms

So it replaces eager as the attention tuner's candidate under bf16 and still races
sdpa, which wins back the longest widths (attention_tuning.py).

Softmax of bf16 scores accumulates in fp32 inside PyTorch, and the probabilities were
already rounded to bf16 by autocast before the second matmul in `eager`, so what
changes is only where the rounding happens. In fp32 (no autocast) it computes exactly
what `eager` computes.
"""

from __future__ import annotations

from typing import Any

import torch

KERNEL = "duelist_lowp_eager"
_registered = False
# The padding mask is the same tensor for every layer of one forward: cast it once.
_last: tuple[Any, torch.dtype, torch.Tensor] | None = None


def additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """0 where attention is allowed, the dtype's minimum where not, in `dtype`.

    A boolean mask (transformers' sdpa format: True = attend) is converted; a float
    (additive) mask is clamped to the dtype's range first, because fp32's minimum
    rounds to -inf in bf16 and a row of -inf makes softmax NaN.
    """
    global _last
    if _last is not None and _last[0] is mask and _last[1] == dtype:
        return _last[2]
    low = torch.finfo(dtype).min
    if mask.dtype == torch.bool:
        out = torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(~mask, low)
    else:
        out = mask.clamp(min=low).to(dtype)
    _last = (mask, dtype, out)
    return out


def lowp_eager_attention(module: Any, query: torch.Tensor, key: torch.Tensor,
                         value: torch.Tensor, attention_mask: torch.Tensor | None,
                         scaling: float | None = None, dropout: float = 0.0,
                         **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' attention-function contract: (output (b, len, heads, dim), probs)."""
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    scores = torch.matmul(query * scaling, key.transpose(2, 3))
    if attention_mask is not None:
        scores = scores + additive_mask(attention_mask, scores.dtype)
    probs = torch.softmax(scores, dim=-1)
    if dropout:
        probs = torch.nn.functional.dropout(probs, p=dropout, training=module.training)
    out = torch.matmul(probs, value)
    return out.transpose(1, 2).contiguous(), probs


def register() -> str:
    """Make KERNEL a valid `attn_implementation` (boolean padding masks, like sdpa)."""
    global _registered
    if not _registered:
        from transformers import AttentionInterface
        from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

        AttentionInterface.register(KERNEL, lowp_eager_attention)
        AttentionMaskInterface.register(KERNEL, sdpa_mask)
        _registered = True
    return KERNEL
