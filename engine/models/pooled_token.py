"""Score BERT-style models computing the last layer for the pooled token only.

Why: a BERT-family reward head reads ONE position of the last layer ([CLS], position
0: BERT's pooler, RoBERTa's classification head). Every other position of the last
layer is computed and thrown away. In that layer only the keys and values need every
position; the query, attention output, output projection and the feed-forward block
(two thirds of a layer's FLOPs) are needed for position 0 alone. For 6-layer MiniLM
that is ~14% of all linear-layer work and 5/6 of one layer's attention, removed
without changing what is computed for the token that is scored.

The same holds for training a reward model: its loss reads only that position, so the
dropped positions' outputs have no gradient to give (`pooled_token_only(model,
training=True)`, used by the trainer).

It is applied only inside `pooled_token_only(model)`, only to BERT-shaped encoder
layers it recognises, and only after a one-off check on the model itself that the
pruned forward gives the same scores as the full one (fp32, 1e-4); otherwise the
model runs unchanged. Nothing is modified outside the `with` block.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import torch

# Sequence-classification heads that read position 0 of the last hidden state.
POSITION0_HEADS = frozenset({
    "BertForSequenceClassification", "RobertaForSequenceClassification",
    "XLMRobertaForSequenceClassification", "ElectraForSequenceClassification",
})
CHECK_TOLERANCE = 1e-4
_VERIFIED = "_duelist_pooled_token_ok"


def last_encoder_layer(model: Any) -> Any:
    """The last BERT-shaped self-attention layer, or None if the model is not one."""
    if type(model).__name__ not in POSITION0_HEADS:
        return None
    base = getattr(model, getattr(model, "base_model_prefix", ""), None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if not layers:
        return None
    layer = layers[-1]
    att = getattr(getattr(layer, "attention", None), "self", None)
    shaped = all(hasattr(att, n) for n in ("query", "key", "value", "scaling", "config"))
    plain = (not getattr(layer, "is_decoder", False)
             and getattr(layer, "chunk_size_feed_forward", 0) == 0
             and getattr(att, "position_embedding_type", "absolute") == "absolute")
    if shaped and plain and hasattr(layer, "feed_forward_chunk"):
        return layer
    return None


def _position0_forward(layer: Any, attention_functions: Any, eager: Any,
                       hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None,
                       *args: Any, **kwargs: Any) -> torch.Tensor:
    """The layer's output at position 0 only, shape (batch, 1, hidden)."""
    att = layer.attention.self
    batch, length, _ = hidden_states.shape
    first = hidden_states[:, :1]
    head = att.attention_head_size

    def heads(x: torch.Tensor, n: int) -> torch.Tensor:
        return x.view(batch, n, -1, head).transpose(1, 2)

    query = heads(att.query(first), 1)
    key, value = heads(att.key(hidden_states), length), heads(att.value(hidden_states), length)
    mask = attention_mask[:, :, :1, :] if attention_mask is not None else None
    attend = attention_functions.get_interface(att.config._attn_implementation, eager)
    context, _ = attend(att, query, key, value, mask, dropout=0.0, scaling=att.scaling)
    attended = layer.attention.output(context.reshape(batch, 1, -1), first)
    return layer.feed_forward_chunk(attended)


@contextlib.contextmanager
def _patched(layer: Any) -> Iterator[None]:
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
    from transformers.models.bert.modeling_bert import eager_attention_forward

    layer.forward = functools.partial(_position0_forward, layer, ALL_ATTENTION_FUNCTIONS,
                                      eager_attention_forward)
    try:
        yield
    finally:
        del layer.forward  # back to the class's forward


def _verified(model: Any, layer: Any) -> bool:
    """Once per model: do pruned and full forwards agree (fp32, padded batch)?"""
    cached = getattr(model, _VERIFIED, None)
    if cached is not None:
        return bool(cached)
    ok = False
    was_training = model.training
    try:
        model.eval()
        vocab = int(getattr(model.config, "vocab_size", 100) or 100)
        gen = torch.Generator().manual_seed(0)
        device = next(model.parameters()).device
        ids = torch.randint(min(5, vocab - 1), vocab, (2, 9), generator=gen).to(device)
        mask = torch.ones_like(ids)
        mask[1, 6:] = 0
        with torch.inference_mode(), torch.autocast(device.type, enabled=False):
            full = model(input_ids=ids, attention_mask=mask).logits.float()
            with _patched(layer):
                pruned = model(input_ids=ids, attention_mask=mask).logits.float()
        ok = full.shape == pruned.shape and bool(
            (full - pruned).abs().max() <= CHECK_TOLERANCE * max(1.0, float(full.abs().max())))
    except Exception:  # an unexpected layer variant: score with the full model instead
        ok = False
    finally:
        model.train(was_training)
    setattr(model, _VERIFIED, ok)
    return ok


@contextlib.contextmanager
def pooled_token_only(model: Any, *, training: bool = False) -> Iterator[bool]:
    """Within the block, the model computes its last layer for position 0 only (if safe).

    Yields whether the shortcut is active. In training it is exact too when the loss
    reads only the pooled token (a reward model's does: no other position of the last
    layer reaches the loss, so their gradients are zero anyway); pass `training=True`
    to allow it on a model in train mode.
    """
    layer = last_encoder_layer(model)
    if layer is None or (model.training and not training) or not _verified(model, layer):
        yield False
        return
    with _patched(layer):
        yield True
