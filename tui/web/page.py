"""The HTML page and browser script `duelist web` serves (instead of textual-serve's).

Why our own page: textual-serve's template loads a font from Google (every
annotator's browser would call a third party) and its script loads xterm's
WebLinksAddon, which turns any `https://...` in the data into a clickable link.
Untrusted text must do nothing, so we serve the same script with that addon
left out. The script also exposes the terminal as `window.duelistTerminal`, so
browser tests (and accessibility tooling) can read what is on screen.
Patching is by exact pattern: if a textual-serve release changes the script,
the server refuses to start rather than serve links silently.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import textual_serve

STATIC_DIR = Path(textual_serve.__file__).resolve().parent / "static"

_PATCHES = [
    # xterm's WebLinksAddon: plain-text URLs become links. Data must stay inert.
    (re.compile(r"this\.weblinksAddon=new \w+\.WebLinksAddon,"
                r"this\.terminal\.loadAddon\(this\.weblinksAddon\),"), ""),
    # Expose the terminal for tests and screen-reading tools (read-only use).
    (re.compile(r"this\.terminal\.open\((\w)\),"),
     r"this.terminal.open(\1),window.duelistTerminal=this.terminal,"),
]


class ScriptPatchError(RuntimeError):
    """textual-serve's browser script no longer matches what we patch."""


@cache
def browser_script() -> bytes:
    """textual-serve's textual.js with the patches applied (each exactly once)."""
    text = (STATIC_DIR / "js" / "textual.js").read_text(encoding="utf-8")
    for pattern, repl in _PATCHES:
        text, n = pattern.subn(repl, text)
        if n != 1:
            raise ScriptPatchError(
                f"textual-serve's js/textual.js changed ({pattern.pattern[:40]}... matched "
                f"{n} times); refusing to serve it unpatched")
    return text.encode("utf-8")


def security_headers(ws_origin: str) -> dict[str, str]:
    """Headers for every page: no third-party loads, no framing, no referrer, no cache."""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self' {ws_origin}; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'"),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<style>
@font-face {{ font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf") format("truetype"); }}
body {{ background: #0c181f; margin: 0; }}
.textual-terminal {{ width: 100vw; height: 100vh; }}
.closed {{ display: none; position: absolute; inset: 0; align-items: center;
  justify-content: center; color: #eee; font: 16px "Roboto Mono", monospace; z-index: 10;
  background: #0c181f; flex-direction: column; }}
body.-closed .closed {{ display: flex; }}
button {{ padding: 12px 28px; margin: 16px; background: #5e0ba7; color: #fff; border: 0;
  font: inherit; cursor: pointer; }}
</style>
<script src="/duelist.js"></script>
</head>
<body>
<div class="closed"><div>Session ended. Every judgement you saw acknowledged is saved.</div>
<button type="button" onclick="window.location.reload()">Start again</button></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{ws_url}"
  data-font-size="{font_size}"></div>
</body>
</html>
"""


def render_page(*, annotator: str, ws_url: str, font_size: int) -> str:
    """The page for one signed-in annotator (every value escaped)."""
    return PAGE.format(title=html.escape(f"Duelist: {annotator}"),
                       ws_url=html.escape(ws_url, quote=True), font_size=int(font_size))
