"""Duelist's engine: preference pairs in, reward models out.

Nothing heavy is imported here at module level: the TUI imports pieces of the
engine (events, pair resolution, ingest) and must stay fast. The training API is
loaded on first use:

    from duelist.engine import RewardParams, train, RewardModel, reward_function
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

# bitsandbytes, pulled in by transformers/peft when the training or scoring modules are
# imported, logs on every CPU start that an optional 4-bit kernel package is missing
# ("Failed to load CPU gemm_4bit_forward ..."). Duelist never runs 4-bit on CPU, so the
# line was only noise in the worker log (issue 14, item 14). Errors still show.
logging.getLogger("bitsandbytes").setLevel(logging.ERROR)

_LAZY = {
    "RewardParams": "duelist.engine.training.params",
    "train": "duelist.engine.training.train",
    "RewardModel": "duelist.engine.scoring.reward_model",
    "reward_function": "duelist.engine.rl.reward_function",
    "PolicyParams": "duelist.engine.rl.policy_training",
    "train_policy": "duelist.engine.rl.policy_training",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'duelist.engine' has no attribute {name!r}")
