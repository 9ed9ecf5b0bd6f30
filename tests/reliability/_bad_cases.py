"""The hostile-input corpus for test_bad_inputs: each case builds its files in a
fresh folder and returns the command line to run.

`Case.expect` lists fragments the ONE error line must contain (what was wrong
and where: file, row, column, flag). `accept` cases are hostile-looking inputs
that are valid and must import correctly instead (a BOM, UTF-16 with a BOM,
duplicated rows, a 5 MB text); their `check` looks at the result.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOOD_ROWS = [{"prompt": f"prompt {i}", "chosen": f"good answer {i}", "rejected": f"bad answer {i}"}
             for i in range(3)]
GOOD = "".join(json.dumps(r) + "\n" for r in GOOD_ROWS)


@dataclass
class Ctx:
    tmp: Path  # this case's own folder (also the working directory)
    db: Path  # a project database with comparisons and judgements
    model: Path  # a valid tiny reward model dir (read-only: copy before changing)


@dataclass
class Case:
    id: str
    build: Callable[[Ctx], list[str]]
    expect: list[str] = field(default_factory=list)
    accept: bool = False
    check: Callable[[Ctx, str], None] | None = None
    target: str = "db"  # which file must stay unchanged: the project db, or "argdb"


def w(name: str, content: str | bytes) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        path = ctx.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path
    return make


def rows(name: str, items: list[Any]) -> Callable[[Ctx], Path]:
    return w(name, "".join(json.dumps(r) + "\n" for r in items))


def imp(maker: Callable[[Ctx], Path], *flags: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["import", "--db", str(ctx.db), *flags, str(maker(ctx))]


def _dir(name: str) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        (ctx.tmp / name).mkdir()
        return ctx.tmp / name
    return make


def _loop(name: str) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        (ctx.tmp / name).symlink_to(ctx.tmp / f"{name}.other")
        (ctx.tmp / f"{name}.other").symlink_to(ctx.tmp / name)
        return ctx.tmp / name
    return make


def _dangling(name: str) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        (ctx.tmp / name).symlink_to(ctx.tmp / "gone" / "nowhere.jsonl")
        return ctx.tmp / name
    return make


def _fifo(name: str) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        os.mkfifo(ctx.tmp / name)
        return ctx.tmp / name
    return make


def _missing(name: str) -> Callable[[Ctx], Path]:
    return lambda ctx: ctx.tmp / name


def _stored(ctx: Ctx) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(f"file:{ctx.db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT prompt, response_a, response_b FROM comparisons").fetchall()
    finally:
        conn.close()


def _has_prompt(prompt: str, n: int | None = None) -> Callable[[Ctx, str], None]:
    def check(ctx: Ctx, out: str) -> None:
        found = [r for r in _stored(ctx) if r[0] == prompt]
        assert found, f"{prompt!r} not stored"
        assert not any(r[0].startswith("\ufeff") for r in _stored(ctx)), "BOM kept in text"
        if n is not None:
            assert len(found) == n
    return check


def _long_text(ctx: Ctx, out: str) -> None:
    assert any(len(r[1]) == 5_000_000 or len(r[2]) == 5_000_000 for r in _stored(ctx))


R = random.Random(8)
BIN = bytes(R.randrange(256) for _ in range(3000))
P = '"prompt": "p"'

IMPORT: list[Case] = [
    # malformed / truncated structure
    Case("jsonl-malformed-line", imp(w("a.jsonl", GOOD + "{not json}\n")), ["a.jsonl", "row 4", "malformed JSON"]),
    Case("jsonl-truncated", imp(w("b.jsonl", GOOD[:-20])), ["b.jsonl", "row 3", "malformed JSON"]),
    Case("jsonl-array-line", imp(w("c.jsonl", GOOD + "[1, 2]\n")), ["c.jsonl", "row 4", "expected a JSON object"]),
    Case("jsonl-number-line", imp(w("d.jsonl", "42\n")), ["d.jsonl", "row 1", "got a number"]),
    Case("jsonl-string-line", imp(w("e.jsonl", '"text"\n')), ["e.jsonl", "row 1", "got a string"]),
    Case("jsonl-null-line", imp(w("f.jsonl", GOOD + "null\n")), ["f.jsonl", "row 4"]),
    Case("jsonl-deep-nesting", imp(w("g.jsonl", '{"a":' * 50000 + "1" + "}" * 50000 + "\n")), ["g.jsonl", "row 1", "nested"]),
    Case("json-truncated", imp(w("h.json", json.dumps(GOOD_ROWS)[:-9])), ["h.json", "malformed JSON"]),
    Case("json-trailing-garbage", imp(w("i.json", json.dumps(GOOD_ROWS) + " ]]")), ["i.json", "extra data"]),
    Case("json-array-of-strings", imp(w("j.json", '["a", "b"]')), ["j.json", "row 1", "expected a JSON object"]),
    Case("json-deep-nesting", imp(w("k.json", "[" * 50000 + "]" * 50000)), ["k.json", "nested"]),
    Case("json-missing-comma", imp(w("l.json", "[" + json.dumps(GOOD_ROWS[0]) + json.dumps(GOOD_ROWS[1]) + "]")), ["l.json", "row 1"]),
    Case("json-html", imp(w("m.json", "<!doctype html><html><body>404</body></html>")), ["m.json"]),
    Case("csv-unclosed-quote", imp(w("n.csv", 'prompt,chosen,rejected\np,"c,r\n')), ["n.csv", "row 1", "malformed CSV"]),
    Case("csv-fewer-fields", imp(w("o.csv", "prompt,chosen,rejected\np,c\n")), ["o.csv", "row 1", "fewer"]),
    Case("csv-more-fields", imp(w("p.csv", "prompt,chosen,rejected\np,c,r\nq,c,r,x\n")), ["p.csv", "row 2", "more"]),
    Case("csv-semicolons", imp(w("q.csv", "prompt;chosen;rejected\np;c;r\n")), ["q.csv", "row 1"]),
    Case("csv-tabs-in-csv", imp(w("r.csv", "prompt\tchosen\trejected\np\tc\tr\n")), ["r.csv", "row 1"]),
    Case("tsv-with-commas", imp(w("s.tsv", "prompt,chosen,rejected\np,c,r\n")), ["s.tsv", "row 1"]),
    Case("csv-header-only", imp(w("t.csv", "prompt,chosen,rejected\n")), ["t.csv", "no data rows"]),
    Case("csv-duplicate-header", imp(w("u.csv", "prompt,chosen,chosen\np,c,r\n")), ["u.csv", "chosen"]),
    Case("empty-file", imp(w("v.jsonl", "")), ["v.jsonl"]),
    Case("whitespace-file", imp(w("w.jsonl", " \n\t\n\n")), ["w.jsonl"]),
    Case("blank-csv", imp(w("x.csv", "\n\n")), ["x.csv"]),
    # encodings and bytes
    Case("utf16-no-bom", imp(w("y.jsonl", GOOD.encode("utf-16-le"))), ["y.jsonl", "UTF-16"]),
    Case("utf32", imp(w("z.jsonl", GOOD.encode("utf-32"))), ["z.jsonl", "UTF-32"]),
    Case("invalid-utf8-jsonl", imp(w("aa.jsonl", GOOD.encode() + b'{"prompt": "\xff\xfe", "chosen": "a", "rejected": "b"}\n')), ["aa.jsonl", "row 4", "UTF-8"]),
    Case("invalid-utf8-csv", imp(w("ab.csv", "prompt,chosen,rejected\ncaf\xe9,a,b\n".encode("latin-1"))), ["ab.csv", "row 2", "UTF-8"]),
    Case("latin1-json", imp(w("ac.json", json.dumps(GOOD_ROWS, ensure_ascii=False).replace("prompt 0", "pr\xe9").encode("latin-1"))), ["ac.json", "UTF-8"]),
    Case("nul-bytes-raw", imp(w("ad.jsonl", GOOD.encode() + b"\x00\x00\x00\n")), ["ad.jsonl", "row 4", "NUL"]),
    Case("nul-escape", imp(rows("ae.jsonl", [{"prompt": "p\x00", "chosen": "a", "rejected": "b"}])), ["ae.jsonl", "row 1", "prompt", "NUL"]),
    Case("nul-in-csv", imp(w("af.csv", b"prompt,chosen,rejected\np,a\x00,b\n")), ["af.csv", "NUL"]),
    Case("lone-surrogate", imp(w("ag.jsonl", '{"prompt": "p", "chosen": "x\\ud800y", "rejected": "b"}\n')), ["ag.jsonl", "row 1", "chosen", "surrogate"]),
    Case("binary-garbage", imp(w("ah.jsonl", BIN)), ["ah.jsonl"]),
    Case("gzip-as-jsonl", imp(w("ai.jsonl", gzip.compress(GOOD.encode()))), ["ai.jsonl"]),
    Case("parquet-garbage", imp(w("aj.parquet", b"PAR1" + BIN + b"PAR1")), ["aj.parquet"]),
    Case("parquet-truncated", imp(w("ak.parquet", b"PAR1" + BIN[:40])), ["ak.parquet"]),
    Case("unknown-extension", imp(w("al.xlsx", BIN)), ["al.xlsx"]),
    # texts
    Case("empty-chosen", imp(rows("am.jsonl", [{"prompt": "p", "chosen": "", "rejected": "b"}])), ["am.jsonl", "row 1", "chosen", "empty"]),
    Case("whitespace-rejected", imp(rows("an.jsonl", [{"prompt": "p", "chosen": "a", "rejected": " \n\t "}])), ["an.jsonl", "row 1", "rejected", "whitespace"]),
    Case("whitespace-prompt", imp(rows("ao.jsonl", [{"prompt": "   ", "chosen": "a", "rejected": "b"}])), ["ao.jsonl", "row 1", "prompt"]),
    Case("identical-a-b", imp(rows("ap.jsonl", [{"prompt": "p", "chosen": "same", "rejected": "same"}])), ["ap.jsonl", "row 1", "identical"]),
    Case("identical-ab-shape-a", imp(rows("aq.jsonl", [{"prompt": "p", "response_a": "same", "response_b": "same"}])), ["aq.jsonl", "row 1", "identical"]),
    Case("identical-in-list", imp(rows("ar.jsonl", [{"prompt": "p", "responses": ["x", "y", "x"]}])), ["ar.jsonl", "row 1", "identical"]),
    Case("bad-row-after-5mb", imp(w("as.jsonl", json.dumps({"prompt": "p", "chosen": "x" * 5_000_000, "rejected": "r"}) + "\n" + "{oops\n")), ["as.jsonl", "row 2"]),
    # columns
    Case("missing-rejected", imp(rows("at.jsonl", [{"prompt": "p", "chosen": "c"}])), ["at.jsonl", "row 1", "rejected"]),
    Case("missing-prompt", imp(rows("au.jsonl", [{"chosen": "c", "rejected": "r"}])), ["au.jsonl", "row 1"]),
    Case("missing-column-later-row", imp(rows("av.jsonl", [*GOOD_ROWS, {"prompt": "p", "chosen": "c"}])), ["av.jsonl", "row 4", "rejected"]),
    Case("chosen-number", imp(rows("aw.jsonl", [{"prompt": "p", "chosen": 5, "rejected": "r"}])), ["aw.jsonl", "row 1", "chosen", "number"]),
    Case("rejected-list", imp(rows("ax.jsonl", [{"prompt": "p", "chosen": "c", "rejected": ["r"]}])), ["ax.jsonl", "row 1", "rejected"]),
    Case("prompt-object", imp(rows("ay.jsonl", [{"prompt": {"x": 1}, "chosen": "c", "rejected": "r"}])), ["ay.jsonl", "row 1", "prompt"]),
    Case("chosen-null", imp(rows("az.jsonl", [{"prompt": "p", "chosen": None, "rejected": "r"}])), ["az.jsonl", "row 1", "chosen"]),
    Case("chosen-bool", imp(rows("ba.jsonl", [{"prompt": "p", "chosen": True, "rejected": "r"}])), ["ba.jsonl", "row 1", "chosen"]),
    Case("chosen-nan", imp(w("bb.jsonl", '{"prompt": "p", "chosen": NaN, "rejected": "r"}\n')), ["bb.jsonl", "row 1", "chosen"]),
    Case("responses-not-list", imp(rows("bc.jsonl", [{"prompt": "p", "responses": 7}])), ["bc.jsonl", "row 1", "responses"]),
    Case("responses-one-item", imp(rows("bd.jsonl", [{"prompt": "p", "responses": ["only"]}])), ["bd.jsonl", "row 1", "responses"]),
    Case("winner-invalid", imp(rows("be.jsonl", [{"prompt": "p", "response_a": "a", "response_b": "b", "winner": "c"}])), ["be.jsonl", "row 1", "winner"]),
    Case("score-not-number", imp(rows("bf.jsonl", [{"prompt": "p", "response": "a", "score": "high"}, {"prompt": "p", "response": "b", "score": 2}])), ["bf.jsonl", "row 1", "score"]),
    Case("chat-message-no-role", imp(rows("bg.jsonl", [{"prompt": [{"content": "hi"}], "chosen": "a", "rejected": "b"}])), ["bg.jsonl", "row 1", "prompt"]),
    Case("mapped-column-absent", imp(w("bh.jsonl", GOOD), "--prompt-column", "question"), ["bh.jsonl", "row 1"]),
    # not a file
    Case("directory", imp(_dir("bi.jsonl")), ["bi.jsonl", "directory"]),
    Case("missing-file", imp(_missing("bj.jsonl")), ["bj.jsonl", "no such file"]),
    Case("symlink-loop", imp(_loop("bk.jsonl")), ["bk.jsonl", "link"]),
    Case("dangling-symlink", imp(_dangling("bl.jsonl")), ["bl.jsonl", "link"]),
    Case("fifo", imp(_fifo("bm.jsonl")), ["bm.jsonl", "not a regular file"]),
    Case("good-then-bad-file", lambda ctx: ["import", "--db", str(ctx.db), str(w("bn.jsonl", GOOD.replace("prompt 0", "fresh"))(ctx)), str(w("bo.jsonl", "{bad\n")(ctx))], ["bo.jsonl", "row 1"]),
    # hostile-looking but valid: must import correctly
    Case("utf8-bom", imp(w("ok1.jsonl", "\ufeff" + GOOD)), accept=True, check=_has_prompt("prompt 0")),
    Case("utf16-with-bom", imp(w("ok2.jsonl", GOOD.replace("prompt 1", "utf16 prompt").encode("utf-16"))), accept=True, check=_has_prompt("utf16 prompt")),
    Case("csv-bom-crlf", imp(w("ok3.csv", "\ufeffprompt,chosen,rejected\r\ncsv prompt,a,b\r\n")), accept=True, check=_has_prompt("csv prompt")),
    Case("duplicated-rows", imp(w("ok4.jsonl", GOOD.replace("prompt ", "dup ") * 3)), accept=True, check=_has_prompt("dup 0", n=1)),
    Case("five-mb-text", imp(rows("ok5.jsonl", [{"prompt": "long", "chosen": "x" * 5_000_000, "rejected": "r"}])), accept=True, check=_long_text),
    Case("extra-columns", imp(rows("ok6.jsonl", [{**GOOD_ROWS[0], "prompt": "extra", "zzz": [1], "id": 9}])), accept=True, check=_has_prompt("extra")),
    Case("markup-and-escapes", imp(rows("ok7.jsonl", [{"prompt": "[@click=app.quit]x[/]", "chosen": "\x1b[2Ja", "rejected": "\u202eb"}])), accept=True, check=_has_prompt("[@click=app.quit]x[/]")),
]


# ---------------------------------------------------------------- export
def exp(out: Callable[[Ctx], Path], *flags: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["export", "--db", str(ctx.db), *flags, str(out(ctx))]


def _foreign_sqlite(name: str) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        conn = sqlite3.connect(ctx.tmp / name)
        conn.executescript("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me');")
        conn.close()
        return ctx.tmp / name
    return make


EXPORT: list[Case] = [
    Case("export-over-the-db", lambda ctx: ["export", "--db", str(ctx.db), "--format", "jsonl", str(ctx.db)], ["project.db", "database"]),
    Case("export-over-the-wal", lambda ctx: ["export", "--db", str(ctx.db), "--format", "csv", str(ctx.db) + "-wal"], ["project.db-wal", "database"]),
    Case("export-over-other-sqlite", exp(_foreign_sqlite("other.jsonl")), ["other.jsonl", "SQLite"]),
    Case("export-to-directory", exp(_dir("outdir.jsonl")), ["outdir.jsonl", "directory"]),
    Case("export-missing-folder", exp(_missing("nofolder/x.jsonl")), ["x.jsonl", "does not exist"]),
    Case("export-unknown-extension", exp(_missing("x.xlsx")), ["x.xlsx", "format"]),
    Case("export-hf-over-file", exp(w("exists.bin", b"x"), "--format", "hf"), ["exists.bin"]),
    Case("export-bad-policy", exp(_missing("y.jsonl"), "--policy", "loudest"), ["loudest", "policy"]),
]


# ---------------------------------------------------------------- train
_TRAIN_DATA = w("td.jsonl", GOOD)


def train(*flags: str, data: Callable[[Ctx], Path] | None = _TRAIN_DATA) -> Callable[[Ctx], list[str]]:
    def build(ctx: Ctx) -> list[str]:
        argv = ["train", *flags]
        if data is not None:
            argv += ["--data-path", str(data(ctx))]
        return argv
    return build


def _model_variant(name: str, change: Callable[[Path], None]) -> Callable[[Ctx], Path]:
    def make(ctx: Ctx) -> Path:
        import shutil

        out = ctx.tmp / name
        shutil.copytree(ctx.model, out)
        change(out)
        return out
    return make


def _edit_config(**updates: Any) -> Callable[[Path], None]:
    def change(d: Path) -> None:
        cfg = json.loads((d / "config.json").read_text())
        cfg.update(updates)
        (d / "config.json").write_text(json.dumps(cfg))
    return change


def _write(rel: str, data: bytes) -> Callable[[Path], None]:
    return lambda d: (d / rel).write_bytes(data)


def _remove(rel: str) -> Callable[[Path], None]:
    return lambda d: (d / rel).unlink()


def with_model(maker: Callable[[Ctx], Path], build: Callable[[Ctx, str], list[str]]) -> Callable[[Ctx], list[str]]:
    return lambda ctx: build(ctx, str(maker(ctx)))


TRAIN: list[Case] = [
    Case("train-data-missing", train(data=_missing("nope.jsonl")), ["nope.jsonl", "no such file"]),
    Case("train-model-missing", train("--model", "./no-such-model"), ["no-such-model", "does not exist"]),
    Case("train-model-no-config", lambda ctx: train("--model", str(_dir("empty-model")(ctx)))(ctx), ["empty-model", "config.json"]),
    Case("train-model-corrupt-config", with_model(_model_variant("cfg-bad", _write("config.json", b"{oops")), lambda ctx, m: train("--model", m)(ctx)), ["cfg-bad", "corrupt"]),
    Case("train-project-dotdot", train("--project-name", "../escape"), ["--project-name", ".."]),
    Case("train-project-absolute", train("--project-name", "/tmp/duelist-abs-escape"), ["--project-name", "absolute"]),
    Case("train-epochs-zero", train("--epochs", "0"), ["--epochs"]),
    Case("train-batch-negative", train("--batch-size", "-4"), ["--batch-size"]),
    Case("train-valid-split-2", train("--valid-split", "2"), ["valid"]),
    Case("train-no-data-no-db", train("--db", "missing-project.db", data=None), ["missing-project.db"]),
    Case("train-wrong-trainer", lambda ctx: ["llm", "--trainer", "sft", "--data-path", str(w("tl.jsonl", GOOD)(ctx))], ["--trainer", "sft"]),
    Case("train-quantization-cpu", train("--peft", "--quantization", "int4"), ["quantization"]),
]


# ---------------------------------------------------------------- score / rank with bad models and files
def score(inp: Callable[[Ctx], Path], out: str = "scored.jsonl", *flags: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["score", "--model", str(ctx.model), *flags, str(inp(ctx)), str(ctx.tmp / out)]


def rank(*args: str) -> Callable[[Ctx], list[str]]:
    return lambda ctx: ["rank", "--model", str(ctx.model), *args]


BAD_MODELS: list[tuple[str, Callable[[Ctx], Path], list[str]]] = [
    ("missing", _missing("ghost-model"), ["ghost-model", "does not exist"]),
    ("file", w("model.bin", b"not a dir"), ["model.bin"]),
    ("no-config", _model_variant("m-nocfg", _remove("config.json")), ["m-nocfg", "config.json"]),
    ("corrupt-config", _model_variant("m-badcfg", _write("config.json", b"[1, 2")), ["m-badcfg", "corrupt"]),
    ("wrong-architecture", _model_variant("m-mlm", _edit_config(architectures=["BertForMaskedLM"])), ["m-mlm", "BertForMaskedLM"]),
    ("three-labels", _model_variant("m-3", _edit_config(id2label={"0": "a", "1": "b", "2": "c"})), ["m-3", "3 outputs"]),
    ("no-weights", _model_variant("m-now", _remove("model.safetensors")), ["m-now", "weights"]),
    ("corrupt-weights", _model_variant("m-garbage", _write("model.safetensors", BIN)), ["m-garbage"]),
    ("truncated-weights", _model_variant("m-trunc", lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:3000])), ["m-trunc"]),
    ("shape-mismatch", _model_variant("m-shape", _edit_config(hidden_size=48, intermediate_size=96)), ["m-shape"]),
    ("unknown-model-type", _model_variant("m-type", _edit_config(model_type="no-such-arch")), ["m-type"]),
]

SCORE_RANK: list[Case] = [
    *[Case(f"score-model-{n}", with_model(m, lambda ctx, p: ["score", "--model", p, str(w("in.jsonl", GOOD)(ctx)), str(ctx.tmp / "o.jsonl")]), e)
      for n, m, e in BAD_MODELS],
    *[Case(f"rank-model-{n}", with_model(m, lambda ctx, p: ["rank", "--model", p, "--prompt", "p", "a", "b"]), e)
      for n, m, e in BAD_MODELS],
    Case("score-input-missing", score(_missing("absent.jsonl")), ["absent.jsonl"]),
    Case("score-input-malformed", score(w("sm.jsonl", GOOD + "{x\n")), ["sm.jsonl", "row 4"]),
    Case("score-input-no-response-column", score(rows("sn.jsonl", [{"prompt": "p", "text": "t"}])), ["sn.jsonl", "response"]),
    Case("score-input-directory", score(_dir("sd.jsonl")), ["sd.jsonl", "directory"]),
    Case("score-response-column-absent", score(w("sc.jsonl", GOOD), "o.jsonl", "--response-column", "zz"), ["sc.jsonl", "zz"]),
    Case("score-output-unknown-type", score(w("so.jsonl", GOOD), "o.xlsx"), ["o.xlsx"]),
    # An empty RESPONSE is scored (RL rollouts produce them, issue 13); an empty prompt is not.
    Case("score-empty-prompt", score(rows("se.jsonl", [{"prompt": " ", "response": "r"}])), ["se.jsonl", "row 1"]),
    Case("rank-no-prompt", rank("a", "b"), ["--prompt"]),
    Case("rank-file-missing", rank("--file", "nowhere.jsonl"), ["nowhere.jsonl"]),
    Case("rank-file-malformed", lambda ctx: rank("--file", str(w("rf.jsonl", "{bad\n")(ctx)))(ctx), ["rf.jsonl", "row 1"]),
    Case("rank-file-no-responses", lambda ctx: rank("--file", str(rows("rn.jsonl", [{"prompt": "p"}])(ctx)))(ctx), ["rn.jsonl", "row 1"]),
    Case("rank-weights-malformed", rank("--weights", "helpful", "--prompt", "p", "a", "b"), ["--weights"]),
    Case("rank-no-model-no-db", lambda ctx: ["rank", "--db", str(ctx.tmp / "none.db"), "--prompt", "p", "a", "b"], ["none.db"]),
]


# ---------------------------------------------------------------- hostile --db for every command
def _db_text(ctx: Ctx) -> Path:
    return w("notes.db", "prompt,chosen,rejected\n")(ctx)


def _db_random(ctx: Ctx) -> Path:
    return w("random.db", BIN * 3)(ctx)


def _db_header_junk(ctx: Ctx) -> Path:
    return w("junk.db", b"SQLite format 3\x00" + BIN)(ctx)


def _db_truncated(ctx: Ctx) -> Path:
    data = ctx.db.read_bytes()
    return w("truncated.db", data[: len(data) // 3])(ctx)


def _db_future(ctx: Ctx) -> Path:
    import shutil

    out = ctx.tmp / "future.db"
    shutil.copy(ctx.db, out)
    conn = sqlite3.connect(out)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('duelist', 'm999_time_travel', '2031-01-01')")
    conn.commit()
    conn.close()
    return out


HOSTILE_DBS: list[tuple[str, Callable[[Ctx], Path], list[str]]] = [
    ("text-file", _db_text, ["notes.db", "not a SQLite database"]),
    ("random-bytes", _db_random, ["random.db"]),
    ("header-then-junk", _db_header_junk, ["junk.db"]),
    ("truncated", _db_truncated, ["truncated.db"]),
    ("foreign-sqlite", _foreign_sqlite("foreign.db"), ["foreign.db", "not a Duelist store"]),
    ("future-schema", _db_future, ["future.db", "newer"]),
    ("directory", _dir("folder.db"), ["folder.db"]),
    ("missing-folder", _missing("no/such/dir/p.db"), ["p.db"]),
    ("symlink-loop", _loop("loop.db"), ["loop.db", "link"]),
]


def _cmd_with_db(cmd: str) -> Callable[[Ctx, str], list[str]]:
    return {
        "import": lambda ctx, db: ["import", "--db", db, str(w("in.jsonl", GOOD)(ctx))],
        "export": lambda ctx, db: ["export", "--db", db, str(ctx.tmp / "out.jsonl")],
        "stats": lambda ctx, db: ["stats", "--db", db],
        "rank": lambda ctx, db: ["rank", "--db", db, "--prompt", "p", "a", "b"],
        "score": lambda ctx, db: ["score", "--db", db, str(w("in.jsonl", GOOD)(ctx)), str(ctx.tmp / "o.jsonl")],
        "train": lambda ctx, db: ["train", "--db", db],
    }[cmd]


DB_CASES: list[Case] = [
    Case(f"db-{kind}-{cmd}", with_model(make, _cmd_with_db(cmd)), expect, target="argdb")
    for kind, make, expect in HOSTILE_DBS
    for cmd in ("import", "export", "stats", "rank", "score", "train")
    if not (cmd == "train" and kind == "missing-folder")
]

ALL_CASES: list[Case] = IMPORT + EXPORT + TRAIN + SCORE_RANK + DB_CASES
