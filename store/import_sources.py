"""Naming the annotator of an imported file by its content (see m007_import_sources).

`source_annotator` is called from inside `import_rows`' write transaction (the
rows generator runs there), so the name it registers is rolled back with the rest
of a failed import.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceName:
    annotator: str
    status: str  # "new", "same-content" (imported before) or "renamed" (name taken)
    first_name: str  # the file name this content was first imported under


class ImportSourcesMixin:
    def source_annotator(self, content_hash: str, file_name: str) -> SourceName:
        """The annotator for a file with this content; registers it when new.

        - Same content as an earlier import: that import's annotator, whatever the
          file is called now.
        - New content: `import:<file name>`, or, when another content already holds
          that name, `import:<file name>#<first 8 hex digits of the hash>`.
        - A database imported before m007 has `import:<name>` annotators with no
          recorded content: the first new content under that file name takes the
          name over (a re-import of the same old file then adds nothing, as before).
        """
        conn = self.db.conn
        row = conn.execute("SELECT annotator, first_name FROM import_sources "
                           "WHERE content_hash = ?", (content_hash,)).fetchone()
        if row is not None:
            return SourceName(row[0], "same-content", row[1])
        name = f"import:{file_name}"
        status = "new"
        if conn.execute("SELECT 1 FROM import_sources WHERE annotator = ?", (name,)).fetchone():
            name = f"import:{file_name}#{content_hash[:8]}"
            status = "renamed"
        conn.execute("INSERT INTO import_sources (content_hash, annotator, first_name) "
                     "VALUES (?, ?, ?)", (content_hash, name, file_name))
        return SourceName(name, status, file_name)
