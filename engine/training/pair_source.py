"""Where training pairs come from: a file (`--data-path`) or the project store.

Both paths end as `PreferencePair`s plus a content hash, so the model dir records
exactly which data it saw (`data_hash` in duelist.json) whatever the source.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.preferences.pair import PreferencePair


@dataclass
class TrainingData:
    pairs: list[PreferencePair]
    source: str
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def data_hash(self) -> str:
        return pairs_hash(self.pairs)


def pairs_hash(pairs: list[PreferencePair]) -> str:
    h = hashlib.sha256()
    for p in pairs:
        h.update(json.dumps([p.prompt, p.chosen, p.rejected], ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()[:16]


def load_training_data(data_path: str | None, *, prompt_col: str = "prompt",
                       chosen_col: str = "chosen", rejected_col: str = "rejected",
                       db: str | None = None, policy: str = "adjudicated") -> TrainingData:
    """Pairs from `data_path` (any import format), else from the store at `db`.

    From the store, a lead's adjudicated decision wins where there is one; the
    rest resolve by majority (policy `adjudicated`), as the app's train form does."""
    if data_path:
        from duelist.engine.ingest import read_pairs

        path = Path(data_path).expanduser()
        if not path.exists():
            raise InputError("no such file", path=str(data_path))
        pairs = read_pairs(path, prompt_col, chosen_col, rejected_col)
        return TrainingData(pairs, str(path), {"pairs": len(pairs)})
    if not db:
        raise InputError("no training data: give --data-path FILE or a project database (--db)")
    if not Path(db).exists():
        raise InputError("project database not found; import and judge comparisons first, or "
                         "give --data-path FILE", path=str(db))
    from duelist.engine.preferences.resolve import resolve_pairs
    from duelist.store import Store

    with Store.open(db) as store:
        resolution = resolve_pairs(store, policy=policy)
    pairs = list(resolution.pairs)
    if not pairs:
        raise InputError("has no judged comparisons with a clear winner to train on yet",
                         path=str(db))
    counts = {"pairs": len(pairs)}
    raw = getattr(resolution, "counts", None)
    if isinstance(raw, dict):
        counts.update({f"store_{k}": v for k, v in raw.items()})
    elif raw is not None and hasattr(raw, "__dataclass_fields__"):
        from dataclasses import asdict

        counts.update({f"store_{k}": v for k, v in asdict(raw).items()})
    return TrainingData(pairs, f"store:{db}", counts)
