"""Real (tiny) training runs: scoring sees the training inputs, calibration and ensembles
come out of training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from duelist.engine.models.encoding import PairEncoder
from duelist.engine.models.loading import load_tokenizer
from duelist.engine.models.packed_encoder import packable
from duelist.engine.preferences.pair import PreferencePair
from duelist.engine.scoring.calibration import Calibration
from duelist.engine.scoring.ensemble import Ensemble
from duelist.engine.scoring.loader import load_model
from duelist.engine.scoring.reward_model import RewardModel
from duelist.engine.training.batching import encode_pairs
from duelist.engine.training.ensemble_training import train_ensemble
from duelist.engine.training.params import RewardParams
from tiny_models import build_bert, build_llama, synthetic_pairs, write_pairs_json


def _params(tmp: Path, base: Path, data: Path, name: str, **kw) -> RewardParams:
    return RewardParams(model=str(base), data_path=str(data), project_name=name,
                        project_root=str(tmp), epochs=kw.pop("epochs", 1), batch_size=8,
                        lr=2e-3, logging_steps=1, **kw)


def _scoring_inputs(rm: RewardModel, prompts: list[str], responses: list[str]) -> list[list[int]]:
    """What the scorer actually feeds the network, unpadded, captured at its forward."""
    seen: list[list[int]] = []
    rm.score_batch(prompts[:1], responses[:1])  # one-off model self-checks run before the hook

    def grab(_module, _args, kwargs):
        ids, mask = kwargs["input_ids"], kwargs["attention_mask"]
        seen.extend(row[m.bool()].tolist() for row, m in zip(ids, mask, strict=True))

    def grab_packed(_module, _args, kwargs):  # engine/models/packed_encoder.py: items end to end
        ids, positions = kwargs["input_ids"][0].tolist(), kwargs["position_ids"][0].tolist()
        for token, position in zip(ids, positions, strict=True):
            if position == 0:
                seen.append([])
            seen[-1].append(token)

    if packable(rm.model):
        handle = rm.model.bert.embeddings.register_forward_pre_hook(grab_packed,
                                                                    with_kwargs=True)
    else:
        handle = rm.model.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        rm.score_batch(prompts, responses)
    finally:
        handle.remove()
    return seen


@pytest.mark.parametrize("builder", [build_bert, build_llama], ids=["bert", "llama"])
def test_scoring_feeds_exactly_the_token_ids_training_used(tmp_path: Path, builder) -> None:
    base = builder(tmp_path / "base")
    rows = synthetic_pairs(24, seed=5, max_len=14)
    rows[0]["prompt"] = " ".join(["explain the river"] * 12)  # forces truncation
    data = write_pairs_json(tmp_path / "pairs.json", rows)
    params = _params(tmp_path, base, data, "rm", max_seq_length=24, valid_split=0.25)
    from duelist.engine.training.train import train

    trained = train(params)
    rm = RewardModel.load(trained.path)
    # training's own encoding path, with the tokenizer and max_length training used
    meta = json.loads((Path(trained.path) / "duelist.json").read_text())
    encoder = PairEncoder(load_tokenizer(str(base)), meta["encoding"]["max_length"])
    pairs = [PreferencePair(r["prompt"], r["chosen"], r["rejected"]) for r in rows]
    train_rows = encode_pairs(encoder, pairs).rows
    assert any(len(r["chosen_ids"]) == 24 for r in train_rows)  # truncation really happened
    prompts = [p.prompt for p in pairs] * 2
    responses = [p.chosen for p in pairs] + [p.rejected for p in pairs]
    seen = _scoring_inputs(rm, prompts, responses)
    want = sorted(r["chosen_ids"] for r in train_rows) + sorted(r["rejected_ids"] for r in train_rows)
    assert sorted(seen) == sorted(want)
    # calibration was fitted at the end of training and is used when asked
    cal = Calibration.load(trained.path)
    assert cal is not None and cal.n_pairs > 0 and cal.temperature > 0
    assert rm.calibration == cal


def test_train_ensemble_writes_seed_dirs_and_a_loadable_manifest(tmp_path: Path) -> None:
    base = build_bert(tmp_path / "base")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(24, seed=6))
    events: list[tuple[str, dict]] = []
    params = _params(tmp_path, base, data, "ens", max_seq_length=32, valid_split=0.25, seed=7)
    result = train_ensemble(params, 2, emit=lambda e, **kw: events.append((e, kw)))
    assert (tmp_path / "ens-seed7").is_dir() and (tmp_path / "ens-seed8").is_dir()
    manifest = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert manifest["members"] == ["../ens-seed7", "../ens-seed8"]
    assert "valid_accuracy" in manifest["metrics"] and result.path == str(tmp_path / "ens")
    loaded = load_model(tmp_path / "ens")
    assert isinstance(loaded, Ensemble) and len(loaded.members) == 2
    # different seeds -> different weights -> a real spread
    detail = loaded.score_detail(["what is it"] * 3, ["good answer", "bad answer", "the sun"])
    assert max(detail.std) > 0
    assert loaded.calibration is not None  # every member was calibrated
    a = loaded.members[0].model.classifier.weight
    b = loaded.members[1].model.classifier.weight
    assert not torch.equal(a, b)
    assert sum(1 for e, kw in events if e == "log" and "ensemble member" in kw["message"]) == 2
