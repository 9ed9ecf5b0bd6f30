"""How a (prompt, response) becomes model input: the ONE place, for training and scoring.

Why this exists: the AutoTrain guide scores with f"{prompt} {sep_token} {response}",
which is "None" on GPT-2/Llama and differs from how TRL tokenized during training.
Here training and scoring call the same `PairEncoder.encode`, so the model always sees
the format it learned.

Layout:
- Encoders with a pair template (BERT, MiniLM, RoBERTa): the tokenizer's own pair
  template, e.g. [CLS] prompt [SEP] response [SEP], with token_type_ids.
- Decoders that ship a chat template (Qwen, Llama-3-Instruct, ...): the template,
  rendered and tokenized as TRL's RewardTrainer does for conversational data
  (`chat_encoding.py`); the prompt text becomes messages, the response the assistant's.
- Other decoders (GPT-2, Llama, ...): [bos] prompt "\\n\\n" response eos. The reward head
  reads the last token, so a fixed eos at the end gives it a stable place to read.

Truncation never drops a pair: the response is kept (cut at its end only if it alone
exceeds the budget), and the prompt is cut from the LEFT, because the turns nearest
the response matter most for judging it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.models.chat_encoding import ChatEncoder, has_own_chat_template, messages_of

KINDS = ("pair-template", "chat-template", "decoder-concat")
DECODER_SEPARATOR = "\n\n"


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Fill in what reward training needs: a pad token and an eos token.

    BERT-style tokenizers have no eos (TRL requires one): use the sep token.
    GPT-2/Llama have no pad token: use eos. Padding goes on the right; the
    sequence-classification heads find the last real token either way.
    """
    if tokenizer.eos_token is None and tokenizer.sep_token is not None:
        tokenizer.eos_token = tokenizer.sep_token
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        elif tokenizer.unk_token is not None:
            tokenizer.pad_token = tokenizer.unk_token
        else:
            tokenizer.add_special_tokens({"pad_token": "[PAD]"})
    tokenizer.padding_side = "right"
    return tokenizer


@dataclass(frozen=True, slots=True)
class Encoded:
    input_ids: list[int]
    token_type_ids: list[int] | None
    truncated: bool

    def features(self) -> dict[str, list[int]]:
        out = {"input_ids": self.input_ids, "attention_mask": [1] * len(self.input_ids)}
        if self.token_type_ids is not None:
            out["token_type_ids"] = self.token_type_ids
        return out


def _char_cap(tokenizer: Any, max_length: int) -> int:
    """Characters of a text that can matter: `max_length` tokens of the longest token in
    the vocabulary (byte-level vocabularies spell a byte as one character, so this is an
    upper bound), doubled for slack. Cutting a text there changes no kept token."""
    longest = 64
    try:
        vocab = tokenizer.get_vocab()
        if vocab:
            longest = max(len(t) for t in vocab) + 1
    except Exception:
        pass
    return 2 * max_length * max(longest, 4)


