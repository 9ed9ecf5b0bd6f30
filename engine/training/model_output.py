"""Writing the finished model directory (full model, LoRA adapter, or merged LoRA).

Layout of `<project>/<project_name>/`:
- full fine-tune: model (safetensors) + tokenizer + duelist.json + README.md;
- `--peft`: the LoRA adapter (score head included via modules_to_save) + tokenizer +
  duelist.json + README.md. transformers loads it with peft installed;
- `--peft --merge-adapter`: the MERGED plain sequence-classification model at the
  top (what PPO pipelines load with `AutoModelForSequenceClassification`), and the
  adapter it came from under `adapter/`.
Everything is written in a temp dir beside the target and renamed into place.

It lives with training (not in engine/models/) because it hands back a RewardModel:
training builds on scoring, and models/ sits below both.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.files.atomic import atomic_dir
from duelist.engine.models.model_files import write_meta, write_model_card
from duelist.engine.scoring.reward_model import RewardModel
from duelist.engine.training.params import RewardParams


def write_model_dir(params: RewardParams, model: Any, tokenizer: Any, meta: dict[str, Any], *,
                    merge: bool = False) -> RewardModel:
    out = params.output_dir
    is_peft = hasattr(model, "peft_config")
    meta = {**meta, "adapter": is_peft and not merge, "merged_adapter": is_peft and merge}
    with atomic_dir(out) as tmp:
        if is_peft and merge:
            adapter_dir = tmp / "adapter"
            model.save_pretrained(adapter_dir)
            tokenizer.save_pretrained(adapter_dir)
            write_meta(adapter_dir, {**meta, "adapter": True, "merged_adapter": False})
            model = model.merge_and_unload()
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_meta(tmp, meta)
        write_model_card(tmp, meta)
    enc = meta["encoding"]
    return RewardModel(model, tokenizer, max_length=int(enc["max_length"]), meta=meta,
                       path=str(out))
