"""In-memory guards for the web server: failed-attempt rate limit and websocket tickets.

Kept free of aiohttp so the rules are plain, testable Python.

Why tickets: the browser script appends `?width=..&height=..` to the websocket
URL, so the token cannot ride there, and a cookie would be shared by every tab
of one browser (two links opened in one browser would become one annotator).
The page route, having checked the token, mints a random one-time ticket valid
for a minute and puts it in the websocket path; the websocket route redeems it
and checks the token again (a link revoked in between gets nothing).
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
# The child app reads its annotator from here (set by the server after sign-in).
ANNOTATOR_ENV = "DUELIST_WEB_ANNOTATOR"


@dataclass
class FailureLimiter:
    """At most `limit` failed sign-ins per client address in `window_s` seconds.

    Once over, that address is refused (429) until its oldest failure in the
    window ages out, valid token or not: guessing a 256-bit token is hopeless
    anyway, but this keeps a scanner from filling the log and the CPU.
    """

    limit: int = 10
    window_s: float = 60.0
    clock: Clock = time.monotonic
    _fails: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, client: str) -> deque[float]:
        now = self.clock()
        q = self._fails.get(client)
        if q is None:
            return deque()
        while q and now - q[0] > self.window_s:
            q.popleft()
        if not q:
            del self._fails[client]
        return q

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.limit

    def failed(self, client: str) -> None:
        self._recent(client)
        self._fails.setdefault(client, deque()).append(self.clock())
        if len(self._fails) > 10_000:  # a spray of addresses must not grow memory forever
            oldest = min(self._fails, key=lambda k: self._fails[k][-1])
            del self._fails[oldest]


@dataclass
class TicketBook:
    """One-time, short-lived websocket tickets, each bound to a token."""

    ttl_s: float = 60.0
    clock: Clock = time.monotonic
    _tickets: dict[str, tuple[str, float]] = field(default_factory=dict)

    def mint(self, token: str) -> str:
        now = self.clock()
        for key in [k for k, (_, t) in self._tickets.items() if now - t > self.ttl_s]:
            del self._tickets[key]
        ticket = secrets.token_urlsafe(24)
        self._tickets[ticket] = (token, now)
        return ticket

    def redeem(self, ticket: str) -> str | None:
        """The token a live ticket was minted for (the ticket is used up), or None."""
        entry = self._tickets.pop(ticket, None)
        if entry is None or self.clock() - entry[1] > self.ttl_s:
            return None
        return entry[0]
