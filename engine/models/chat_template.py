"""A chat template that renders a conversation exactly as Duelist encodes it.

Why: handed a model dir as `reward_funcs=DIR`, TRL's GRPO/RLOO render conversational
`prompt + completion` messages with the reward tokenizer's chat template and tokenize
the text with `add_special_tokens=False` (trl/trainer/grpo_trainer.py,
`_calculate_rewards`). A dir without a template fails there; a generic template would
feed the model text it never saw in training. The template written here produces
Duelist's own input instead:
- pair-template encoders (BERT/MiniLM/RoBERTa): the tokenizer's pair layout, e.g.
  `[CLS]` prompt `[SEP]` response `[SEP]`, read from its post-processor;
- decoders: `[bos]` prompt "\\n\\n" response `eos`.
The prompt is every message but the last, flattened like `ingest.values.flatten_chat`
("User: ...\\n\\nAssistant: ..."); the last message is the response when it is the
assistant's (a conversation that ends with another role is all prompt, empty response).

What it cannot give TRL: truncation (TRL's path route never truncates, so an input
longer than the model's positions still fails there), and its plain-text path, which
bypasses the template altogether. `reward_function` has neither limit.
"""

from __future__ import annotations

import json
from typing import Any

from duelist.engine.ingest.values import _ROLE_LABELS
from duelist.engine.models.chat_encoding import TEMPLATE_MARK
from duelist.engine.models.encoding import DECODER_SEPARATOR, PairEncoder

__all__ = ["TEMPLATE_MARK", "chat_template", "install", "layout"]


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def layout(encoder: PairEncoder) -> tuple[str, str, str]:
    """(before prompt, between, after response) as text, for this encoder's format."""
    tok = encoder.tokenizer
    if encoder.kind == "decoder-concat":
        bos = tok.bos_token if encoder._bos else ""
        eos = tok.eos_token if encoder._eos else ""
        return bos or "", DECODER_SEPARATOR, eos or ""
    backend = encoder._backend
    a = backend.encode("a", add_special_tokens=False)
    b = backend.encode("b", add_special_tokens=False)
    merged = backend.post_processor.process(a, b, add_special_tokens=True)
    # The non-special tokens are A's then B's, in order; the special ones around them
    # are the layout (the merged encoding's sequence_ids are not reliable for this).
    plain = [i for i, special in enumerate(merged.special_tokens_mask) if not special]
    first_a, last_a = plain[0], plain[len(a.ids) - 1]
    first_b, last_b = plain[len(a.ids)], plain[-1]

    def text(span: range) -> str:
        return "".join(tok.convert_ids_to_tokens([merged.ids[i] for i in span]))

    end = len(merged.ids)
    return text(range(first_a)), text(range(last_a + 1, first_b)), text(range(last_b + 1, end))


def chat_template(encoder: PairEncoder) -> str:
    """The Jinja chat template for this encoder (see the module docstring)."""
    before, between, after = layout(encoder)
    labels = "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in _ROLE_LABELS.items()) + "}"
    return (
        f"{{#- {TEMPLATE_MARK}: renders (prompt, response) as Duelist encodes it -#}}"
        f"{{%- set labels = {labels} -%}}"
        "{%- macro text(m) -%}"
        "{%- if m.content is string -%}{{ m.content }}"
        "{%- elif m.content is iterable -%}"
        "{%- for part in m.content -%}{%- if part.text is defined -%}{{ part.text }}{%- endif -%}"
        "{%- endfor -%}{%- endif -%}"
        "{%- endmacro -%}"
        "{%- set n = messages | length -%}"
        "{%- set has_reply = n > 0 and messages[n - 1].role == 'assistant' -%}"
        "{%- set n_prompt = n - 1 if has_reply else n -%}"
        f"{{{{- {_literal(before)} -}}}}"
        "{%- for m in messages[:n_prompt] -%}"
        f"{{%- if not loop.first -%}}{{{{ {_literal(chr(10) * 2)} }}}}{{%- endif -%}}"
        "{{- labels.get(m.role | lower, m.role | title) -}}{{- ': ' -}}{{- text(m) -}}"
        "{%- endfor -%}"
        f"{{{{- {_literal(between)} -}}}}"
        "{%- if has_reply -%}{{- text(messages[n - 1]) -}}{%- endif -%}"
        f"{{{{- {_literal(after)} -}}}}"
    )


def install(tokenizer: Any, encoder: PairEncoder) -> bool:
    """Give `tokenizer` Duelist's chat template unless it has its own; True if installed.

    A base model's own template (a decoder that ships one) is kept: Duelist trained on
    it (encoding kind "chat-template"), so TRL's path route renders Duelist's input
    with it. A dir trained before that ("decoder-concat" on such a base) keeps it too,
    and its model card says the path route does not reproduce Duelist's input.
    """
    current = getattr(tokenizer, "chat_template", None)
    if current and TEMPLATE_MARK not in str(current):
        return False
    tokenizer.chat_template = chat_template(encoder)
    return True
