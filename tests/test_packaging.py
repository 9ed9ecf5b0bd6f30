"""A wheel carries what the app needs at run time: the demo set and the guidelines
(issue 14: `assets/` was found relative to the source tree, so `duelist demo` from a
wheel had no demo data)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_carries_the_assets(tmp_path: Path) -> None:
    src = tmp_path / "src"  # a copy: setuptools writes build/ beside the sources
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("tui", "engine", "store", "assets"):
        shutil.copytree(ROOT / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                        str(tmp_path), str(src)], capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("duelist-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"duelist/assets/demo.jsonl", "duelist/assets/guidelines.md"} <= names


def test_the_app_reads_its_assets_through_the_package() -> None:
    from duelist.tui.cli.cmd_demo import ASSETS
    from duelist.tui.screens.guidelines import DEFAULT_GUIDELINES

    assert (ASSETS / "demo.jsonl").is_file() and DEFAULT_GUIDELINES.is_file()
