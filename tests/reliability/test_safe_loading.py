"""Safe loading: no model-repo code runs unless the user passes the explicit flag,
and weights come from safetensors, never from a pickle that can run code.

The attacks are benign stand-ins (they create a marker file); the loaders are the
engine's real ones (`load_sequence_classifier`, `RewardModel.load`), run in a child
process so transformers' module cache can be pointed into tmp.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from duelist.engine.training.params import RewardParams
from duelist.tui.cli.main import build_parser
from duelist.tui.cli.train_flags import params_from_args

from reliability._dbstate import assert_one_line

PROBE = Path(__file__).with_name("_load_probe.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("hostile_models")
    env = {**os.environ, "HF_MODULES_CACHE": str(root / "modules"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1"}
    r = subprocess.run([sys.executable, str(PROBE), str(root)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_custom_code_is_refused_without_the_flag(outcomes: dict) -> None:
    for case in ("unknown_type_default", "unknown_type_rewardmodel"):
        got = outcomes[case]
        assert got["marker"] is False, f"{case}: repository code ran without --trust-remote-code"
        assert got["ok"] is False and got["kind"] == "ModelLoadError", got
        assert_one_line(got["message"], "custom_unknown", "custom code")


def test_custom_code_beside_a_known_architecture_is_ignored(outcomes: dict) -> None:
    got = outcomes["known_type_default"]
    assert got == {"ok": True, "value": "BertForSequenceClassification", "marker": False}


def test_the_explicit_flag_is_what_allows_custom_code(outcomes: dict) -> None:
    """Control: the same dir with trust_remote_code=True does run its code, so the
    refusals above are the flag's doing and not an accident of the setup."""
    assert outcomes["unknown_type_trusted"] == {"ok": True, "value": "EvilModel", "marker": True}


def test_safetensors_win_over_a_booby_trapped_pickle(outcomes: dict) -> None:
    got = outcomes["pickle_beside_safetensors"]
    assert got["marker"] is False, "pytorch_model.bin was unpickled although safetensors exist"
    assert got["ok"] is True and got["value"] == outcomes["plain_score"]["value"]


def test_a_pickle_only_model_never_executes(outcomes: dict) -> None:
    got = outcomes["pickle_only"]
    assert got["marker"] is False, "a pickle in a model dir ran code"
    assert got["ok"] is False and got["kind"] == "ModelLoadError", got
    assert_one_line(got["message"], "pickle_only")


def test_trust_remote_code_is_off_unless_asked() -> None:
    assert RewardParams().trust_remote_code is False
    parser = build_parser()
    for argv in (["train"], ["llm", "--trainer", "reward"]):
        args = parser.parse_args(argv)
        assert params_from_args(args, project_root=".").trust_remote_code is False
    args = parser.parse_args(["train", "--trust-remote-code"])
    assert params_from_args(args, project_root=".").trust_remote_code is True


def test_no_code_path_turns_the_protections_off() -> None:
    """A guard against a later edit: nothing in the product hard-codes remote code on,
    safetensors off, or an unrestricted torch.load."""
    bad = re.compile(r"trust_remote_code\s*=\s*True|use_safetensors\s*=\s*False|"
                     r"weights_only\s*=\s*False|pickle\.loads?\(")
    hits = []
    for folder in ("engine", "tui", "store"):
        for path in (REPO / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if bad.search(line):
                    hits.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert hits == []
