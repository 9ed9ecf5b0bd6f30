"""Row <-> dataclass conversion shared by the domain modules."""

from __future__ import annotations

import json
from typing import Any

from duelist.store.records import Annotation, Comparison, ModelRecord, Run, RunMetric


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def loads(value: str | None, default: Any = None) -> Any:
    if value is None or value == "":
        return default
    return json.loads(value)


def comparison(row: dict[str, Any]) -> Comparison:
    return Comparison(
        id=row["id"], hash=row["hash"], prompt=row["prompt"], response_a=row["response_a"],
        response_b=row["response_b"], source=row["source"] or "",
        prompt_messages=loads(row["prompt_messages"]), gold=row["gold"],
        created_at=row["created_at"], meta=loads(row["meta"], {}),
    )


def annotation(row: dict[str, Any]) -> Annotation:
    return Annotation(
        id=row["id"], comparison_id=row["comparison_id"], annotator=row["annotator"],
        choice=row["choice"], shown_swapped=bool(row["shown_swapped"]),
        duration_ms=row["duration_ms"], rationale=row["rationale"], session_id=row["session_id"],
        created_at=row["created_at"], undone=bool(row["undone"]), undone_at=row["undone_at"],
        strength=row.get("strength"),
    )


def run(row: dict[str, Any]) -> Run:
    return Run(
        id=row["id"], name=row["name"], status=row["status"], created_at=row["created_at"],
        config=loads(row["config"], {}), run_dir=row["run_dir"], model_dir=row["model_dir"],
        n_pairs=row["n_pairs"], data_hash=row["data_hash"], pid=row["pid"],
        started_at=row["started_at"], finished_at=row["finished_at"],
        final_metrics=loads(row["final_metrics"], {}), error=row["error"],
    )


def metric(row: dict[str, Any]) -> RunMetric:
    return RunMetric(
        run_id=row["run_id"], step=row["step"], split=row["split"], epoch=row["epoch"],
        loss=row["loss"], accuracy=row["accuracy"], margin=row["margin"], lr=row["lr"],
        pairs_per_s=row["pairs_per_s"], elapsed_s=row["elapsed_s"],
    )


def model(row: dict[str, Any]) -> ModelRecord:
    return ModelRecord(
        id=row["id"], path=row["path"], name=row["name"], created_at=row["created_at"],
        run_id=row["run_id"], base_model=row["base_model"], is_current=bool(row["is_current"]),
        metrics=loads(row["metrics"], {}), aspect=row["aspect"], weight=row["weight"],
    )
