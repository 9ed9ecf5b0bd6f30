"""Annotator names that show as what they are: the one rule, for every door a name comes in
(`annotate --annotator`, `web --annotators` files, web sign-in links).

Why in the store: names are stored in the annotations and web-token tables, and the
store refuses what it must not keep. Why these rules: `stats`, the quality screen and
the agreement tables tell annotators apart by name only. A name with a bidi override, a zero-width character, a fullwidth or
mathematical letter, or a Cyrillic `а` among Latin letters prints like another
annotator's name, so one person's judgements can pass for someone else's.
"""

from __future__ import annotations

import unicodedata

# Scripts whose letters look alike (a/а/α, o/о/ο, p/р/ρ...): a name may use one of them.
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
MAX_NAME_CHARS = 64


def name_problem(name: str) -> str | None:
    """What makes `name` unusable as an annotator name, or None when it is fine."""
    name = name.strip()
    if not name:
        return "must not be empty or whitespace only"
    if len(name) > MAX_NAME_CHARS:
        return f"must not be longer than {MAX_NAME_CHARS} characters"
    bad = [ch for ch in name if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")]
    if bad:
        return ("must not contain control characters, bidi or invisible characters "
                f"({', '.join(f'U+{ord(c):04X}' for c in bad[:3])})")
    odd = [ch for ch in name if unicodedata.normalize("NFKC", ch) != ch]
    if odd:
        return ("must not contain look-alike compatibility characters (fullwidth, "
                f"mathematical or ligature letters: {', '.join(f'U+{ord(c):04X}' for c in odd[:3])})")
    scripts: dict[str, str] = {}
    for ch in name:
        if unicodedata.category(ch).startswith("L"):
            script = unicodedata.name(ch, "").split(" ")[0]
            if script in _CONFUSABLE_SCRIPTS:
                scripts.setdefault(script, ch)
    if len(scripts) > 1:
        shown = ", ".join(f"{s.title()} {c!r} U+{ord(c):04X}" for s, c in scripts.items())
        return f"mixes letters of scripts that look alike ({shown}); use one script"
    return None


def check_annotator_name(name: str) -> str:
    """The name, stripped, or ValueError saying what makes it unusable."""
    problem = name_problem(name)
    if problem:
        raise ValueError(f"annotator name {name.strip()!r} {problem}")
    return name.strip()
