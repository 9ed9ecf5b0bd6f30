"""Re-decide each hh model's calibration with the held-out rule, then score 200 unseen hh pairs."""
import json
import os
import sys
import time
from pathlib import Path

from duelist.engine.ingest import read_pairs
from duelist.engine.scoring.calibration import Calibration, fit_and_save
from duelist.engine.scoring.evaluate import pair_metrics
from duelist.engine.scoring.reward_model import RewardModel
from duelist.engine.training.pair_source import load_training_data
from duelist.engine.training.split import split_pairs
from duelist.tui.text.accuracy import accuracy_text

root = Path(os.environ.get("BENCH_DIR", "/tmp/duelist-first-hour"))
test = read_pairs(root / "hh_test200.json")
out = {}
for name in sys.argv[1:]:
    d = root / name
    mdir = d / "reward-model"
    old = json.loads((mdir / "calibration.json").read_text())
    meta = json.loads((mdir / "duelist.json").read_text()) if (mdir / "duelist.json").exists() else {}
    cfg = meta.get("config", {})
    data = load_training_data(str(root / f"hh_{name[2:]}.json"))
    split = split_pairs(data.pairs, 0.2, 42)
    model = RewardModel.load(mdir)
    t0 = time.monotonic()
    cal = fit_and_save(mdir, split.valid, model=model)
    model = RewardModel.load(mdir)
    prompts = [p.prompt for p in test]
    ch, rj = model.score_pairs(prompts, [p.chosen for p in test], [p.rejected for p in test])
    lens = ([len(p.chosen) for p in test], [len(p.rejected) for p in test])
    rep = pair_metrics(ch, rj, *lens, model.calibration)
    rep_old = pair_metrics(ch, rj, *lens, Calibration(temperature=old["temperature"]))
    res = {"n_train": len(split.train), "n_valid": len(split.valid),
           "valid_accuracy": meta.get("metrics", {}).get("valid_accuracy"),
           "old_T": old["temperature"], "new_applied": cal.applied, "new_T": cal.temperature,
           "note": cal.note, "test_n": rep.n_pairs, "test_acc": rep.accuracy,
           "test_acc_text": accuracy_text(rep.accuracy, rep.n_pairs),
           "test_ece_raw": rep.ece, "test_ece_new_cal": rep.ece_calibrated,
           "test_ece_old_cal": rep_old.ece_calibrated, "test_margin": rep.mean_margin,
           "eval_s": round(time.monotonic() - t0, 1)}
    out[name] = res
    print(json.dumps({name: res}), flush=True)