class PairEncoder:
    """Encodes (prompt, response) exactly the same way at train and score time.

    `kind` (duelist.json's encoding.kind) is honoured where it still applies, so a model
    trained as "decoder-concat" on a base that ships a chat template is scored as it was
    trained; without it the tokenizer decides.
    """

    def __init__(self, tokenizer: Any, max_length: int, kind: str | None = None) -> None:
        if max_length < 8:
            raise ValueError(f"max_length must be at least 8, got {max_length}")
        self.tokenizer = prepare_tokenizer(tokenizer)
        self.max_length = max_length
        self.uses_token_types = "token_type_ids" in getattr(tokenizer, "model_input_names", [])
        backend = getattr(tokenizer, "backend_tokenizer", None)
        self._backend = None
        self._pair_template = False
        if backend is not None:
            from tokenizers import Tokenizer

            clone = Tokenizer.from_str(backend.to_str())
            clone.no_padding()
            clone.no_truncation()
            self._backend = clone
            post = clone.post_processor
            self._pair_template = (
                post is not None
                and type(post).__name__ in {"TemplateProcessing", "BertProcessing", "RobertaProcessing"}
                and tokenizer.sep_token is not None
            )
        self._char_cap = _char_cap(tokenizer, max_length)
        self._chat: ChatEncoder | None = None
        if (not self._pair_template and kind != "decoder-concat" and self._backend is not None
                and has_own_chat_template(tokenizer)):
            self._chat = ChatEncoder(tokenizer, self._backend, max_length)
        if self._pair_template:
            self._n_special = self._backend.post_processor.num_special_tokens_to_add(True)
        else:
            self._sep = self._ids(DECODER_SEPARATOR)
            self._bos = [tokenizer.bos_token_id] if self._adds_bos() else []
            self._eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
            self._n_special = len(self._bos) + len(self._sep) + len(self._eos)

    def _safe_cut(self, text: str, part: str) -> str:
        """`part` (cut at a space) when it alone holds more tokens than can be kept, so
        the kept tokens are the same; else the whole text (a giant word, e.g. one
        [UNK] of 100,000 characters, where a cut would change the tokens)."""
        if part.strip() and len(self._ids(part)) > self.max_length:
            return part
        return text

    @property
    def kind(self) -> str:
        if self._pair_template:
            return "pair-template"
        return "chat-template" if self._chat is not None else "decoder-concat"

    def _adds_bos(self) -> bool:
        bos = self.tokenizer.bos_token_id
        if bos is None:
            return False
        ids = self.tokenizer("x", add_special_tokens=True)["input_ids"]
        return bool(ids) and ids[0] == bos

    def _ids(self, text: str) -> list[int]:
        if self._backend is not None:
            return self._backend.encode(text, add_special_tokens=False).ids
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def budget(self, n_prompt: int, n_response: int) -> tuple[int, int, bool]:
        """How many prompt and response tokens fit: (keep_prompt, keep_response, truncated)."""
        room = self.max_length - self._n_special
        if n_prompt + n_response <= room:
            return n_prompt, n_response, False
        keep_r = min(n_response, room)
        return max(0, room - keep_r), keep_r, True

    def encode(self, prompt: str, response: str) -> Encoded:
        # A 5 MB response used to be tokenized whole (1.2 GB) before truncation. No kept
        # token lies beyond `_char_cap` characters, so cut the texts there first.
        cap = self._char_cap
        if len(response) > cap:
            response = self._safe_cut(response, response[:response.rfind(" ", 0, cap) + 1])
        if self._chat is not None:
            return self._encode_chat(prompt, response)
        if len(prompt) > cap:
            at = prompt.find(" ", len(prompt) - cap)
            prompt = self._safe_cut(prompt, prompt[at:] if at >= 0 else "")
        if self._pair_template:
            return self._encode_template(prompt, response)
        p, r = self._ids(prompt), self._ids(response)
        keep_p, keep_r, cut = self.budget(len(p), len(r))
        p = p[len(p) - keep_p:] if keep_p else []
        ids = self._bos + p + self._sep + r[:keep_r] + self._eos
        return Encoded(ids, None, cut)

    def _encode_chat(self, prompt: str, response: str) -> Encoded:
        """Through the base's chat template. Each message's content is capped like the
        texts above, counting back from the last turn: earlier turns past the cap cannot
        reach the kept tokens, so they are emptied (their role markers stay)."""
        messages, budget = [], self._char_cap
        for m in reversed(messages_of(prompt)):
            content = m["content"]
            if not budget:
                content = ""
            elif len(content) > budget:
                at = content.find(" ", len(content) - budget)
                content = self._safe_cut(content, content[at:] if at >= 0 else "")
            budget = max(0, budget - len(content))
            messages.append({**m, "content": content})
        try:
            ids, cut = self._chat.encode(messages[::-1], response)
        except Exception as turns_refused:  # e.g. a template that allows no system turn
            if len(messages) == 1:
                raise InputError("the base model's chat template refused a prompt: "
                                 f"{turns_refused}") from None
            # As one user message (no turn structure): what a plain-text prompt gets.
            return self._encode_chat_plain(prompt, response)
        return Encoded(ids, None, cut)

    def _encode_chat_plain(self, prompt: str, response: str) -> Encoded:
        cap = self._char_cap
        if len(prompt) > cap:
            at = prompt.find(" ", len(prompt) - cap)
            prompt = self._safe_cut(prompt, prompt[at:] if at >= 0 else "")
        try:
            ids, cut = self._chat.encode([{"role": "user", "content": prompt}], response)
        except Exception as refused:
            raise InputError(f"the base model's chat template refused a prompt: {refused}") \
                from None
        return Encoded(ids, None, cut)

    def _encode_template(self, prompt: str, response: str) -> Encoded:
        ep = self._backend.encode(prompt, add_special_tokens=False)
        er = self._backend.encode(response, add_special_tokens=False)
        keep_p, keep_r, cut = self.budget(len(ep.ids), len(er.ids))
        if cut:
            er.truncate(keep_r, direction="right")
            if keep_p:
                ep.truncate(keep_p, direction="left")
            else:
                ep = self._backend.encode("", add_special_tokens=False)
        merged = self._backend.post_processor.process(ep, er, add_special_tokens=True)
        types = list(merged.type_ids) if self.uses_token_types else None
        return Encoded(list(merged.ids), types, cut)

    def encode_many(self, prompts: list[str], responses: list[str]) -> list[Encoded]:
        return [self.encode(p, r) for p, r in zip(prompts, responses, strict=True)]
