"""(prompt, response) through a decoder base's own chat template, as TRL does.

Why: for conversational data TRL's RewardTrainer tokenizes `prompt + chosen` messages
with `tokenizer.apply_chat_template(..., tokenize=True)` (trl/data_utils.py, `_tokenize`),
and GRPO/RLOO handed a reward model dir as a path render `prompt + completion` with the
same template and tokenize the text with `add_special_tokens=False`
(grpo_trainer.py, `_calculate_rewards`). A decoder base that ships a chat template
(Qwen, Llama-3-Instruct, ...) was tuned on that layout, so Duelist trains and scores on
it too: `PairEncoder` hands such tokenizers to `ChatEncoder`, and the saved dir keeps
the base's template, so TRL's path route on chat data sees exactly Duelist's input.

Prompts reach the encoder as text (the store keeps chat prompts flattened by
`ingest.values.flatten_chat`, and `engine/models/conversation.py` flattens RL prompts the
same way); `messages_of` turns that text back into messages. A prompt that is not in
that form is one user message. The response is one assistant message.

Truncation keeps Duelist's rule on top of the rendered tokens: within `max_length` the
ids are exactly TRL's; beyond it the template's opening (before the first prompt
content) and closing (after the response) are kept, the response is kept (cut at its
end only if it alone is too long) and the prompt region is cut from the LEFT.
"""

from __future__ import annotations

import re
from typing import Any

# Written into the chat template Duelist itself saves (engine/models/chat_template.py): a
# tokenizer whose template carries it renders Duelist's plain layout, not a base's own.
TEMPLATE_MARK = "duelist-reward-template"

_LABEL_ROLES = {"User": "user", "Human": "user", "Assistant": "assistant",
                "System": "system", "Tool": "tool"}
_TURN = re.compile(r"\n\n(?=(?:" + "|".join(_LABEL_ROLES) + r"): )")
_HEAD = re.compile(r"(" + "|".join(_LABEL_ROLES) + r"): ")


def has_own_chat_template(tokenizer: Any) -> bool:
    """Whether the tokenizer ships a chat template of its own (not Duelist's)."""
    template = getattr(tokenizer, "chat_template", None)
    return bool(template) and TEMPLATE_MARK not in str(template)


def messages_of(prompt: str) -> list[dict[str, str]]:
    """A prompt text as chat messages: flatten_chat's "User: ...\\n\\nAssistant: ..."
    back into turns; any other text is one user message. (A message whose content
    itself holds "\\n\\nUser: " is split there: the form cannot tell them apart.)"""
    parts = _TURN.split(prompt)
    out = []
    for part in parts:
        head = _HEAD.match(part)
        if head is None:
            return [{"role": "user", "content": prompt}]
        out.append({"role": _LABEL_ROLES[head.group(1)], "content": part[head.end():]})
    return out


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


class ChatEncoder:
    """Renders and truncates (prompt, response) with the tokenizer's chat template."""

    def __init__(self, tokenizer: Any, backend: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.backend = backend  # a no-padding, no-truncation clone of the fast tokenizer
        self.max_length = max_length

    def render(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False)

    def encode(self, prompt: list[dict[str, str]], response: str) -> tuple[list[int], bool]:
        """(input_ids, truncated) for prompt messages + the response as the assistant's."""
        reply = {"role": "assistant", "content": response}
        text = self.render([*prompt, reply])
        enc = self._tokenize(text)
        if len(enc.ids) <= self.max_length:
            return list(enc.ids), False
        r_start, r_end = self._response_span(prompt, response, text)
        a_end, p_end = self._prompt_span(prompt, reply, text, r_start)
        head, mid, bridge, resp, tail = [], [], [], [], []
        for tid, (start, _end) in zip(enc.ids, enc.offsets, strict=True):
            if start < a_end:
                head.append(tid)
            elif start < p_end:
                mid.append(tid)
            elif start < r_start:
                bridge.append(tid)  # e.g. "<|im_end|>\n<|im_start|>assistant\n"
            elif start < r_end:
                resp.append(tid)
            else:
                tail.append(tid)
        room = self.max_length - len(head) - len(bridge) - len(tail)
        keep_r = min(len(resp), max(room, 0))
        keep_p = max(0, room - keep_r)
        ids = (head + (mid[len(mid) - keep_p:] if keep_p else []) + bridge + resp[:keep_r]
               + tail)
        if len(ids) > self.max_length:  # the template's own frame exceeds max_length
            ids = ids[len(ids) - self.max_length:]
        return ids, True

    def _tokenize(self, text: str) -> Any:
        return self.backend.encode(text, add_special_tokens=False)

    def _response_span(self, prompt: list[dict[str, str]], response: str,
                       text: str) -> tuple[int, int]:
        """Characters of `text` that are the response's content."""
        empty = self.render([*prompt, {"role": "assistant", "content": ""}])
        start = len(empty) - min(_common_suffix(text, empty), len(empty))
        start = min(start, _common_prefix(text, empty))
        if text[start:start + len(response)] == response:
            return start, start + len(response)
        # The template changed the content (e.g. trimmed it): what differs is the response.
        start = _common_prefix(text, empty)
        return start, max(start, len(text) - _common_suffix(text, empty))

    def _prompt_span(self, prompt: list[dict[str, str]], reply: dict[str, str], text: str,
                     r_start: int) -> tuple[int, int]:
        """Where the prompt's contents begin and end. Before them is the template's
        opening (kept whole), after them its bridge to the response (kept whole)."""
        if not any(m.get("content") for m in prompt):
            return r_start, r_start
        blank = [{**m, "content": ""} for m in prompt]
        start = min(_common_prefix(text, self.render([*blank, reply])), r_start)
        last = self.render([*prompt[:-1], blank[-1], reply])
        end = len(text) - min(_common_suffix(text, last), len(text))
        return start, min(max(end, start), r_start)
