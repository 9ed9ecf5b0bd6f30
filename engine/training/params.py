"""`RewardParams`: every knob of reward training, with the AutoTrain guide's names.

Field names and defaults follow the AutoTrain reward guide's parameter tables
(`model`, `trainer`, `data_path`, `prompt_text_column`, ..., `epochs=3`,
`batch_size=8`, `lr=1e-5`, `warmup_ratio=0.1`, `weight_decay=0.01`,
`gradient_accumulation=1`, `max_seq_length=512`, `num_labels=1`, `peft=False`,
`lora_r=16`, `lora_alpha=32`, `quantization=None`), so a user's existing commands and
scripts carry over. Where the guide is silent, the default and its reason sit in the
field's help text. The CLI builds its flags from these fields, so the help text here
IS the `--help` text (TRL style: a config dataclass with help on every field).

Stdlib only: the CLI imports this module for `--help` without loading torch.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from duelist.engine.errors import ParamsError
from duelist.engine.runs.layout import run_folder

QUANTIZATIONS = ("int4", "int8")
MIXED_PRECISIONS = ("fp16", "bf16", "no")
EVAL_STRATEGIES = ("no", "steps", "epoch")
ATTENTIONS = ("auto", "eager", "sdpa")
# Upper bounds: past these a value is a typo, not a run (the app's train form shows
# these messages too: it validates through this class, so the two cannot disagree).
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 4096
MAX_SEQ_LENGTH = 32768
MAX_VALID_SPLIT = 0.9  # at 0.9 and above almost nothing is left to train on
# Defaults of the LoRA knobs; setting any of them without --peft is a contradiction.
_LORA_DEFAULTS = {"lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": None}


def _f(default: Any, help: str, **kw: Any) -> Any:
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class RewardParams:
    """Reward-model training parameters (AutoTrain-compatible names)."""

    # ---- what to train on --------------------------------------------------
    model: str | None = _f(
        None, "Base model: a local directory or hub id. Default: the embedded all-MiniLM-L6-v2 "
              "(works offline; small enough to train on a laptop CPU).")
    trainer: str = _f("reward", "Trainer type; Duelist trains reward models, so only 'reward'.")
    data_path: str | None = _f(
        None, "Preference file (JSON, JSONL, CSV, Parquet; any import format). Default: the "
              "judgements in the project database (--db), resolved by majority vote.")
    prompt_text_column: str = _f("prompt", "Column with prompts (guide: required; the common name "
                                           "'prompt' by default).")
    text_column: str = _f("chosen", "Column with chosen (preferred) responses.")
    rejected_text_column: str = _f("rejected", "Column with rejected responses.")
    project_name: str = _f(
        "reward-model", "Output model directory, relative to the project folder. Absolute paths "
                        "and '..' are rejected so a run cannot write outside the project.")

    # ---- training ----------------------------------------------------------
    epochs: int = _f(3, "Training epochs.")
    batch_size: int = _f(8, "Pairs per batch (each pair is two sequences).")
    lr: float = _f(1e-5, "Learning rate (AdamW).")
    warmup_ratio: float = _f(0.1, "Fraction of steps spent warming the learning rate up.")
    weight_decay: float = _f(0.01, "Weight decay.")
    gradient_accumulation: int = _f(1, "Batches accumulated per optimizer step.")
    max_seq_length: int = _f(
        512, "Maximum tokens per (prompt, response). Longer pairs are TRUNCATED (prompt cut "
             "from the left, response kept), never dropped; the count is reported.")
    num_labels: int = _f(1, "Reward outputs; a Bradley-Terry reward model has exactly 1.")
    use_margin: bool = _f(
        False, "Train with each pair's margin (graded strength: slightly 1/3, clearly 2/3, much "
               "1; ungraded 0; or a file's margin column) in TRL's loss "
               "-logsigmoid(r_chosen - r_rejected - margin).")

    # ---- model configuration -----------------------------------------------
    peft: bool = _f(False, "Train a LoRA adapter instead of all weights (score head trained "
                           "and saved in full via modules_to_save).")
    lora_r: int = _f(16, "LoRA rank.")
    lora_alpha: int = _f(32, "LoRA alpha.")
    lora_dropout: float = _f(0.05, "LoRA dropout. Guide silent; 0.05 is PEFT/TRL's common "
                                   "choice for small adapters.")
    target_modules: str | None = _f(
        None, "Comma-separated module names for LoRA (e.g. 'q_proj,v_proj'), or 'all-linear'. "
              "Default: PEFT's known modules for the architecture, else all-linear.")
    quantization: str | None = _f(None, "Load the base model in int4 or int8 (bitsandbytes, "
                                        "CUDA only; needs --peft).", choices=QUANTIZATIONS)
    mixed_precision: str | None = _f(
        None, "fp16, bf16 or no. Default: bf16 where the GPU/CPU runs it natively (CPU flags "
              "avx512_bf16/amx), else fp32 — emulated bf16 is slower than fp32.",
        choices=MIXED_PRECISIONS)
    gradient_checkpointing: bool = _f(
        False, "Recompute activations to save memory. Off by default: TRL turns it on, but "
               "for small models it cost ~27% of training time here and memory was no issue.")
    freeze_embeddings: bool = _f(
        True, "Keep the input token-embedding table frozen when it holds >= 25% of the "
              "weights (small models: MiniLM's is 11.7M of 22.7M). A few thousand pairs touch "
              "few of its rows, so training it buys little, while its gradient and AdamW "
              "update cost ~20% of each step here. An embedding block around it (BERT's "
              "position/type tables and LayerNorm, <1% of the weights) is frozen with it, so "
              "backward stops at the first layer. --no-freeze-embeddings trains them too.")
    attention: str = _f(
        "auto", "Attention kernel: eager, sdpa or auto. auto keeps the model's default on GPU; "
                "on CPU it times both kernels on the first training steps of each batch width "
                "and keeps the faster (SDPA's CPU backward was up to 1.4x slower than eager on "
                "short batches here, and faster at 256 tokens).", choices=ATTENTIONS)
    merge_adapter: bool = _f(False, "With --peft: also write the LoRA merged into a plain "
                                    "sequence-classification model (what PPO pipelines load).")

    # ---- evaluation and stopping -------------------------------------------
    seed: int = _f(42, "Random seed (split, head init, shuffling).")
    valid_split: float = _f(
        0.2, "Fraction of PROMPTS held out for validation (grouped, so no prompt is on both "
             "sides). Guide silent; 0.2 so every run reports a held-out accuracy. 0 disables.")
    eval_strategy: str = _f("epoch", "When to evaluate: no, steps or epoch.",
                            choices=EVAL_STRATEGIES)
    eval_steps: int | None = _f(None, "Evaluate every N optimizer steps (eval_strategy=steps).")
    early_stopping_patience: int | None = _f(
        None, "Stop after N evaluations without improvement of validation accuracy. Off by "
              "default: with 3 epochs there are only 3 evaluations.")
    early_stopping_threshold: float = _f(0.01, "Minimum accuracy gain that counts as improvement.")
    load_best_model_at_end: bool = _f(False, "Keep the checkpoint with the best validation "
                                             "accuracy instead of the last one.")

    # ---- running -------------------------------------------------------------
    resume: bool = _f(False, "Continue from the last checkpoint of this project's run dir.")
    num_processes: int | None = _f(None, "Processes for `accelerate launch` (multi-GPU). "
                                         "Default: one per visible GPU when there are several.")
    accelerate_config: str | None = _f(None, "An accelerate config file (multi-node, DeepSpeed, "
                                             "FSDP); implies launching through accelerate.")
    trust_remote_code: bool = _f(False, "Allow model code from the model repo to run. Off: "
                                        "never run downloaded code unless asked.")
    ensemble: int = _f(1, "Train K models with different seeds (uncertainty for active learning).")
    logging_steps: int = _f(10, "Emit a step event every N optimizer steps.")
    save_steps: int | None = _f(
        None, "Checkpoint (for --resume) every N optimizer steps. Default: at every evaluation, "
              "else once per epoch: cheap for small models, and enough to resume a long run.")
    max_steps: int = _f(-1, "Stop after N optimizer steps (-1: run all epochs). For smoke runs.")
    project_root: str = _f(".", "Folder that project_name is relative to.")

    def __post_init__(self) -> None:
        self.validate()

    # ---- validation --------------------------------------------------------
    def validate(self) -> None:
        """Raise ParamsError (one line) for bad or contradictory settings."""
        if self.trainer != "reward":
            raise ParamsError(f"--trainer {self.trainer!r} is not supported: Duelist trains reward "
                              "models, use --trainer reward")
        _positive("epochs", self.epochs, MAX_EPOCHS)
        _positive("batch_size", self.batch_size, MAX_BATCH_SIZE)
        _positive("gradient_accumulation", self.gradient_accumulation)
        _positive("logging_steps", self.logging_steps)
        _positive("ensemble", self.ensemble)
        if not 0 < self.lr < 1:
            raise ParamsError(f"--lr must be in (0, 1), e.g. 5e-5, got {self.lr}")
        if not 0 <= self.warmup_ratio < 1:
            raise ParamsError(f"--warmup-ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.weight_decay < 0:
            raise ParamsError(f"--weight-decay must be >= 0, got {self.weight_decay}")
        if not 8 <= self.max_seq_length <= MAX_SEQ_LENGTH:
            raise ParamsError(f"--max-seq-length must be between 8 and {MAX_SEQ_LENGTH} tokens, "
                              f"got {self.max_seq_length}")
        if self.num_labels != 1:
            raise ParamsError(f"--num-labels {self.num_labels}: a reward model outputs one score "
                              "(Bradley-Terry); use --num-labels 1")
        if not 0 <= self.valid_split < MAX_VALID_SPLIT:
            raise ParamsError(f"--valid-split must be in [0, {MAX_VALID_SPLIT}), got "
                              f"{self.valid_split}")
        for name, value, allowed in (("quantization", self.quantization, QUANTIZATIONS),
                                     ("mixed_precision", self.mixed_precision, MIXED_PRECISIONS),
                                     ("eval_strategy", self.eval_strategy, EVAL_STRATEGIES),
                                     ("attention", self.attention, ATTENTIONS)):
            if value is not None and value not in allowed:
                raise ParamsError(f"--{_flag(name)} {value!r}: choose from {', '.join(allowed)}")
        self._validate_peft()
        self._validate_eval()
        if self.num_processes is not None:
            _positive("num_processes", self.num_processes)
        if self.save_steps is not None:
            _positive("save_steps", self.save_steps)
        check_project_name(self.project_name)
        check_output_paths(self.project_root, self.project_name)

    def _validate_peft(self) -> None:
        if self.peft:
            _positive("lora_r", self.lora_r)
            _positive("lora_alpha", self.lora_alpha)
            if not 0 <= self.lora_dropout < 1:
                raise ParamsError(f"--lora-dropout must be in [0, 1), got {self.lora_dropout}")
            return
        if self.merge_adapter:
            raise ParamsError("--merge-adapter needs --peft (there is no adapter to merge)")
        if self.quantization:
            raise ParamsError(f"--quantization {self.quantization} needs --peft: quantized weights "
                              "cannot be trained directly, only a LoRA adapter on top of them")
        changed = [k for k, v in _LORA_DEFAULTS.items() if getattr(self, k) != v]
        if changed:
            flags = ", ".join(f"--{_flag(k)}" for k in changed)
            raise ParamsError(f"{flags} only apply with --peft; add --peft or drop them")

    def _validate_eval(self) -> None:
        evaluating = self.valid_split > 0 and self.eval_strategy != "no"
        if self.eval_strategy == "steps" and not self.eval_steps:
            raise ParamsError("--eval-strategy steps needs --eval-steps N")
        if self.eval_steps is not None and self.eval_steps <= 0:
            raise ParamsError(f"--eval-steps must be > 0, got {self.eval_steps}")
        for name in ("early_stopping_patience", "load_best_model_at_end"):
            if getattr(self, name) and not evaluating:
                why = "--valid-split is 0" if self.valid_split == 0 else "--eval-strategy is no"
                raise ParamsError(f"--{_flag(name)} needs validation, but {why}")
        if self.early_stopping_patience is not None and self.early_stopping_patience <= 0:
            raise ParamsError("--early-stopping-patience must be > 0")

    # ---- (de)serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RewardParams:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsError(f"unknown parameter(s): {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def from_json_file(cls, path: str | Path) -> RewardParams:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ParamsError(f"{path}: cannot read parameters: {exc}") from None
        if not isinstance(data, dict):
            raise ParamsError(f"{path}: parameters must be a JSON object")
        return cls.from_dict(data)

    # ---- derived paths -----------------------------------------------------
    @property
    def output_dir(self) -> Path:
        """Where the finished model goes: <project_root>/<project_name>."""
        return (Path(self.project_root).expanduser() / self.project_name).resolve()

    @property
    def run_dir(self) -> Path:
        """Checkpoints and events.jsonl: a sibling of the model dir, never inside it, so
        the model dir's atomic rename cannot clobber an in-progress run."""
        return run_folder(self.output_dir)


