"""The plain TRL script a user writes for a reward model: the whole-process baseline.

    python bench/trl_script.py TRAIN.json VALID.json MODEL_DIR OUT_DIR [--lr 5e-5]

TRL's RewardTrainer with its defaults (bf16, gradient checkpointing, long pairs
dropped), and only what the benchmark's setup fixes for both sides: 1 epoch, batch 8,
max_length 256, the learning rate, `eos_token` = the sep token (TRL cannot train a BERT
tokenizer without it) and `use_cpu` without a GPU. Like `duelist train`, it ends with
a model dir and a validation accuracy (TRL's own `evaluate()`), and prints it as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("valid")
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--lr", type=float, default=5e-5)
    args = ap.parse_args()

    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    tok = AutoTokenizer.from_pretrained(args.model)
    config = RewardConfig(output_dir=args.out, num_train_epochs=1, per_device_train_batch_size=8,
                          learning_rate=args.lr, max_length=256, eos_token=tok.sep_token,
                          report_to="none", disable_tqdm=True, save_strategy="no",
                          use_cpu=not torch.cuda.is_available())
    with open(args.train) as f_train, open(args.valid) as f_valid:
        train, valid = json.load(f_train), json.load(f_valid)
    trainer = RewardTrainer(model=args.model, args=config, processing_class=tok,
                            train_dataset=Dataset.from_list(train),
                            eval_dataset=Dataset.from_list(valid))
    trainer.train()
    metrics = trainer.evaluate()
    trainer.save_model(args.out)
    print(json.dumps({"eval_accuracy": metrics.get("eval_accuracy"),
                      "eval_pairs": len(trainer.eval_dataset),
                      "train_pairs": len(trainer.train_dataset)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
