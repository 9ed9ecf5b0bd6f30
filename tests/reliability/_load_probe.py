"""Child process for test_safe_loading: loads hostile model dirs through the
engine's real loaders and prints one JSON line of outcomes.

A child, because custom-code loading copies modules into HF_MODULES_CACHE,
which transformers reads once at import; the parent points it into tmp.
Every "attack" is benign: it creates a marker file, which the parent checks.
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ for tiny_models

from duelist.engine.errors import ModelLoadError
from duelist.engine.models.loading import load_sequence_classifier, load_tokenizer
from duelist.engine.scoring.reward_model import RewardModel
from tiny_models import build_bert

EVIL_CODE = '''
from pathlib import Path
Path({marker!r}).write_text("remote code ran")
from transformers import BertConfig, BertForSequenceClassification
class EvilConfig(BertConfig):
    model_type = "evil-bert"
class EvilModel(BertForSequenceClassification):
    config_class = EvilConfig
'''


class _Opener:
    """Unpickling this creates a file: stands in for any code a pickle can run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def _try(fn) -> dict:  # type: ignore[no-untyped-def]
    try:
        out = fn()
        return {"ok": True, "value": out}
    except ModelLoadError as exc:
        return {"ok": False, "kind": "ModelLoadError", "message": str(exc)}
    except Exception as exc:  # reported: a raw exception is a finding
        return {"ok": False, "kind": type(exc).__name__, "message": str(exc)[:500]}


def _custom_code_dir(root: Path, name: str, marker: Path, model_type: str) -> Path:
    d = build_bert(root / name)
    (d / "evil.py").write_text(EVIL_CODE.format(marker=str(marker)))
    cfg = json.loads((d / "config.json").read_text())
    cfg["model_type"] = model_type
    cfg["auto_map"] = {"AutoConfig": "evil.EvilConfig",
                       "AutoModelForSequenceClassification": "evil.EvilModel"}
    (d / "config.json").write_text(json.dumps(cfg))
    return d


def main() -> None:
    root = Path(sys.argv[1])
    out: dict[str, dict] = {}
    base = build_bert(root / "plain")
    tok = load_tokenizer(str(base))

    # 1. custom code, unknown architecture: refused without the flag
    m1 = root / "marker_unknown_type"
    d1 = _custom_code_dir(root, "custom_unknown", m1, "evil-bert")
    out["unknown_type_default"] = _try(lambda: type(load_sequence_classifier(str(d1), tok)).__name__)
    out["unknown_type_default"]["marker"] = m1.exists()
    out["unknown_type_rewardmodel"] = _try(lambda: repr(RewardModel.load(d1)))
    out["unknown_type_rewardmodel"]["marker"] = m1.exists()

    # 2. custom code next to a known architecture: the built-in class is used
    m2 = root / "marker_known_type"
    d2 = _custom_code_dir(root, "custom_known", m2, "bert")
    out["known_type_default"] = _try(lambda: type(load_sequence_classifier(str(d2), tok)).__name__)
    out["known_type_default"]["marker"] = m2.exists()

    # 3. control: the explicit flag is what lets the code run
    out["unknown_type_trusted"] = _try(
        lambda: type(load_sequence_classifier(str(d1), tok, trust_remote_code=True)).__name__)
    out["unknown_type_trusted"]["marker"] = m1.exists()

    # 4. safetensors preferred: a booby-trapped pickle beside them is never opened
    m4 = root / "marker_pickle_beside"
    d4 = root / "both"
    shutil.copytree(base, d4)
    with (d4 / "pytorch_model.bin").open("wb") as fh:
        pickle.dump({"x": _Opener(str(m4))}, fh)
    out["pickle_beside_safetensors"] = _try(
        lambda: round(float(RewardModel.load(d4).score("what is it", "good answer")), 6))
    out["pickle_beside_safetensors"]["marker"] = m4.exists()
    out["plain_score"] = _try(
        lambda: round(float(RewardModel.load(base).score("what is it", "good answer")), 6))

    # 5. only a booby-trapped pickle: refused in one line, never executed
    m5 = root / "marker_pickle_only"
    d5 = root / "pickle_only"
    shutil.copytree(base, d5)
    (d5 / "model.safetensors").unlink()
    with (d5 / "pytorch_model.bin").open("wb") as fh:
        pickle.dump({"x": _Opener(str(m5))}, fh)
    out["pickle_only"] = _try(lambda: repr(RewardModel.load(d5)))
    out["pickle_only"]["marker"] = m5.exists()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
