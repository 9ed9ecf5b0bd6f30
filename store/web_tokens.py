"""Sign-in tokens for annotators in a browser (`duelist web`): issue, check, list, revoke.

Why here: the token table is part of the project (a lead revokes a link from any
terminal, and the running server sees it at the next check), and all SQL lives in
the store. Only SHA-256 digests are stored: a token is 32 random bytes, so a fast
hash is enough (there is nothing to brute-force that a slow hash would protect),
and a leaked database file cannot be turned back into working links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from duelist.store.annotator_names import check_annotator_name
from duelist.store.connection import write_transaction

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class WebAnnotator:
    """One issued link: who, when, last use, and whether it still works."""

    annotator: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def token_digest(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()



class WebTokensMixin:
    def issue_web_token(self, annotator: str) -> str:
        """Create a sign-in token for `annotator` and return it (shown once, never stored).

        Refuses a name that already has a working link: a lead who lost a link
        revokes it first, so there is never a forgotten second way in.
        """
        name = check_annotator_name(annotator)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with write_transaction(self.db, self.path):
            conn = self.db.conn
            if conn.execute("SELECT 1 FROM web_tokens WHERE annotator = ? AND revoked_at IS NULL",
                            (name,)).fetchone():
                raise ValueError(f"annotator {name!r} already has a link; "
                                 f"revoke it first (--revoke {name})")
            conn.execute("INSERT INTO web_tokens (annotator, token_hash) VALUES (?, ?)",
                         (name, token_digest(token)))
        return token

    def web_annotator_for(self, token: str, *, touch: bool = False) -> str | None:
        """The annotator a live token belongs to, or None (unknown or revoked).

        `touch` records the sign-in time (the page route does; the periodic
        re-check of a running session does not, to keep it read-only).
        """
        if not token or len(token) > 256:
            return None
        digest = token_digest(token)
        row = self.db.execute("SELECT annotator FROM web_tokens WHERE token_hash = ? "
                              "AND revoked_at IS NULL", [digest]).fetchone()
        if row is None:
            return None
        if touch:
            with write_transaction(self.db, self.path):
                self.db.conn.execute(
                    "UPDATE web_tokens SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                    "WHERE token_hash = ?", (digest,))
        return str(row[0])

    def revoke_web_tokens(self, annotator: str) -> int:
        """Revoke every working link of `annotator`; returns how many were revoked."""
        with write_transaction(self.db, self.path):
            return self.db.conn.execute(
                "UPDATE web_tokens SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                "WHERE annotator = ? AND revoked_at IS NULL", (annotator,)).rowcount

    def web_annotators(self) -> list[WebAnnotator]:
        """Every link ever issued, oldest first (revoked ones included, marked)."""
        return [WebAnnotator(r[0], r[1], r[2], r[3]) for r in self.db.execute(
            "SELECT annotator, created_at, last_used_at, revoked_at FROM web_tokens "
            "ORDER BY id")]
