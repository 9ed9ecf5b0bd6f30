"""Last layer for the pooled token only: the same scores, the model unchanged after."""

from __future__ import annotations

import pytest
import torch
from duelist.engine.models import pooled_token
from duelist.engine.models.pooled_token import last_encoder_layer, pooled_token_only


def _model(kind: str, attn: str = "sdpa"):
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        LlamaConfig,
        LlamaForSequenceClassification,
        RobertaConfig,
        RobertaForSequenceClassification,
    )

    small = {"vocab_size": 120, "hidden_size": 32, "num_hidden_layers": 3,
             "num_attention_heads": 4, "intermediate_size": 64, "num_labels": 1,
             "pad_token_id": 1}
    torch.manual_seed(0)
    if kind == "bert":
        model = BertForSequenceClassification(BertConfig(**small))
    elif kind == "roberta":
        model = RobertaForSequenceClassification(RobertaConfig(**small))
    else:
        model = LlamaForSequenceClassification(LlamaConfig(**small, num_key_value_heads=4))
    model.set_attn_implementation(attn)
    return model.eval()


def _batch():
    ids = torch.randint(5, 120, (4, 15), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    mask[3, 3:] = 0
    return {"input_ids": ids, "attention_mask": mask}


@pytest.mark.parametrize("kind", ["bert", "roberta"])
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_pruned_scores_equal_full_scores(kind: str, attn: str) -> None:
    model = _model(kind, attn)
    with torch.inference_mode():
        full = model(**_batch()).logits
        with pooled_token_only(model) as active:
            pruned = model(**_batch()).logits
            hidden = model(**_batch(), output_hidden_states=True).hidden_states[-1]
        after = model(**_batch(), output_hidden_states=True).hidden_states[-1]
    assert active
    assert torch.allclose(full, pruned, atol=1e-5)
    assert hidden.shape[1] == 1  # really computed for one position
    assert after.shape[1] == 15  # and the full layer is back after the block
    assert "forward" not in vars(last_encoder_layer(model))


def test_not_used_for_decoders_or_in_training() -> None:
    assert last_encoder_layer(_model("llama")) is None
    with pooled_token_only(_model("llama")) as active:
        assert not active
    model = _model("bert").train()
    with pooled_token_only(model) as active:
        assert not active  # training needs every position's gradient path unchanged


def test_a_failed_self_check_leaves_the_model_alone(monkeypatch) -> None:
    monkeypatch.setattr(pooled_token, "CHECK_TOLERANCE", -1.0)  # nothing can pass
    model = _model("bert")
    with torch.inference_mode(), pooled_token_only(model) as active:
        out = model(**_batch(), output_hidden_states=True).hidden_states[-1]
    assert not active and out.shape[1] == 15


def test_training_gradients_are_the_same_with_the_pruned_last_layer() -> None:
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(
        vocab_size=120, hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
        intermediate_size=64, num_labels=1, hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0)).train()

    def grads(pruned: bool) -> dict[str, torch.Tensor]:
        model.zero_grad()
        with pooled_token_only(model, training=pruned) as active:
            assert active is pruned
            out = model(**_batch()).logits[:, 0]
        torch.nn.functional.logsigmoid(out[:2] - out[2:]).mean().neg().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    full, pruned = grads(False), grads(True)
    assert full.keys() == pruned.keys()
    for name in full:
        assert torch.allclose(full[name], pruned[name], atol=1e-6), name
    assert model.training  # the one-off self-check put train mode back
