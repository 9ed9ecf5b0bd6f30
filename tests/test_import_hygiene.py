"""The TUI and the store must open fast: no torch & co. at import time."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ["torch", "transformers", "trl", "peft", "datasets", "accelerate", "bitsandbytes"]


def _loaded_after(import_line: str) -> set[str]:
    code = f"import sys\n{import_line}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "import_line",
    [
        "import duelist.store",
        "import duelist.tui.cli.main",
        "import duelist.engine",
        "import duelist.engine.runs.events",
    ],
)
def test_no_heavy_imports(import_line: str) -> None:
    loaded = _loaded_after(import_line)
    assert not loaded & set(HEAVY), f"{import_line} pulled in {sorted(loaded & set(HEAVY))}"


def test_store_imports_neither_textual_nor_rich() -> None:
    loaded = _loaded_after("import duelist.store")
    assert "textual" not in loaded and "rich" not in loaded
