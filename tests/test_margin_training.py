"""`--use-margin`: each pair's margin reaches TRL's loss, -logsigmoid(r_c - r_r - margin).

Real TRL RewardTrainer on a tiny BERT; `compute_loss` is wrapped (not replaced) so
the test sees the exact batch TRL computes its loss from and checks the loss
against the formula recomputed from the model's own rewards.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from duelist.engine import RewardParams, train
from tiny_models import build_bert, synthetic_pairs

MARGINS = (0.0, 1 / 3, 2 / 3, 1.0)


def _data(tmp_path: Path, with_margin: bool) -> Path:
    rows = synthetic_pairs(16)
    for i, r in enumerate(rows):
        if with_margin:
            r["margin"] = MARGINS[i % 4]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    from trl import RewardTrainer

    seen: list[dict] = []
    original = RewardTrainer.compute_loss

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        margin = inputs["margin"].clone() if "margin" in inputs else None
        loss, outputs = original(self, model, inputs, True, num_items_in_batch)
        rc, rr = torch.chunk(outputs.logits.detach().float().squeeze(-1), chunks=2)
        expected = -torch.nn.functional.logsigmoid(rc - rr - (margin if margin is not None else 0.0))
        seen.append({"margin": None if margin is None else margin.tolist(),
                     "loss": float(loss.detach()), "expected": float(expected.mean())})
        return (loss, outputs) if return_outputs else loss

    monkeypatch.setattr(RewardTrainer, "compute_loss", compute_loss)
    return seen


def _params(tmp_path: Path, data: Path, use_margin: bool) -> RewardParams:
    base = build_bert(tmp_path / "base")
    return RewardParams(model=str(base), data_path=str(data), project_root=str(tmp_path),
                        project_name="rm", epochs=1, batch_size=4, lr=1e-3, valid_split=0,
                        logging_steps=1, use_margin=use_margin, mixed_precision="no")


def test_use_margin_puts_each_pairs_margin_into_trls_loss(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _spy(monkeypatch)
    train(_params(tmp_path, _data(tmp_path, True), use_margin=True))
    assert len(seen) == 4  # 16 pairs / batch 4, one epoch
    margins = sorted(round(m, 4) for s in seen for m in s["margin"])
    assert margins == sorted(round(m, 4) for m in MARGINS * 4)  # every pair's own margin
    for s in seen:
        assert s["loss"] == pytest.approx(s["expected"], rel=1e-4, abs=1e-5)
    assert any(m > 0 for s in seen for m in s["margin"])


def test_without_use_margin_a_files_margin_column_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _spy(monkeypatch)
    train(_params(tmp_path, _data(tmp_path, True), use_margin=False))
    assert seen and all(s["margin"] is None for s in seen)
    for s in seen:
        assert s["loss"] == pytest.approx(s["expected"], rel=1e-4, abs=1e-5)
