"""Loading files into a store: all files of one command in ONE transaction.

Rows are validated as they stream into the transaction; the first bad row raises,
the transaction rolls back, and the store is exactly as it was. This keeps a
million-row import to a single pass over the file with flat memory, with the
same all-or-nothing guarantee as validating first and writing after.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.ingest.items import FileInfo, ReadOptions, iter_items
from duelist.engine.ingest.textio import Progress
from duelist.store import Store
from duelist.store.bulk import ImportRow

# Shapes whose A/B order means nothing (derived from chosen/rejected, a list, or
# scores): stored in a content-derived order, so "A" does not always win.
_ORDER_FREE = frozenset({"preferences", "responses", "ratings"})
_FLIP = {"a": "b", "b": "a"}


@dataclass
class ImportSummary:
    files: list[FileInfo] = field(default_factory=list)
    comparisons: int = 0  # offered by the files (after expansion)
    added: int = 0
    judgements: int = 0
    golds_learned: int = 0

    @property
    def present(self) -> int:
        return self.comparisons - self.added

    def line(self) -> str:
        skipped = sum(f.skipped for f in self.files)
        extra = f", {plural(skipped, 'row')} with empty text skipped" if skipped else ""
        if self.golds_learned:
            extra += f", {self.golds_learned} already present learned their gold answer"
        return (f"imported {len(self.files)} file{'s' if len(self.files) != 1 else ''}: "
                f"{plural(self.added, 'comparison')} added, {self.present} already present, "
                f"{plural(self.judgements, 'judgement')} added{extra}")


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def annotator_for(path: Path) -> str:
    """The default name for a file's judgements, `import:<file name>` (the store may
    give another: see `Store.source_annotator`)."""
    return f"import:{path.name}"


def content_digest(path: Path) -> str:
    """sha256 of a file's bytes, or of a datasets directory's files (names and bytes).

    What makes two imports "the same source": their content, not their name."""
    h = hashlib.sha256()
    files = [path] if not path.is_dir() else sorted(
        p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    for file in files:
        if path.is_dir():
            h.update(str(file.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
        with file.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def _flip_if_order_free(row: ImportRow) -> ImportRow:
    a, b = row.response_a, row.response_b
    if zlib.crc32(a.encode("utf-8")) > zlib.crc32(b.encode("utf-8")):
        row.response_a, row.response_b = b, a
        row.choice = _FLIP.get(row.choice, row.choice) if row.choice else row.choice
        row.gold = _FLIP.get(row.gold, row.gold) if row.gold else row.gold
    return row


def _rows_of(path: Path, options: ReadOptions, info: FileInfo, progress: Progress | None,
             name_source: Callable[[str, str], Any] | None) -> Iterator[ImportRow]:
    source = path.name
    annotator: str | None = None
    order_free: bool | None = None
    for item in iter_items(path, options, info, progress):
        if order_free is None:
            order_free = info.shape in _ORDER_FREE
        choice = item.choice
        if choice and annotator is None:  # the first judged row: name the source by content
            annotator = _name_source(path, info, name_source)
        row = ImportRow(item.prompt, item.response_a, item.response_b, source,
                        item.prompt_messages, item.gold, choice, annotator if choice else None,
                        strength=item.strength)
        yield _flip_if_order_free(row) if order_free else row


def _name_source(path: Path, info: FileInfo,
                 name_source: Callable[[str, str], Any] | None) -> str:
    if name_source is None:
        info.annotator = annotator_for(path)
        return info.annotator
    try:
        digest = content_digest(path)
    except OSError as exc:
        raise InputError(f"cannot read the file again ({exc.strerror or exc})",
                         path=str(path)) from None
    named = name_source(digest, path.name)
    info.annotator = named.annotator
    if named.status == "same-content":
        info.note = (f"same content as '{named.first_name}', imported before: its judgements "
                     f"stay one source, {named.annotator}")
    elif named.status == "renamed":
        info.note = (f"another file named '{path.name}' with different content was imported "
                     f"before: these judgements are a separate source, {named.annotator}")
    return named.annotator


def all_rows(paths: Sequence[str | Path], options: ReadOptions, infos: list[FileInfo],
             progress_for: Callable[[Path], Progress | None] | None = None,
             name_source: Callable[[str, str], Any] | None = None) -> Iterator[ImportRow]:
    """Rows of every file in turn; `infos` gets each file's FileInfo as it starts.
    `name_source(content_hash, file_name)` names the annotator of a file's judgements."""
    for raw in paths:
        path = Path(raw)
        info = FileInfo(str(path))
        infos.append(info)
        progress = progress_for(path) if progress_for else None
        yield from _rows_of(path, options, info, progress, name_source)


def import_files(store: Store, paths: Sequence[str | Path], options: ReadOptions | None = None,
                 progress_for: Callable[[Path], Progress | None] | None = None) -> ImportSummary:
    """Import every file, all-or-nothing. Raises InputError naming file/row/column.

    One process on purpose: reading in a second process and piping prepared
    batches here was measured slower (pickling cost more than the overlap
    saved on this 2-core machine; see BENCHMARKS.md).
    """
    options = options or ReadOptions()
    summary = ImportSummary()
    result = store.import_rows(all_rows(paths, options, summary.files, progress_for,
                                        store.source_annotator))
    summary.comparisons = result.rows
    summary.added = result.added
    summary.judgements = result.judgements
    summary.golds_learned = result.golds_learned
    return summary
