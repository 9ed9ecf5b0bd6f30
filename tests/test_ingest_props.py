"""Property tests: whatever texts a writer puts in JSONL/JSON/CSV, the readers give back."""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from pathlib import Path

from duelist.engine.ingest import FileInfo, ReadOptions, iter_items, read_pairs
from duelist.engine.ingest.values import _BLANK
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

# Any Unicode text except NUL and surrogates, that is not blank (blank texts are errors).
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=40).filter(
    # Blank texts (whitespace or only invisible characters) are refused by design.
    lambda s: not _BLANK.fullmatch(s) and not s.lstrip().startswith("["))
rows = st.lists(st.tuples(texts, texts, texts).filter(lambda t: t[1] != t[2]), min_size=1,
                max_size=12)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write(data: bytes, suffix: str) -> Path:
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as fd:
        fd.write(data)
    return Path(fd.name)


def _check(path: Path, expected: list[tuple[str, str, str]]) -> None:
    try:
        got = [(p.prompt, p.chosen, p.rejected) for p in read_pairs(path, skip_empty=False)]
    finally:
        path.unlink()
    assert got == expected


@SETTINGS
@given(rows, st.booleans())
def test_jsonl_round_trip(data, ascii_only) -> None:
    text = "".join(json.dumps({"prompt": p, "chosen": c, "rejected": r}, ensure_ascii=ascii_only)
                   + "\n" for p, c, r in data)
    _check(_write(text.encode("utf-8"), ".jsonl"), data)


@SETTINGS
@given(rows, st.sampled_from([None, 0, 2]))
def test_json_array_round_trip(data, indent) -> None:
    text = json.dumps([{"prompt": p, "chosen": c, "rejected": r} for p, c, r in data],
                      ensure_ascii=False, indent=indent)
    _check(_write(text.encode("utf-8"), ".json"), data)


@SETTINGS
@given(rows, st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans())
def test_csv_round_trip(data, line_end, bom, quote_all) -> None:
    # Python's writer leaves a bare CR unquoted under QUOTE_MINIMAL with a "\n"
    # terminator, which no reader can tell from a line end; real files quote it.
    assume(quote_all or not any("\r" in t for row in data for t in row))
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=line_end,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(["prompt", "chosen", "rejected"])
    writer.writerows(data)
    raw = buf.getvalue().encode("utf-8")
    _check(_write((b"\xef\xbb\xbf" if bom else b"") + raw, ".csv"), data)


def test_json_array_streams_across_chunks(tmp_path: Path) -> None:
    """Pretty-printed arrays far longer than one read chunk, with long values and
    numbers that may end exactly at a chunk boundary."""
    data = [{"prompt": f"prompt {i} " + "x" * (i % 97), "response": f"answer {i}\n" * (i % 5 + 1),
             "score": i * 1.5} for i in range(6000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    info = FileInfo(str(path))
    items = list(iter_items(path, ReadOptions(all_ordered_pairs=True), info))
    assert info.rows == 6000 and info.shape == "ratings"
    assert items == []  # every prompt is unique: no pairs, but every row was parsed


def test_progress_reaches_total(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"p{i}", "chosen": "a", "rejected": "b"}) + "\n"
                            for i in range(3000)))
    calls: list[tuple[int, int]] = []
    read_pairs(path, progress=lambda done, total: calls.append((done, total)))
    size = path.stat().st_size
    assert calls and calls[-1] == (size, size)
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(calls))
