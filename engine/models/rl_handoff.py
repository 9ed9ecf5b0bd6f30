"""What a model dir carries for RL trainers that load it as a path (TRL, OpenRLHF).

Called when a model dir is written (training, `RewardModel.save`):
- the tokenizer gets Duelist's chat template (`chat_template.py`), unless the base
  ships its own (Duelist then trained on that one, `chat_encoding.py`), and keeps its
  pad token; `config.pad_token_id` is already set by `model_loading`;
- config.json gets `mean`/`std` (OpenRLHF's names) when reward statistics are known;
- duelist.json gets an `rl` entry whose `path_route` is the one sentence that says
  where the path route cannot reproduce Duelist's input and what to use instead.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.models import chat_template
from duelist.engine.models.encoding import PairEncoder


def path_route_note(encoder: PairEncoder, template_installed: bool) -> str:
    """The one-sentence caveat for duelist.json and the model card."""
    n = encoder.max_length
    if encoder.kind == "chat-template":
        return (f"This dir keeps its base model's chat template, which Duelist trained and scores "
                f"with, so handed to TRL as a path it reproduces Duelist's input for chat-format "
                f"data within {n} tokens (TRL's plain-text path bypasses the template and nothing "
                f"is truncated); use duelist.engine.reward_function(DIR) for rewards exactly as "
                f"Duelist scores.")
    if not template_installed:
        return ("This dir keeps its base model's own chat template, so TRL's path route does not "
                "reproduce Duelist's input; use duelist.engine.reward_function(DIR) (or "
                "'duelist serve') for rewards exactly as Duelist scores.")
    types = (" and without the token-type ids Duelist passes" if encoder.uses_token_types
             and encoder.kind == "pair-template" else "")
    return (f"Handed to TRL as a path, this dir reproduces Duelist's input only for chat-format "
            f"data within {n} tokens{types} (TRL's plain-text path adds no special tokens and "
            f"nothing is truncated); use duelist.engine.reward_function(DIR) for rewards exactly "
            f"as Duelist scores.")


def prepare(model: Any, tokenizer: Any, encoder: PairEncoder,
            stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """Make `model`/`tokenizer` path-ready before save_pretrained; return duelist.json's `rl`."""
    installed = chat_template.install(tokenizer, encoder)
    config = getattr(model, "config", None)
    if config is not None and tokenizer.pad_token_id is not None:
        config.pad_token_id = tokenizer.pad_token_id
    if config is not None and stats and "mean" in stats:
        config.mean = float(stats["mean"])
        config.std = float(stats["std"])
    return {"chat_template": "duelist" if installed else "base",
            "path_route": path_route_note(encoder, installed)}
