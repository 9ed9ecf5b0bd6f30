"""`RewardModel`: a trained reward model you can score, rank and compare with.

Scoring encodes with the SAME `PairEncoder` (kind and max_length read from the
model dir's `duelist.json`) that training used, so scores mean what training meant.

`score_batch` runs the fast scorer (`engine/scoring/scorer.py`: encode once, length-sorted
dynamic batches, inference_mode, bf16 autocast where the hardware has it).
`forward_scores` stays as the training loop's validation pass over pre-encoded rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from duelist.engine.errors import InputError, ModelLoadError
from duelist.engine.files.atomic import atomic_dir
from duelist.engine.models.encoding import PairEncoder
from duelist.engine.models.model_files import read_meta, write_meta
from duelist.engine.models.precision import default_device
from duelist.engine.scoring.model_set import ScoreDetail, ScoringMixin

DEFAULT_MAX_LENGTH = 512


def pad_batch(features: Sequence[dict[str, list[int]]], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a list of encoded features into tensors (input_ids, attention_mask, token types)."""
    width = max(len(f["input_ids"]) for f in features)
    out: dict[str, torch.Tensor] = {}
    for key, fill in (("input_ids", pad_token_id), ("attention_mask", 0), ("token_type_ids", 0)):
        if key not in features[0]:
            continue
        out[key] = torch.tensor([f[key] + [fill] * (width - len(f[key])) for f in features],
                                dtype=torch.long)
    return out


def forward_scores(model: Any, features: Sequence[dict[str, list[int]]], *, pad_token_id: int,
                   device: str | torch.device = "cpu", batch_size: int = 32,
                   precision: str = "fp32") -> list[float]:
    """Scores for encoded inputs, in input order. THE forward pass of scoring.

    Inputs are sorted by length so each batch pads little, scored under
    `torch.inference_mode()`, and put back in the caller's order. `precision` 'bf16'
    turns on bf16 autocast (only worth it where `precision.bf16_supported`); the
    default fp32 gives exactly what plain transformers gives.
    """
    from duelist.engine.models.pooled_token import pooled_token_only
    from duelist.engine.models.precision import autocast

    if not features:
        return []
    order = sorted(range(len(features)), key=lambda i: len(features[i]["input_ids"]))
    scores = [0.0] * len(features)
    model.eval()
    with (torch.inference_mode(), autocast(str(device), precision == "bf16"),
          pooled_token_only(model)):
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            batch = pad_batch([features[i] for i in idx], pad_token_id)
            batch = {k: v.to(device) for k, v in batch.items()}
            logits = model(**batch).logits.float()
            for i, value in zip(idx, logits[:, 0].tolist(), strict=True):
                scores[i] = float(value)
    return scores


def model_position_limit(model: Any) -> int:
    """The longest input the model's position embeddings allow (large when unbounded)."""
    limit = getattr(model.config, "max_position_embeddings", None) or getattr(
        model.config, "n_positions", None)
    return int(limit) if limit else 1_000_000


def _meta_max_length(meta: dict[str, Any], path: Path) -> int | None:
    """encoding.max_length from duelist.json, checked: one line instead of a
    ValueError/AttributeError deep in loading."""
    enc = meta.get("encoding", {})
    if enc is None:
        return None
    if not isinstance(enc, dict):
        raise ModelLoadError(f"'{path / 'duelist.json'}': 'encoding' must be an object")
    value = enc.get("max_length")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 8 <= value <= 10_000_000:
        raise ModelLoadError(f"'{path / 'duelist.json'}': encoding.max_length must be a whole "
                             f"number of tokens from 8 up, got {value!r}")
    return value


