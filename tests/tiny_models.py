"""Tiny local models and tokenizers for tests: no hub, no downloads, seconds to train.

Shared by the engine, scoring and dashboard tests. Every builder writes a normal HF
model directory (config + safetensors + tokenizer files) so the code under test loads
it through the same `from_pretrained` path it uses for real models.

- `build_bert(dir)`: BERT-style encoder with a pair template ([CLS] a [SEP] b [SEP]),
  token_type_ids, no eos token (like MiniLM/BERT).
- `build_llama(dir)`: Llama-style decoder, bos added, eos present, NO pad token.
- `build_gpt2(dir)`: GPT-2-style decoder, no bos added, eos only, NO pad token.
- `build_chat_llama(dir)`: Llama-style decoder whose tokenizer ships a Qwen2-like ChatML
  chat template (with a default system turn), eos <|im_end|>, pad <|endoftext|>, no bos.
  (A Qwen2 config would make transformers rebuild Qwen's BPE tokenizer from the vocab.)
- `synthetic_pairs(n)`: preference pairs where the chosen response always carries a
  learnable marker word ("good") and the rejected one another ("bad"); a working
  trainer reaches ~1.0 validation accuracy within a few epochs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

WORDS = [
    "the", "a", "cat", "dog", "sun", "moon", "tree", "river", "house", "car", "blue", "red",
    "green", "fast", "slow", "big", "small", "happy", "sad", "run", "jump", "eat", "sleep",
    "read", "write", "what", "how", "why", "is", "are", "do", "you", "me", "it", "this",
    "that", "please", "tell", "about", "explain", "good", "bad", "very", "not", "and", "or",
    "question", "answer", "help", "thanks",
]
FILLER = [w for w in WORDS if w not in {"good", "bad"}]


def _word_tokenizer(specials: list[str], *, template: str, pair_template: str | None,
                    special_ids: dict[str, int]) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {tok: i for i, tok in enumerate(specials + WORDS + ["\n"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=specials[0]))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.post_processor = processors.TemplateProcessing(
        single=template, pair=pair_template or f"{template} $B",
        special_tokens=[(t, vocab[t]) for t in special_ids])
    return tok


def bert_tokenizer() -> Any:
    """A BERT-like fast tokenizer: [CLS]/[SEP]/[PAD]/[UNK]/[MASK], pair template, no eos."""
    from transformers import PreTrainedTokenizerFast

    specials = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]
    tok = _word_tokenizer(specials, template="[CLS] $A [SEP]",
                          pair_template="[CLS] $A:0 [SEP]:0 $B:1 [SEP]:1",
                          special_ids={"[CLS]": 2, "[SEP]": 3})
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"])


def decoder_tokenizer(*, add_bos: bool) -> Any:
    """A Llama-like (add_bos=True) or GPT-2-like (add_bos=False) tokenizer without a pad token."""
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>"]
    template = "<s> $A" if add_bos else "$A"
    tok = _word_tokenizer(specials, template=template, pair_template=f"{template} $B",
                          special_ids={"<s>": 1} if add_bos else {})
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        model_input_names=["input_ids", "attention_mask"])


def _save(model: Any, tokenizer: Any, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_bert(out: Path, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    tok = bert_tokenizer()
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers,
                     num_attention_heads=2, intermediate_size=hidden * 2,
                     max_position_embeddings=128, num_labels=1, pad_token_id=tok.pad_token_id)
    return _save(BertForSequenceClassification(cfg), tok, Path(out))


def build_llama(out: Path, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    tok = decoder_tokenizer(add_bos=True)
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=2, num_key_value_heads=2, intermediate_size=hidden * 2,
                      max_position_embeddings=128, num_labels=1, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id, pad_token_id=None)
    return _save(LlamaForSequenceClassification(cfg), tok, Path(out))


def build_gpt2(out: Path, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    import torch
    from transformers import GPT2Config, GPT2ForSequenceClassification

    tok = decoder_tokenizer(add_bos=False)
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(tok), n_embd=hidden, n_layer=layers, n_head=2,
                     n_positions=128, num_labels=1, bos_token_id=tok.bos_token_id,
                     eos_token_id=tok.eos_token_id, pad_token_id=None)
    return _save(GPT2ForSequenceClassification(cfg), tok, Path(out))


# Qwen2's ChatML layout, default system turn included (as Qwen2-Instruct ships it).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "<|im_start|>system\nyou are a help<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def chat_tokenizer() -> Any:
    """A Qwen2-like fast tokenizer: ChatML specials, a chat template, no bos."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab = {t: i for i, t in enumerate(specials + WORDS + ["user", "assistant", "system"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<|endoftext|>", eos_token="<|im_end|>",
        pad_token="<|endoftext|>", model_input_names=["input_ids", "attention_mask"])
    fast.chat_template = CHATML_TEMPLATE
    return fast


def build_chat_llama(out: Path, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    tok = chat_tokenizer()
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=2, num_key_value_heads=2, intermediate_size=hidden * 2,
                      max_position_embeddings=128, num_labels=1, bos_token_id=None,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return _save(LlamaForSequenceClassification(cfg), tok, Path(out))


BUILDERS = {"bert": build_bert, "llama": build_llama, "gpt2": build_gpt2,
            "chat-llama": build_chat_llama}


def synthetic_pairs(n: int = 120, *, seed: int = 0, n_prompts: int | None = None,
                    min_len: int = 2, max_len: int = 8) -> list[dict[str, str]]:
    """Rows {prompt, chosen, rejected}: chosen says "good", rejected says "bad".

    The marker sits at a random position among random filler words, so the model has
    to learn the word, not a position or a length.
    """
    rng = random.Random(seed)
    n_prompts = n_prompts or max(1, n // 2)
    prompts = [" ".join(rng.choices(FILLER, k=rng.randint(2, 6))) + f" {i % 7}"
               for i in range(n_prompts)]
    rows = []
    for i in range(n):
        def reply(marker: str) -> str:
            words = rng.choices(FILLER, k=rng.randint(min_len, max_len))
            words.insert(rng.randint(0, len(words)), marker)
            return " ".join(words)
        rows.append({"prompt": prompts[i % n_prompts], "chosen": reply("good"),
                     "rejected": reply("bad")})
    return rows


def write_pairs_json(path: Path, rows: list[dict[str, str]]) -> Path:
    Path(path).write_text(json.dumps(rows), encoding="utf-8")
    return Path(path)


POLICY_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m.role }} : {{ m.content }} {% endfor %}"
    "{% if add_generation_prompt %}assistant : {% endif %}")


def build_llama_policy(out: Path, *, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    """A Llama-style causal LM (a policy for GRPO/RLOO tests), pad = eos, with a chat template."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = decoder_tokenizer(add_bos=True)
    tok.pad_token = tok.eos_token
    tok.chat_template = POLICY_CHAT_TEMPLATE
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=2, num_key_value_heads=2, intermediate_size=hidden * 2,
                      max_position_embeddings=512, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    return _save(LlamaForCausalLM(cfg), tok, Path(out))
