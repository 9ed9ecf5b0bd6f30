"""The attention tuner: explore each kernel per width bucket, then keep the faster one."""

from __future__ import annotations

import itertools

from duelist.engine.training.attention_tuning import AttentionTuner, bucket_of, tuner_for


def test_buckets_are_64_token_bands() -> None:
    assert [bucket_of(w) for w in (1, 64, 65, 128, 200, 256, 257)] == [
        64, 64, 128, 128, 256, 256, 320]


def run(tuner: AttentionTuner, width: int, cost: dict[str, float]) -> str:
    kernel = tuner.kernel_for(width)
    tuner.record(width, kernel, cost[kernel] * width, width)
    return kernel


def test_explores_both_then_keeps_the_faster_per_bucket() -> None:
    applied: list[str] = []
    tuner = AttentionTuner(apply=applied.append, current="sdpa")
    short = {"eager": 1.0, "sdpa": 1.5}  # eager faster on short batches
    long = {"eager": 2.0, "sdpa": 1.2}  # sdpa faster on long ones
    explored = [run(tuner, 40, short) for _ in range(4)]
    assert sorted(explored) == ["eager", "eager", "sdpa", "sdpa"]
    assert [run(tuner, 50, short) for _ in range(5)] == ["eager"] * 5
    for _ in range(4):
        run(tuner, 256, long)
    assert [run(tuner, 250, long) for _ in range(3)] == ["sdpa"] * 3
    assert tuner.chosen == {64: "eager", 256: "sdpa"}
    assert "eager at <= 64" in tuner.summary() and "sdpa at <= 256" in tuner.summary()
    # switched only when the kernel changed, and restore() goes back to the original
    assert all(a != b for a, b in itertools.pairwise(applied))
    tuner.restore()
    assert tuner.current == "sdpa" and applied[-1] == "sdpa"


def test_median_decides_so_one_slow_outlier_does_not() -> None:
    tuner = AttentionTuner(apply=lambda k: None, current="sdpa", trials=3)
    times = {"eager": [1.0, 9.0, 1.0], "sdpa": [1.5, 1.5, 1.5]}
    for i in range(6):
        k = tuner.kernel_for(100)
        tuner.record(100, k, times[k][i // 2], 1)
    assert tuner.chosen[128] == "eager"


def tiny_bert(vocab: int = 99):
    from transformers import BertConfig, BertForSequenceClassification

    return BertForSequenceClassification(BertConfig(
        vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, num_labels=1))


def test_switching_kernels_keeps_the_scores() -> None:
    import torch

    model = tiny_bert().eval()
    tuner = tuner_for(model, "cpu")
    assert tuner is not None and tuner.current == "sdpa"
    ids = torch.randint(0, 99, (4, 12))
    mask = torch.ones_like(ids)
    mask[2:, 7:] = 0  # padded rows: the masks differ per kernel, the scores must not
    with torch.inference_mode():
        before = model(input_ids=ids, attention_mask=mask).logits
        tuner.kernel_for(12)  # first trial: eager
        assert model.config._attn_implementation == "eager"
        after = model(input_ids=ids, attention_mask=mask).logits
    assert torch.allclose(before, after, atol=1e-5)


def test_no_tuning_on_gpu_or_for_a_fixed_kernel() -> None:
    model = tiny_bert()
    assert tuner_for(model, "cuda") is None
    model.set_attn_implementation("eager")
    assert tuner_for(model, "cpu") is not None  # eager is a candidate: still tunable


def test_embedding_block_freezes_with_a_large_token_table() -> None:
    from duelist.engine.training.freezing import freeze_large_embeddings

    model = tiny_bert(vocab=2000)  # like MiniLM: the token table is half the weights
    share = freeze_large_embeddings(model)
    assert share >= 0.25
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {n for n, _ in model.named_parameters() if ".embeddings." in n}
    assert any(p.requires_grad for p in model.bert.encoder.parameters())


def test_a_fixed_kernel_is_set_and_auto_tunes_then_restores(tmp_path) -> None:
    """Real (tiny) training: auto logs its per-width decisions; the saved model is stock."""
    from duelist.engine import RewardParams, train
    from tiny_models import BUILDERS, synthetic_pairs, write_pairs_json
    from transformers import AutoConfig

    base = BUILDERS["bert"](tmp_path / "base")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(48))
    logs: list[str] = []

    def emit(event: str, **f) -> None:
        if event == "log":
            logs.append(f["message"])

    rm = train(RewardParams(model=str(base), data_path=str(data), project_root=str(tmp_path),
                            project_name="auto", epochs=2, batch_size=4, eval_strategy="no"),
               emit=emit)
    decided = [m for m in logs if m.startswith("attention kernels by batch width")]
    assert decided and ("eager at" in decided[0] or "sdpa at" in decided[0]), logs
    assert getattr(AutoConfig.from_pretrained(rm.path), "_attn_implementation", "sdpa") != "eager"
    logs.clear()
    train(RewardParams(model=str(base), data_path=str(data), project_root=str(tmp_path),
                       project_name="eager", epochs=1, batch_size=4, eval_strategy="no",
                       attention="eager"), emit=emit)
    assert not [m for m in logs if m.startswith("attention kernels")]
