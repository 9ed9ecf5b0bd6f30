"""Training flags for `duelist train` and `duelist llm --trainer reward`, built from RewardParams.

Why generated: the flags must match the AutoTrain guide VERBATIM and the help text must
not drift from the engine's, so every `RewardParams` field becomes `--field-name` with
the field's own help, type, default and choices. `engine/training/params.py` is stdlib-only, so
`duelist --help` stays fast (no torch).

Errors from argparse (unknown flag, bad value) become ONE line:
`duelist train: error: unrecognized arguments: --foo (see 'duelist train --help')`.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from dataclasses import MISSING, fields
from typing import Any, NoReturn

from duelist.engine.training.params import RewardParams

HIDDEN = {"project_root"}  # set by the CLI (the current folder), not a user flag


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        ns, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns, extras


def _base_type(annotation: Any) -> type:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


def add_training_flags(p: argparse.ArgumentParser, *, trainer_required: bool = False,
                       trainer_choices: tuple[str, ...] = ("reward",)) -> None:
    """Add one flag per RewardParams field, grouped as the guide's tables are."""
    groups = {
        "data": p.add_argument_group("data"),
        "training": p.add_argument_group("training"),
        "model": p.add_argument_group("model configuration"),
        "evaluation": p.add_argument_group("evaluation and stopping"),
        "running": p.add_argument_group("running"),
    }
    group_of = {
        **dict.fromkeys(["model", "trainer", "data_path", "prompt_text_column", "text_column",
                         "rejected_text_column", "project_name"], "data"),
        **dict.fromkeys(["epochs", "batch_size", "lr", "warmup_ratio", "weight_decay",
                         "gradient_accumulation", "max_seq_length", "num_labels", "use_margin"],
                         "training"),
        **dict.fromkeys(["seed", "valid_split", "eval_strategy", "eval_steps",
                         "early_stopping_patience", "early_stopping_threshold",
                         "load_best_model_at_end"], "evaluation"),
    }
    hints = typing.get_type_hints(RewardParams)
    for f in fields(RewardParams):
        if f.name in HIDDEN:
            continue
        group = groups[group_of.get(f.name, "model" if f.name in {
            "peft", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "quantization",
            "mixed_precision", "gradient_checkpointing", "merge_adapter", "freeze_embeddings"} else "running")]
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "").replace("%", "%%")
        default = f.default if f.default is not MISSING else None
        kind = _base_type(hints[f.name])
        if kind is bool and default is True:
            group.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name,
                               action="store_false", default=True, help=help_text)
            continue
        if kind is bool:
            group.add_argument(flag, dest=f.name, action="store_true", default=default,
                               help=help_text)
            continue
        kwargs: dict[str, Any] = {"dest": f.name, "default": default, "type": kind,
                                  "help": help_text + (f" (default: {default})" if default
                                                       not in (None, "") else "")}
        if f.metadata.get("choices"):
            kwargs["choices"] = list(f.metadata["choices"])
        if f.name == "trainer":
            kwargs["choices"] = list(trainer_choices)
            if trainer_required:
                kwargs["required"] = True
                kwargs.pop("default")
        kwargs["metavar"] = f.name.upper() if "choices" not in kwargs else None
        if kwargs["metavar"] is None:
            kwargs.pop("metavar")
        group.add_argument(flag, **kwargs)
    # AutoTrain's commands say `autotrain llm --train ...`; accepted so they run verbatim.
    groups["running"].add_argument(
        "--train", dest="autotrain_train", action="store_true",
        help="Accepted for AutoTrain compatibility ('autotrain llm --train ...'); this "
             "command always trains.")


def params_from_args(args: argparse.Namespace, **overrides: Any) -> RewardParams:
    """RewardParams from parsed flags (validation errors are one-line ParamsError)."""
    values = {f.name: getattr(args, f.name) for f in fields(RewardParams)
              if f.name not in HIDDEN and hasattr(args, f.name)}
    values.update(overrides)
    return RewardParams(**values)


def make_one_line(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Turn a parser made by `subparsers.add_parser` into a OneLineParser in place."""
    p.__class__ = OneLineParser
    return p