class RewardModel(ScoringMixin):
    """A reward model plus the encoder it was trained with."""

    def __init__(self, model: Any, tokenizer: Any, *, max_length: int = DEFAULT_MAX_LENGTH,
                 meta: dict[str, Any] | None = None, device: str | None = None,
                 path: str | None = None) -> None:
        self.model = model
        enc = (meta or {}).get("encoding")
        kind = enc.get("kind") if isinstance(enc, dict) else None
        self.encoder = PairEncoder(tokenizer, max_length, kind if isinstance(kind, str) else None)
        self.tokenizer = self.encoder.tokenizer
        self.meta = dict(meta or {})
        self.device = device or str(next(model.parameters()).device)
        self.path = path
        # 'auto': bf16 autocast where the hardware runs it natively (engine/scoring/scorer.py);
        # set 'fp32' for bit-for-bit plain-transformers scores.
        self.precision = "auto"
        self.batch_size = 32
        self._calibration: Any = None

    # ---- loading and saving -------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, *, device: str | None = None,
             trust_remote_code: bool = False) -> RewardModel:
        """Load a Duelist model dir (merged or LoRA adapter) or any HF seq-cls model dir."""
        from duelist.engine.models.loading import load_sequence_classifier, load_tokenizer

        path = Path(path).expanduser()
        if not path.is_dir():
            raise ModelLoadError(f"model directory '{path}' does not exist")
        meta = read_meta(path)
        max_length = _meta_max_length(meta, path)
        if (path / "adapter_config.json").exists():
            net, tok = _load_adapter(path, meta, trust_remote_code=trust_remote_code)
        else:
            tok = load_tokenizer(str(path), trust_remote_code=trust_remote_code)
            net = load_sequence_classifier(str(path), tok, num_labels=1,
                                           trust_remote_code=trust_remote_code)
        if max_length is None:
            limit = getattr(tok, "model_max_length", DEFAULT_MAX_LENGTH) or DEFAULT_MAX_LENGTH
            max_length = min(int(limit), DEFAULT_MAX_LENGTH, model_position_limit(net))
        # A duelist.json that asks for more positions than the model has would fail at the
        # first long input with a tensor size error: score as training would have.
        max_length = min(max_length, model_position_limit(net))
        # The GPU when there is one: `duelist score` and the RL reward function ran on the
        # CPU of a GPU machine before (found by bench/gpu_check.sh's design review).
        device = device or default_device()
        net.to(device)
        net.eval()
        return cls(net, tok, max_length=max_length, meta=meta, device=device, path=str(path))

    def save(self, path: str | Path) -> Path:
        """Write model, tokenizer and duelist.json atomically (temp dir + rename)."""
        from duelist.engine.models import rl_handoff as handoff

        path = Path(path).expanduser()
        rl_info = handoff.prepare(self.model, self.tokenizer, self.encoder,
                                  self.meta.get("reward_stats"))
        with atomic_dir(path) as tmp:
            self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            meta = dict(self.meta)
            meta["encoding"] = self.encoding_info()
            meta["rl"] = rl_info
            meta.pop("libraries", None)
            write_meta(tmp, meta)
        self.path = str(path)
        return path

    def encoding_info(self) -> dict[str, Any]:
        return {"kind": self.encoder.kind, "max_length": self.encoder.max_length}

    # ---- scoring ------------------------------------------------------------

    def _forward(self, features: Sequence[dict[str, list[int]]]) -> list[float]:
        return forward_scores(self.model, features, pad_token_id=self.tokenizer.pad_token_id,
                              device=self.device, batch_size=self.batch_size,
                              precision=self.precision)

    def score_batch(self, prompts: Sequence[Any], responses: Sequence[Any],
                    progress: Any = None) -> list[float]:
        """One reward per (prompt, response) pair, in order (the fast scorer, engine/scoring/scorer.py).

        A prompt (or response) may be a chat conversation, a list of {role, content}
        messages: it is flattened exactly as importing flattens chat data
        (`engine/models/conversation.py`), so it scores the same as its text.
        """
        from duelist.engine.models.conversation import texts
        from duelist.engine.scoring.scorer import Scorer

        if len(prompts) != len(responses):
            raise InputError(f"score_batch got {len(prompts)} prompts but {len(responses)} responses")
        encoded = self.encoder.encode_many(*texts(prompts, responses))
        scorer = Scorer(self.model, self.encoder, precision=self.precision,
                        batch_size=self.batch_size)
        return scorer.score_encoded(encoded, progress)

    def score_pairs(self, prompts: Sequence[str], first: Sequence[str], second: Sequence[str],
                    progress: Any = None) -> tuple[list[float], list[float]]:
        """Rewards of both sides of comparisons; near ties re-checked in fp32 (engine/scoring/scorer.py)."""
        from duelist.engine.scoring.scorer import Scorer

        scorer = Scorer(self.model, self.encoder, precision=self.precision,
                        batch_size=self.batch_size)
        return scorer.score_pairs(prompts, first, second, progress)

    @property
    def calibration(self) -> Any:
        """The model dir's calibration.json (engine/scoring/calibration.py), or None."""
        if self._calibration is None and self.path:
            from duelist.engine.scoring.calibration import Calibration

            self._calibration = Calibration.load(self.path) or False
        return self._calibration or None

    def score_detail(self, prompts: Sequence[str], responses: Sequence[str],
                     progress: Any = None) -> ScoreDetail:
        """The model-set interface: a single model has no members or aspects."""
        return ScoreDetail(list(self.score_batch(prompts, responses, progress=progress)))

    def __repr__(self) -> str:
        return (f"RewardModel(path={self.path!r}, encoding={self.encoder.kind}, "
                f"max_length={self.encoder.max_length})")


def _load_adapter(path: Path, meta: dict[str, Any], *, trust_remote_code: bool) -> tuple[Any, Any]:
    """A LoRA adapter dir: base model from adapter_config + adapter (+ saved score head)."""
    import json

    from duelist.engine.models.loading import load_sequence_classifier, load_tokenizer
    from peft import PeftModel

    cfg = json.loads((path / "adapter_config.json").read_text(encoding="utf-8"))
    base = meta.get("base_model") or cfg.get("base_model_name_or_path")
    if not base:
        raise ModelLoadError(f"adapter directory '{path}' does not name its base model")
    tok = load_tokenizer(str(path), trust_remote_code=trust_remote_code)
    net = load_sequence_classifier(base, tok, num_labels=1, trust_remote_code=trust_remote_code)
    try:
        net = PeftModel.from_pretrained(net, str(path))
    except Exception as exc:
        raise ModelLoadError(f"cannot load LoRA adapter from '{path}': {exc}") from None
    return net, tok
