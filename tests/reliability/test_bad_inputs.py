"""The bad-input corpus: 180+ hostile inputs across import, export, train, score,
rank and --db (see `_bad_cases.py`). Each must end in ONE clear line naming what
and where, exit 2 (not 1: that is the crash handler), and leave the database
exactly as it was (a full content dump is compared). Inputs that only look
hostile (a BOM, UTF-16 with a BOM, duplicated rows, a 5 MB text) must import
correctly instead.

Most cases run in-process through `duelist.tui.cli.main.main(argv)` for speed;
a handful go through the real `duelist` console script, including a simulated
full disk (RLIMIT_FSIZE) and a read-only database.
"""

from __future__ import annotations

import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from duelist.store import NewAnnotation, Store
from duelist.tui.cli.main import main

from reliability._bad_cases import ALL_CASES, GOOD, GOOD_ROWS, Case, Ctx
from reliability._dbstate import content_dump, file_digest, read_only

ARGPARSE_ERROR = re.compile(r"^duelist \w+: error: ")
PER_CASE_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Ctx:
    """A small real project (comparisons + judgements) and a tiny reward model dir."""
    from tiny_models import build_bert

    root = tmp_path_factory.mktemp("bad_inputs_project")
    db = root / "project.db"
    with Store.open(db) as store:
        store.db.conn.execute("PRAGMA wal_checkpoint")
        from duelist.store import NewComparison

        store.insert_comparisons(NewComparison(r["prompt"], r["chosen"], r["rejected"], source="seed")
                                 for r in GOOD_ROWS)
        for cid in store.comparison_ids():
            store.add_annotation(NewAnnotation(cid, "seed-annotator", "a"))
    return Ctx(tmp=root, db=db, model=build_bert(root / "tiny-reward-model"))


def _state(path: Path) -> str:
    """What 'unchanged' means for a hostile --db target: same bytes, same kind of thing."""
    if path.is_symlink():
        return f"link->{path.readlink()}"
    if path.is_dir():
        return "dir:" + ",".join(sorted(p.name for p in path.iterdir()))
    return file_digest(path)


