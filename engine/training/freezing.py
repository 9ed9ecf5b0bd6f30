"""Which weights a reward-model run leaves frozen, and why (speed on small encoders).

Split from training.py: one decision with its own measurements and its own test
(tests/test_attention_tuning.py), not part of wiring the trainer together.
"""

from __future__ import annotations

from typing import Any

EMBEDDING_FREEZE_SHARE = 0.25


def freeze_large_embeddings(model: Any) -> float:
    """Freeze the token embeddings when they are a large share of the model; return it.

    Why: on small encoders the vocabulary table is up to half the weights; its dense
    gradient, clipping and AdamW update cost ~20% of a MiniLM step on CPU, while a
    preference set of a few thousand pairs only touches a sliver of its rows. On big
    models the share is small and freezing would save nothing, so they are left alone.

    Where the table sits in an embedding block (BERT's `BertEmbeddings`: token,
    position and type tables plus a LayerNorm), the whole block is frozen with it:
    the rest is < 1% of the weights, but while any of it trains, backward has to run
    through the input side of the first layer (~3% of a MiniLM step here).
    """
    emb = model.get_input_embeddings()
    if emb is None:
        return 0.0
    total = sum(p.numel() for p in model.parameters())
    share = emb.weight.numel() / total if total else 0.0
    if share < EMBEDDING_FREEZE_SHARE:
        return 0.0
    emb.weight.requires_grad_(False)
    block = embedding_block(model, emb)
    if block is not None:
        for p in block.parameters():
            p.requires_grad_(False)
    return share


def embedding_block(model: Any, emb: Any) -> Any:
    """The module holding the token table if it is an embeddings block, not the model."""
    for module in model.modules():
        if any(child is emb for child in module.children()):
            return module if type(module).__name__.endswith("Embeddings") else None
    return None
