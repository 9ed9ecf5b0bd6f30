"""The baseline a user starts from: plain TRL `RewardTrainer` with its defaults.

Nothing is tuned except what the benchmark's setup fixes for both sides (1 epoch,
max_length 256, batch 8 = TRL's default batch) and `eos_token` set to the sep token,
without which TRL cannot train a BERT tokenizer (it has no eos), and `use_cpu` on a
machine without a GPU (transformers refuses bf16 on CPU otherwise); no checkpoints are
saved during the timed run. So: bf16 on,
gradient checkpointing on, lr 1e-4, dropout disabled, long pairs DROPPED by TRL.

Validation accuracy is measured two ways:
- `trl_eval_accuracy`: TRL's own `evaluate()` on the validation pairs it keeps (it
  drops the long ones there too);
- `valid_accuracy`: every validation pair scored in TRL's training format
  (prompt + response + eos, tokenized and right-truncated to max_length), so it is
  comparable with Duelist's, which also covers every pair.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def run_trl_baseline(train_rows: list[dict[str, str]], valid_rows: list[dict[str, str]],
                     model_path: str, out_dir: Path, *, max_length: int = 256,
                     epochs: int = 1) -> dict[str, Any]:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    tok = AutoTokenizer.from_pretrained(model_path)
    args = RewardConfig(output_dir=str(out_dir), num_train_epochs=epochs, max_length=max_length,
                        eos_token=tok.sep_token, report_to="none", disable_tqdm=True,
                        save_strategy="no", use_cpu=not torch.cuda.is_available())
    trainer = RewardTrainer(model=model_path, args=args, processing_class=tok,
                            train_dataset=Dataset.from_list(train_rows),
                            eval_dataset=Dataset.from_list(valid_rows))
    kept = len(trainer.train_dataset)
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = trainer.train()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    runtime = float(result.metrics["train_runtime"])
    trl_eval = trainer.evaluate()
    model = trainer.model.eval()
    eos = tok.eos_token

    def scores(texts: list[str]) -> list[float]:
        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), 32):
                enc = tok(texts[i:i + 32], truncation=True, max_length=max_length,
                          padding=True, return_tensors="pt")
                out += model(**enc).logits[:, 0].float().tolist()
        return out

    chosen = scores([r["prompt"] + r["chosen"] + eos for r in valid_rows])
    rejected = scores([r["prompt"] + r["rejected"] + eos for r in valid_rows])
    acc = sum(c > r for c, r in zip(chosen, rejected, strict=True)) / len(valid_rows)
    return {
        "pairs_given": len(train_rows), "pairs_trained": kept * epochs,
        "pairs_dropped": len(train_rows) - kept, "train_runtime_s": round(runtime, 2),
        "train_wall_s": round(wall, 2), "pairs_per_s": round(kept * epochs / runtime, 3),
        "train_cpu_s": round(cpu, 2), "pairs_per_cpu_s": round(kept * epochs / cpu, 3),
        "trl_eval_accuracy": round(float(trl_eval.get("eval_accuracy", float("nan"))), 4),
        "trl_eval_pairs": len(trainer.eval_dataset),
        "valid_accuracy": round(acc, 4), "valid_pairs": len(valid_rows),
    }