def field_defaults() -> dict[str, Any]:
    return {f.name: f.default for f in fields(RewardParams) if f.default is not MISSING}


def check_project_name(name: str) -> None:
    """project_name stays inside the project folder: no absolute paths, no '..'."""
    if not name or not name.strip():
        raise ParamsError("--project-name must not be empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ParamsError(f"--project-name {name!r} must not contain control characters "
                          "(NUL, newline, escape)")
    for pure in (PurePosixPath(name), PureWindowsPath(name)):
        if pure.is_absolute() or pure.anchor:
            raise ParamsError(f"--project-name {name!r} must be a relative name inside the "
                              "project folder, not an absolute path")
        if ".." in pure.parts:
            raise ParamsError(f"--project-name {name!r} must not contain '..' (it would write "
                              "outside the project folder)")
    if not PurePosixPath(name).parts or not PureWindowsPath(name).parts:
        # '.', './.', './/' ...: the model would be swapped in for the project folder itself
        raise ParamsError(f"--project-name {name!r} must name a folder inside the project, "
                          "not the project folder itself")


def check_output_paths(project_root: str, name: str) -> None:
    """The model dir and its run dir resolve (symlinks followed) inside the project
    folder, and neither is an existing file.

    Why: a textual check of the name is not enough. `--project-name duelist.db` names
    the project database itself, and saving the model would rename it aside and
    delete it; `--project-name link/model` with `link -> ../outside` writes outside.
    """
    root = Path(project_root).expanduser().resolve()
    out = (root / name).resolve()
    for where in (out, run_folder(out)):
        if not where.is_relative_to(root) or where == root:
            raise ParamsError(f"--project-name {name!r} leads outside the project folder "
                              f"(through a symbolic link, to '{where}')")
        try:
            is_file = where.exists() and not where.is_dir()
        except OSError as exc:  # a name too long for the file system, a loop
            raise ParamsError(f"--project-name {name!r} cannot be used here "
                              f"({exc.strerror or exc})") from None
        if is_file:
            raise ParamsError(f"--project-name {name!r}: '{where}' is an existing file, not a "
                              "model folder; refusing to replace it. Choose another name")


def _flag(name: str) -> str:
    return name.replace("_", "-")


def _positive(name: str, value: int, most: int | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ParamsError(f"--{_flag(name)} must be a positive integer, got {value!r}")
    if most is not None and value > most:
        raise ParamsError(f"--{_flag(name)} must be at most {most}, got {value!r}")
