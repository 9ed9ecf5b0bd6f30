"""Real training on tiny local models (BERT-style and Llama-style) with a learnable signal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from duelist.engine import RewardModel, RewardParams, train
from duelist.engine.errors import ModelLoadError
from duelist.engine.files.atomic import atomic_dir
from tiny_models import BUILDERS, synthetic_pairs, write_pairs_json

PROBES = [("what is the cat", "the dog is good and happy"), ("tell me", "bad bad answer"),
          ("explain", "a good answer about the sun"), ("why", "not good")]


def _train(tmp_path: Path, kind: str, **kw) -> tuple[RewardModel, RewardParams]:
    base = BUILDERS[kind](tmp_path / f"base-{kind}")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(kw.pop("n", 96)))
    params = RewardParams(model=str(base), data_path=str(data), project_root=str(tmp_path),
                          project_name=kw.pop("project_name", f"rm-{kind}"),
                          epochs=kw.pop("epochs", 4), lr=kw.pop("lr", 3e-3), batch_size=8,
                          logging_steps=4, **kw)
    events: list[tuple[str, dict]] = []
    model = train(params, emit=lambda e, **f: events.append((e, f)))
    model.events = events  # type: ignore[attr-defined]
    return model, params


def _plain_scores(model_dir: Path, rm: RewardModel) -> list[float]:
    from transformers import AutoModelForSequenceClassification

    plain = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    out = []
    with torch.inference_mode():
        for prompt, response in PROBES:
            feats = rm.encoder.encode(prompt, response).features()
            out.append(float(plain(**{k: torch.tensor([v]) for k, v in feats.items()}).logits[0, 0]))
    return out


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_tiny_model_learns_the_preference_and_reloads_identically(tmp_path: Path, kind: str) -> None:
    rm, params = _train(tmp_path, kind)
    metrics = rm.meta["metrics"]
    assert metrics["valid_accuracy"] > 0.9, metrics
    assert rm.meta["counts"]["valid"] > 0 and rm.meta["counts"]["truncated"] == 0
    out = params.output_dir
    assert {"config.json", "model.safetensors", "duelist.json", "README.md"} <= {
        p.name for p in out.iterdir()}
    # The learnt feature: "good" beats "bad" for an unseen prompt.
    assert rm.score("unseen prompt", "the good one") > rm.score("unseen prompt", "the bad one")
    assert rm.prob_better("q", "good", "bad") > 0.5
    assert rm.rank("q", ["bad", "good"])[0][0] == "good"
    # Reloaded: identical scores; plain transformers: the same scores too.
    again = RewardModel.load(out)
    rm.precision = again.precision = "fp32"  # exact comparison (default 'auto' may use bf16)
    prompts, responses = zip(*PROBES, strict=True)
    fresh = rm.score_batch(list(prompts), list(responses))
    assert again.score_batch(list(prompts), list(responses)) == pytest.approx(fresh, abs=1e-5)
    assert _plain_scores(out, again) == pytest.approx(fresh, abs=1e-5)
    meta = json.loads((out / "duelist.json").read_text())
    assert meta["encoding"] == {"kind": rm.encoder.kind, "max_length": 128}
    assert meta["data_hash"] and meta["libraries"]["transformers"]
    assert "valid_accuracy" in (out / "README.md").read_text()
    kinds = [e for e, _ in rm.events]  # type: ignore[attr-defined]
    assert kinds.index("start") < kinds.index("step") < kinds.index("eval")
    step = next(f for e, f in rm.events if e == "step")  # type: ignore[attr-defined]
    assert {"loss", "accuracy", "margin", "lr", "epoch", "pairs_per_s", "eta_s"} <= set(step)


def test_long_pairs_are_truncated_never_dropped(tmp_path: Path) -> None:
    rm, _ = _train(tmp_path, "bert", n=40, epochs=1, max_seq_length=12,
                        eval_strategy="no")
    counts = rm.meta["counts"]
    assert counts["train"] + counts["valid"] == 40  # nothing dropped
    assert counts["truncated"] > 10
    assert rm.meta["encoding"]["max_length"] == 12
    logs = [f["message"] for e, f in rm.events if e == "log"]  # type: ignore[attr-defined]
    assert any("truncated" in m for m in logs)


def test_lora_adapter_and_merged_model_agree(tmp_path: Path) -> None:
    _, params = _train(tmp_path, "llama", n=64, epochs=2, peft=True, lora_r=4, lora_alpha=8,
                        merge_adapter=True, lr=5e-3)
    out = params.output_dir
    assert (out / "adapter" / "adapter_config.json").exists()
    assert not (out / "adapter_config.json").exists()  # the top level is the merged model
    merged = RewardModel.load(out)
    adapter = RewardModel.load(out / "adapter")
    merged.precision = adapter.precision = "fp32"
    prompts, responses = zip(*PROBES, strict=True)
    a = adapter.score_batch(list(prompts), list(responses))
    m = merged.score_batch(list(prompts), list(responses))
    assert m == pytest.approx(a, abs=1e-4)
    assert _plain_scores(out, merged) == pytest.approx(m, abs=1e-5)
    # The trained head was saved (modules_to_save), not left at its random init.
    cfg = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert cfg["modules_to_save"] and "score" in cfg["modules_to_save"]


def test_quantization_without_cuda_is_one_clear_line(tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA present: quantization would run")
    with pytest.raises(ModelLoadError) as info:
        _train(tmp_path, "llama", n=16, epochs=1, peft=True, quantization="int4")
    assert "needs a CUDA GPU" in str(info.value) and "\n" not in str(info.value)


def test_unreachable_hub_id_and_bad_dir_are_one_line(tmp_path: Path) -> None:
    from duelist.engine.models.loading import load_tokenizer

    with pytest.raises(ModelLoadError) as hub:
        load_tokenizer("nobody-here/no-such-model")
    assert "no-such-model" in str(hub.value) and "\n" not in str(hub.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match=r"has no config\.json"):
        load_tokenizer(str(empty))
    with pytest.raises(ModelLoadError, match="does not exist"):
        RewardModel.load(tmp_path / "missing")


def test_atomic_dir_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "config.json").write_text("{}")
        raise RuntimeError("killed mid-write")
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(target) as tmp:
        (tmp / "config.json").write_text("{}")  # a model dir: only those are ever replaced
        (tmp / "v").write_text("1")
    with atomic_dir(target) as tmp:
        (tmp / "v").write_text("2")
    assert (target / "v").read_text() == "2" and [p.name for p in tmp_path.iterdir()] == ["model"]


@pytest.mark.slow
def test_minilm_default_model_trains_on_real_pairs_and_loads_plainly(tmp_path: Path,
                                                                     hh_path: Path) -> None:
    """The embedded MiniLM (the default --model), a few steps on real hh pairs."""
    rows = json.loads(hh_path.read_text())[:48]
    data = write_pairs_json(tmp_path / "hh48.json", rows)
    params = RewardParams(data_path=str(data), project_root=str(tmp_path), project_name="mini",
                          max_seq_length=128, max_steps=3, eval_strategy="no", lr=1e-4)
    rm = train(params)
    meta = rm.meta
    assert meta["base_model"].endswith("model") and meta["encoding"]["kind"] == "pair-template"
    assert meta["counts"]["truncated"] > 0  # hh prompts are long: cut, not dropped
    assert meta["counts"]["train"] + meta["counts"]["valid"] == 48
    again = RewardModel.load(params.output_dir)
    again.precision = "fp32"
    probe = [(rows[0]["prompt"], rows[0]["chosen"])]
    assert _plain_scores_for(params.output_dir, again, probe) == pytest.approx(
        again.score_batch([probe[0][0]], [probe[0][1]]), abs=1e-5)


def _plain_scores_for(model_dir: Path, rm: RewardModel, items: list[tuple[str, str]]) -> list[float]:
    from transformers import AutoModelForSequenceClassification

    plain = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        return [float(plain(**{k: torch.tensor([v]) for k, v in
                               rm.encoder.encode(p, r).features().items()}).logits[0, 0])
                for p, r in items]


def test_validation_pairs_are_scored_once_per_evaluation(tmp_path: Path, monkeypatch) -> None:
    """TRL's periodic evaluation, the final exact validation and the calibration fit all
    use one scoring of the validation pairs per evaluation (they cost a quarter of a
    whole hh run when each scored them again)."""
    from duelist.engine.training import validation

    calls: list[int] = []
    real = validation.pair_scores
    monkeypatch.setattr(validation, "pair_scores",
                        lambda *a, **k: calls.append(len(a[1])) or real(*a, **k))
    rescored: list[int] = []
    monkeypatch.setattr(RewardModel, "score_batch",
                        lambda self, p, r, progress=None: rescored.append(len(p)) or [0.0] * len(p))
    rm, _ = _train(tmp_path, "bert", epochs=2, eval_strategy="epoch", n=60)
    n_valid = rm.meta["counts"]["valid"]
    assert calls == [n_valid, n_valid]  # one per epoch; the last one is reused at the end
    assert rescored == []  # calibration fitted from those margins, not a new scoring
    evals = [f for e, f in rm.events if e == "eval"]
    final = evals[-1]
    assert final["final"] and final["accuracy"] == rm.meta["metrics"]["valid_accuracy"]
    assert evals[-2]["accuracy"] == final["accuracy"]  # same weights, same number
    cal = json.loads((Path(rm.path) / "calibration.json").read_text())
    assert cal["n_pairs"] == n_valid


def test_no_checkpoint_is_written_after_the_last_step(tmp_path: Path) -> None:
    """Checkpoints are for resuming: the epoch-1 one is kept, none after the final step
    (the model dir is written right after; that save was pure cost)."""
    rm, params = _train(tmp_path, "bert", epochs=2, n=48)
    steps = rm.meta["metrics"]["steps"]
    kept = sorted(p.name for p in (params.run_dir / "checkpoints").glob("checkpoint-*"))
    assert kept == [f"checkpoint-{steps // 2}"]
