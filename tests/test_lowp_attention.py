"""The bf16 eager attention kernel: eager's math, the mask in the scores' dtype."""

from __future__ import annotations

import torch
from duelist.engine.training.attention_tuning import tuner_for
from duelist.engine.training.lowp_attention import additive_mask, lowp_eager_attention, register


def tiny_bert():
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    return BertForSequenceClassification(BertConfig(
        vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, num_labels=1))


def padded_batch() -> dict[str, torch.Tensor]:
    ids = torch.randint(0, 99, (4, 12), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    mask[2:, 5:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def test_fp32_scores_and_gradients_match_eager() -> None:
    kernel = register()
    batch = padded_batch()
    out = {}
    for name in ("eager", kernel):
        model = tiny_bert().train()
        model.set_attn_implementation(name)
        logits = model(**batch).logits
        logits.sum().backward()
        grad = model.bert.encoder.layer[0].attention.self.query.weight.grad.clone()
        out[name] = (logits.detach(), grad)
    assert torch.allclose(out["eager"][0], out[kernel][0], atol=1e-5)
    assert torch.allclose(out["eager"][1], out[kernel][1], atol=1e-5)


def test_bf16_autocast_keeps_the_attention_matrix_in_bf16_and_close_to_eager() -> None:
    model = tiny_bert().eval()
    batch = padded_batch()
    with torch.inference_mode():
        fp32 = model(**batch).logits
        model.set_attn_implementation(register())
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = model(**batch).logits.float()
    assert torch.allclose(fp32, bf16, atol=0.05)
    q = torch.randn(2, 4, 6, 8, dtype=torch.bfloat16)
    mask = torch.ones(2, 1, 6, 6, dtype=torch.bool)
    mask[1, :, :, 4:] = False
    out, probs = lowp_eager_attention(torch.nn.Module(), q, q, q, mask, scaling=0.35)
    assert probs.dtype == torch.bfloat16 and out.dtype == torch.bfloat16
    assert out.shape == (2, 6, 4, 8)
    assert float(probs[1, :, :, 4:].abs().max()) == 0.0  # padded keys get no weight


def test_a_float_mask_at_fp32_minimum_does_not_become_nan_in_bf16() -> None:
    low = torch.finfo(torch.float32).min
    mask = torch.tensor([[[[0.0, low, low]]]])
    add = additive_mask(mask, torch.bfloat16)
    assert add.dtype == torch.bfloat16 and torch.isfinite(add).all()
    probs = torch.softmax(torch.zeros(1, 1, 1, 3, dtype=torch.bfloat16) + add, dim=-1)
    assert probs[0, 0, 0].tolist() == [1.0, 0.0, 0.0]


def test_bf16_on_cpu_races_the_bf16_kernel_against_sdpa_and_restores() -> None:
    model = tiny_bert()
    tuner = tuner_for(model, "cpu", "bf16")
    assert tuner is not None and tuner.candidates == (register(), "sdpa")
    cost = {register(): 1.0, "sdpa": 2.0}
    for _ in range(4):
        kernel = tuner.kernel_for(40)
        tuner.record(40, kernel, cost[kernel], 40)
    assert tuner.chosen == {64: register()}
    assert tuner.kernel_for(50) == register()  # the next step of the bucket switches to it
    assert model.config._attn_implementation == register()
    tuner.restore()
    assert model.config._attn_implementation == "sdpa"
    assert tuner_for(model, "cpu", "no").candidates == ("eager", "sdpa")  # fp32: as before
