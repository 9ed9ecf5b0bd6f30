"""Packed-token scoring of BERT classifiers: the padded forward's logits, no padding computed."""

from __future__ import annotations

import random

import pytest
import torch
from duelist.engine.models.encoding import Encoded
from duelist.engine.models.packed_encoder import packable, packed_logits, token_batches


def _bert(seed: int = 0, labels: int = 1):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                     intermediate_size=64, num_labels=labels, pad_token_id=0,
                     max_position_embeddings=64)
    model = BertForSequenceClassification(cfg).eval()
    with torch.no_grad():  # spread the head so 1e-5 differences would show
        model.classifier.weight.mul_(300.0)
    return model


def _items(n: int, seed: int = 1) -> list[Encoded]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.randint(1, 20), rng.randint(0, 30)
        ids = [2] + [rng.randint(5, 119) for _ in range(a)] + [3] + \
            [rng.randint(5, 119) for _ in range(b)] + [3]
        out.append(Encoded(ids, [0] * (a + 2) + [1] * (b + 1), False))
    return out


def _padded(model, items: list[Encoded]) -> torch.Tensor:
    width = max(len(e.input_ids) for e in items)
    pad = [width - len(e.input_ids) for e in items]
    batch = {"input_ids": torch.tensor([e.input_ids + [0] * p for e, p in zip(items, pad, strict=True)]),
             "token_type_ids": torch.tensor([e.token_type_ids + [0] * p
                                             for e, p in zip(items, pad, strict=True)]),
             "attention_mask": torch.tensor([[1] * len(e.input_ids) + [0] * p
                                             for e, p in zip(items, pad, strict=True)])}
    return model(**batch).logits


@pytest.mark.parametrize("labels", [1, 2])
def test_packed_logits_equal_the_padded_forward(labels: int) -> None:
    model = _bert(labels=labels)
    items = _items(12)
    with torch.inference_mode():
        full = _padded(model, items)
        packed = packed_logits(model, items)
    assert packable(model)
    assert packed.shape == full.shape and float(full.abs().max()) > 0.1
    assert torch.allclose(full, packed, atol=1e-5, rtol=0)


def test_scorer_uses_it_and_gives_the_same_rewards(tmp_path) -> None:
    from duelist.engine.models.encoding import PairEncoder
    from duelist.engine.scoring.scorer import Scorer
    from tiny_models import bert_tokenizer, synthetic_pairs

    model = _bert()
    rows = synthetic_pairs(40)
    enc = PairEncoder(bert_tokenizer(), 64)
    encoded = enc.encode_many([r["prompt"] for r in rows], [r["chosen"] for r in rows])
    scorer = Scorer(model, enc, precision="fp32")
    assert scorer.packed
    got = scorer.score_encoded(encoded)
    with torch.inference_mode():
        want = _padded(model, encoded)[:, 0].tolist()
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1e-4


def test_other_models_are_not_packed() -> None:
    from transformers import (
        LlamaConfig,
        LlamaForSequenceClassification,
        RobertaConfig,
        RobertaForSequenceClassification,
    )

    small = {"vocab_size": 120, "hidden_size": 32, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 64, "num_labels": 1,
             "pad_token_id": 1}
    assert not packable(RobertaForSequenceClassification(RobertaConfig(**small)).eval())
    assert not packable(LlamaForSequenceClassification(
        LlamaConfig(**small, num_key_value_heads=4)).eval())
    assert not packable(_bert().train())  # dropout would differ: eval only


def test_a_model_that_disagrees_falls_back() -> None:
    """The one-off check is real: a layer variant it cannot reproduce is not packed."""
    model = _bert()
    layer = model.bert.encoder.layer[0]
    forward = layer.forward
    layer.forward = lambda *a, **k: forward(*a, **k) * 2.0  # a variant packing cannot see
    assert not packable(model)


def test_token_batches_bound_real_tokens_and_keep_every_item() -> None:
    lengths = [5, 50, 7, 300, 20, 20]
    batches = token_batches(lengths, 64)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert [3] in batches  # an over-long item alone
    assert all(sum(lengths[i] for i in b) <= 64 for b in batches if len(b) > 1)
