"""`duelist rank`, `score` and `eval` end to end on tiny real models (in-process main())."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from duelist.engine.scoring.reward_model import RewardModel
from duelist.tui.cli.main import main
from test_scorer import spread_weights
from tiny_models import build_bert, synthetic_pairs


@pytest.fixture(autouse=True)
def exact_scores(monkeypatch) -> None:
    """fp32 everywhere, so CLI output can be compared with RewardModel to 1e-5 (bf16 is
    covered in test_scorer.py)."""
    monkeypatch.setenv("DUELIST_SCORE_PRECISION", "fp32")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli-models")
    out = {}
    for name, seed in (("a", 1), ("b", 2)):
        rm = spread_weights(RewardModel.load(build_bert(root / f"raw-{name}", seed=seed)))
        out[name] = rm.save(root / name)
    return out


def _fp32_scores(model_dir: Path, prompts: list[str], responses: list[str]) -> list[float]:
    rm = RewardModel.load(model_dir)
    return rm.score_batch(prompts, responses)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_rank_prints_responses_best_first_with_probabilities(models, capsys) -> None:
    responses = ["the sun is big and good", "bad", "what is this", "very happy answer"]
    code, out, err = _run(capsys, "rank", "--model", str(models["a"]), "--prompt",
                          "tell me about the sun", *responses, "--json")
    assert code == 0, err
    ranking = json.loads(out)["ranking"]
    want = _fp32_scores(models["a"], ["tell me about the sun"] * 4, responses)
    assert [r["response"] for r in ranking] == [responses[i] for i in
                                                sorted(range(4), key=lambda i: -want[i])]
    for r in ranking:
        assert r["score"] == pytest.approx(want[r["index"]], abs=1e-6)
    for r in ranking[:-1]:
        assert r["p_beats_next"] >= 0.5
    assert ranking[-1]["p_beats_next"] is None
    code, out, _ = _run(capsys, "rank", "--model", str(models["a"]), "--prompt", "p", "x", "y")
    assert code == 0 and "P(>next)" in out and "█" in out


def test_rank_reads_a_file_and_groups_by_prompt(models, tmp_path: Path, capsys) -> None:
    f = tmp_path / "cands.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"prompt": "p1", "responses": ["a good one", "a bad one", "the sun"]},
        {"prompt": "p2", "response": "first"}, {"prompt": "p2", "response": "second"}]))
    code, out, err = _run(capsys, "rank", "--model", str(models["a"]), "--file", str(f), "--json")
    assert code == 0, err
    got = json.loads(out)
    assert [g["prompt"] for g in got] == ["p1", "p2"]
    assert sorted(r["response"] for r in got[1]["ranking"]) == ["first", "second"]


def test_score_reads_and_writes_every_format(models, tmp_path: Path, capsys) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": i, **r} for i, r in enumerate(synthetic_pairs(6, seed=3))]
    want_c = _fp32_scores(models["a"], [r["prompt"] for r in rows], [r["chosen"] for r in rows])
    sources = {"jsonl": lambda p: p.write_text("\n".join(json.dumps(r) for r in rows)),
               "json": lambda p: p.write_text(json.dumps(rows)),
               "parquet": lambda p: pq.write_table(pa.Table.from_pylist(rows), str(p))}

    def write_csv(p: Path, delimiter: str = ",") -> None:
        with p.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
            w.writeheader()
            w.writerows(rows)

    sources["csv"] = write_csv
    sources["tsv"] = lambda p: write_csv(p, "\t")
    for fmt, write in sources.items():
        src, dst = tmp_path / f"in.{fmt}", tmp_path / f"out.{fmt}"
        write(src)
        code, _, err = _run(capsys, "score", str(src), str(dst), "--model", str(models["a"]))
        assert code == 0, (fmt, err)
        if fmt == "parquet":
            back = pq.read_table(str(dst)).to_pylist()
        elif fmt in ("csv", "tsv"):
            with dst.open(newline="") as fh:
                back = list(csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ","))
        elif fmt == "json":
            back = json.loads(dst.read_text())
        else:
            back = [json.loads(line) for line in dst.read_text().splitlines()]
        assert len(back) == 6, fmt
        assert list(back[0])[:4] == ["id", "prompt", "chosen", "rejected"]  # originals first
        for rec, want in zip(back, want_c, strict=True):
            assert float(rec["reward_chosen"]) == pytest.approx(want, abs=1e-5), fmt
            p = float(rec["p_chosen_over_rejected"])
            assert (p > 0.5) == (float(rec["reward_chosen"]) > float(rec["reward_rejected"]))
        assert "scored 12 responses in 6 rows" in err
    # scoring the output again would silently clash: refused in one line
    code, _, err = _run(capsys, "score", str(tmp_path / "out.jsonl"), str(tmp_path / "x.jsonl"),
                        "--model", str(models["a"]))
    assert code == 2 and "reward_chosen" in err and len(err.strip().splitlines()) == 1


def test_score_with_an_ensemble_and_with_aspect_weights(models, tmp_path: Path, capsys) -> None:
    src = tmp_path / "gen.jsonl"
    src.write_text("\n".join(json.dumps({"prompt": "tell me", "response": r})
                             for r in ["good answer", "bad answer", "the red car"]))
    out = tmp_path / "ens.jsonl"
    code, _, err = _run(capsys, "score", str(src), str(out), "--model", str(models["a"]),
                        "--model", str(models["b"]), "--aggregate", "min", "--no-progress")
    assert code == 0, err
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    a = _fp32_scores(models["a"], ["tell me"] * 3, [r["response"] for r in recs])
    b = _fp32_scores(models["b"], ["tell me"] * 3, [r["response"] for r in recs])
    for rec, x, y in zip(recs, a, b, strict=True):
        assert rec["reward"] == pytest.approx(min(x, y), abs=1e-5)
        assert rec["reward_std"] == pytest.approx(abs(x - y) / 2, abs=1e-5)
    out2 = tmp_path / "asp.jsonl"
    code, _, err = _run(capsys, "score", str(src), str(out2), "--model", f"helpful={models['a']}",
                        "--model", f"honest={models['b']}", "--weights", "helpful=0.8,honest=0.2")
    assert code == 0, err
    for rec, x, y in zip((json.loads(x) for x in out2.read_text().splitlines()), a, b, strict=True):
        assert rec["reward_helpful"] == pytest.approx(x, abs=1e-5)
        assert rec["reward"] == pytest.approx(0.8 * x + 0.2 * y, abs=1e-5)
    code, _, err = _run(capsys, "score", str(src), str(out2), "--model", f"helpful={models['a']}",
                        "--weights", "helpful=0.8,honest=0.2")
    assert code == 2 and "honest" in err


def test_eval_reports_accuracy_calibration_and_length_bias(models, tmp_path: Path, capsys) -> None:
    data = tmp_path / "pairs.json"
    data.write_text(json.dumps(synthetic_pairs(20, seed=8)))
    code, out, err = _run(capsys, "eval", "--model", str(models["a"]), "--data", str(data),
                          "--json", "--no-progress")
    assert code == 0, err
    report = json.loads(out)
    assert report["n_pairs"] == 20 and 0 <= report["accuracy"] <= 1
    assert report["temperature"] is None and report["ece_calibrated"] is None
    code, out, _ = _run(capsys, "eval", "--model", str(models["a"]), "--data", str(data),
                        "--no-progress")
    assert code == 0 and "ECE calibrated   n/a" in out and "length corr" in out


def _bad_dirs(root: Path, good: Path) -> dict[str, tuple[Path, str]]:
    import shutil

    empty = root / "empty"
    empty.mkdir()
    corrupt = root / "corrupt"
    shutil.copytree(good, corrupt)
    (corrupt / "config.json").write_text("{not json")
    base = root / "base-model"
    shutil.copytree(good, base)
    cfg = json.loads((base / "config.json").read_text())
    (base / "config.json").write_text(json.dumps({**cfg, "architectures": ["BertModel"]}))
    multi = root / "three-labels"
    shutil.copytree(good, multi)
    (multi / "config.json").write_text(json.dumps(
        {**cfg, "id2label": {"0": "a", "1": "b", "2": "c"}}))
    weightless = root / "weightless"
    weightless.mkdir()
    shutil.copy(good / "config.json", weightless / "config.json")
    broken = root / "broken-weights"
    shutil.copytree(good, broken)
    (broken / "model.safetensors").write_bytes(b"\x00garbage")
    return {"missing": (root / "nope", "does not exist"), "empty": (empty, "no config.json"),
            "corrupt": (corrupt, "corrupt"), "base": (base, "not a reward model"),
            "multi": (multi, "3 outputs"), "weightless": (weightless, "no weights"),
            "broken": (broken, "cannot load")}


def test_bad_model_dirs_fail_in_one_line(models, tmp_path: Path, capsys) -> None:
    data = tmp_path / "pairs.json"
    data.write_text(json.dumps(synthetic_pairs(4)))
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"prompt": "p", "response": "r"}))
    for name, (path, words) in _bad_dirs(tmp_path, models["a"]).items():
        for argv in (["rank", "--model", str(path), "--prompt", "p", "a", "b"],
                     ["score", str(src), str(tmp_path / "o.jsonl"), "--model", str(path)],
                     ["eval", "--model", str(path), "--data", str(data)]):
            code, _, err = _run(capsys, *argv)
            assert code == 2, (name, argv[0], err)
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("duelist: error:"), (name, err)
            assert words in lines[0], (name, lines[0])
        assert not (tmp_path / "o.jsonl").exists()


def test_no_model_uses_the_projects_current_model(models, tmp_path: Path, capsys) -> None:
    from duelist.store import Store

    db = tmp_path / "p.db"
    code, _, err = _run(capsys, "rank", "--db", str(db), "--prompt", "p", "a")
    assert code == 2 and "no project database" in err
    with Store.open(db) as s:
        s.register_model(str(models["b"]), "b")
    code, out, err = _run(capsys, "rank", "--db", str(db), "--prompt", "p", "x", "y", "--json")
    assert code == 0, err
    want = _fp32_scores(models["b"], ["p", "p"], ["x", "y"])
    assert max(r["score"] for r in json.loads(out)["ranking"]) == pytest.approx(max(want), abs=1e-6)