def _run_main(argv: list[str]) -> int:
    def timeout(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError(f"duelist {' '.join(argv[:2])} did not finish in {PER_CASE_TIMEOUT_S} s")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(PER_CASE_TIMEOUT_S)
    try:
        return main(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code or 0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def assert_one_error_line(code: int, err: str, expect: list[str], *, progress: bool = False) -> str:
    """Exit 2 and ONE error line. `progress`: training shows its progress bar and
    log lines on stderr before it fails; they may precede the error line."""
    assert code == 2, f"exit {code} (1 means an unexpected exception): {err.strip()[-800:]}"
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "no error message"
    last = lines[-1]
    if ARGPARSE_ERROR.match(last):  # argparse: usage lines, then its one error line
        assert all(not ARGPARSE_ERROR.match(x) for x in lines[:-1])
    elif progress:
        assert [x for x in lines if "error" in x.lower()] == [last], f"several errors:\n{err}"
        assert last.startswith("duelist: error: "), last
    else:
        assert len(lines) == 1, f"more than one line on stderr:\n{err}"
        assert last.startswith("duelist: error: "), last
    for fragment in expect:
        assert fragment in last, f"{fragment!r} missing from: {last}"
    return last


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_hostile_input(case: Case, project: Ctx, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Ctx(tmp=tmp_path, db=tmp_path / "project.db", model=project.model)
    shutil.copy(project.db, ctx.db)
    monkeypatch.chdir(tmp_path)
    argv = case.build(ctx)
    hostile = Path(argv[argv.index("--db") + 1]) if case.target == "argdb" else None
    before = content_dump(ctx.db)
    before_hostile = _state(hostile) if hostile is not None else None
    capsys.readouterr()

    code = _run_main(argv)
    out, err = capsys.readouterr()

    if case.accept:
        assert code == 0, f"valid input refused: {err.strip()}"
        assert case.check is not None
        case.check(ctx, out)
        with Store.open(ctx.db) as store:
            assert store.integrity_ok()
        return
    assert_one_error_line(code, err, case.expect, progress=argv[0] in ("train", "llm"))
    assert content_dump(ctx.db) == before, "the project database changed"
    if hostile is not None:
        assert _state(hostile) == before_hostile, f"{hostile} changed"


def test_the_corpus_is_big_enough() -> None:
    rejects = [c for c in ALL_CASES if not c.accept]
    commands = {c.id.split("-")[0] for c in ALL_CASES}
    assert len(rejects) >= 100 and {"db", "export", "train", "score", "rank"} <= commands


# ---------------------------------------------------------------- the real console script

def _duelist() -> str:
    exe = Path(sys.executable).with_name("duelist")
    return str(exe) if exe.exists() else (shutil.which("duelist") or "duelist")


def _cli(argv: list[str], cwd: Path, fsize: int | None = None,
         timeout: int = 120) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if fsize is not None:  # a simulated full disk: writes past this size fail (EFBIG)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([_duelist(), *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)


@pytest.fixture
def proj(project: Ctx, tmp_path: Path) -> Ctx:
    ctx = Ctx(tmp=tmp_path, db=tmp_path / "project.db", model=project.model)
    shutil.copy(project.db, ctx.db)
    return ctx


@pytest.mark.parametrize("argv,expect", [
    (["import", "--db", "project.db", "bad.jsonl"], ["bad.jsonl", "row 4"]),
    (["export", "--db", "project.db", "--format", "jsonl", "project.db"], ["project.db"]),
    (["stats", "--db", "bad.jsonl"], ["bad.jsonl", "not a SQLite database"]),
    (["rank", "--model", "no-model", "--prompt", "p", "a", "b"], ["no-model"]),
    (["annotate", "--db", "bad.jsonl"], ["bad.jsonl"]),
    (["--db", "bad.jsonl"], ["bad.jsonl"]),  # the default command is annotate
])
def test_console_script(proj: Ctx, argv: list[str], expect: list[str]) -> None:
    (proj.tmp / "bad.jsonl").write_text(GOOD + "{oops\n")
    before = content_dump(proj.db)
    r = _cli(argv, proj.tmp, timeout=60)
    assert_one_error_line(r.returncode, r.stderr, expect)
    assert content_dump(proj.db) == before


def test_full_disk_during_import(proj: Ctx) -> None:
    big = proj.tmp / "big.jsonl"
    big.write_text("".join(f'{{"prompt": "p{i}", "chosen": "{"c" * 2000}", "rejected": "r{i}"}}\n'
                           for i in range(3000)))
    before = content_dump(proj.db)
    r = _cli(["import", "--db", "project.db", "big.jsonl"], proj.tmp,
             fsize=proj.db.stat().st_size + 256 * 1024)
    line = assert_one_error_line(r.returncode, r.stderr, ["project.db"])
    assert "write" in line or "full" in line
    assert content_dump(proj.db) == before
    with Store.open(proj.db) as store:
        assert store.integrity_ok()


def test_full_disk_during_export(proj: Ctx) -> None:
    with Store.open(proj.db) as store:
        from duelist.store import NewComparison

        store.insert_comparisons(NewComparison(f"q{i}", "x" * 3000, f"y{i}") for i in range(400))
        for cid in store.comparison_ids():
            store.add_annotation(NewAnnotation(cid, "ann", "a"))
    before = content_dump(proj.db)
    r = _cli(["export", "--db", "project.db", "pairs.jsonl"], proj.tmp, fsize=200_000)
    assert_one_error_line(r.returncode, r.stderr, ["pairs.jsonl"])
    assert not (proj.tmp / "pairs.jsonl").exists(), "a partial export was left behind"
    assert [p.name for p in proj.tmp.iterdir() if "pairs" in p.name] == [], "temp file left"
    assert content_dump(proj.db) == before


def test_read_only_database(proj: Ctx) -> None:
    (proj.tmp / "in.jsonl").write_text(GOOD.replace("prompt ", "new "))
    before = content_dump(proj.db)
    with read_only(proj.db):
        r = _cli(["import", "--db", "project.db", "in.jsonl"], proj.tmp)
        assert_one_error_line(r.returncode, r.stderr, ["project.db", "read-only"])
        ok = _cli(["stats", "--db", "project.db"], proj.tmp)  # reading still works
        assert ok.returncode == 0 and "comparisons" in ok.stdout, ok.stderr
    assert content_dump(proj.db) == before


def test_training_worker_refuses_corrupt_weights(proj: Ctx) -> None:
    """The real worker path (many seconds of imports): a model dir that passes the
    quick checks but whose weights are garbage ends in one line, exit 2."""
    model = proj.tmp / "bad-weights"
    shutil.copytree(proj.model, model)
    (model / "model.safetensors").write_bytes(b"\0" * 2048)
    (proj.tmp / "pairs.jsonl").write_text(GOOD)
    before = content_dump(proj.db)
    r = _cli(["train", "--db", "project.db", "--model", str(model), "--data-path", "pairs.jsonl",
              "--epochs", "1"], proj.tmp, timeout=300)
    assert_one_error_line(r.returncode, r.stderr, ["bad-weights"], progress=True)
    with Store.open(proj.db) as store:
        runs = store.list_runs()
        assert [r.status for r in runs] == ["failed"] and store.list_models() == []
    def judgements(dump: str) -> list[str]:  # a failed run row is the only change allowed
        return [x for x in dump.splitlines() if '"runs"' not in x and '"run_metrics"' not in x]

    assert judgements(content_dump(proj.db)) == judgements(before)
