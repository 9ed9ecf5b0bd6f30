"""Shared fixtures. Tests use real SQLite files in tmp dirs, never mocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
HH_TRAIN = SHARED_DATA / "hh_train.json"

# No hub access, ever: a test that tries must fail fast, not hang.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "duelist.db"


@pytest.fixture
def store(db_path: Path):
    from duelist.store import Store

    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def hh_path() -> Path:
    """The 1,500 real pairs in ../shared; skipped cleanly in a user's clone."""
    if not HH_TRAIN.exists():
        pytest.skip("../shared/data/hh_train.json is not present")
    return HH_TRAIN


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio: `@pytest.mark.anyio` tests get asyncio only, even where
    trio is installed (selenium brings it), which would add a failing [trio] variant."""
    return "asyncio"
