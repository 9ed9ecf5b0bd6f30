"""Prompts and completions as RL trainers pass them -> the texts Duelist encodes.

TRL hands reward functions either plain strings or conversations (lists of
`{"role", "content"}` messages). Duelist models were trained on plain text, with chat
prompts flattened by `ingest.values.flatten_chat` ("User: ...\\n\\nAssistant: ..."),
so both kinds are turned into that same text here, and nowhere else.

Unlike importing, nothing is refused: an RL rollout can produce an empty completion,
and it still needs a reward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.ingest.values import flatten_chat


def _content(message: Any, what: str) -> str:
    if not isinstance(message, dict) or "role" not in message:
        raise InputError(f"{what}: a chat message must be an object with 'role' and 'content'")
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, list):  # multimodal parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise InputError(f"{what}: chat message content must be text, got {type(content).__name__}")
    return content


def is_conversation(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(m, dict) for m in value)


def prompt_text(prompt: Any) -> str:
    """A prompt as Duelist encodes it: strings as they are, conversations flattened."""
    if isinstance(prompt, str):
        return prompt
    if is_conversation(prompt):
        messages = [{"role": str(m.get("role", "")), "content": _content(m, "prompt")}
                    for m in prompt]
        return flatten_chat(messages)
    raise InputError(f"a prompt must be text or a list of chat messages, got "
                     f"{type(prompt).__name__}")


def completion_text(completion: Any) -> str:
    """A completion as Duelist encodes it: its text, or its messages' contents joined.

    Matches `ingest.values.text` for chat-format responses; an empty completion stays
    empty (it is scored, not refused).
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if is_conversation(completion):
        return "\n\n".join(_content(m, "completion") for m in completion)
    raise InputError(f"a completion must be text or a list of chat messages, got "
                     f"{type(completion).__name__}")


def texts(prompts: Sequence[Any], completions: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Parallel prompt and completion texts; one line if the lists differ in length."""
    if len(prompts) != len(completions):
        raise InputError(f"{len(prompts)} prompts but {len(completions)} completions")
    return [prompt_text(p) for p in prompts], [completion_text(c) for c in completions]
