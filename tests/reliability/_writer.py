"""Child process for the concurrency test: one annotator writing judgements.

Run as `python _writer.py DB WHO N GO_FILE [bulk]`. It opens the store (all
children open a brand-new file at the same moment), touches GO_FILE.ready.WHO,
waits for GO_FILE so every
writer starts together, then records N judgements through the real
`Store.add_annotation`. It never lets an exception escape silently: every error
that reaches it is counted and reported in the JSON line it prints, because an
error reaching this code is exactly an error that would reach a user.
"""

from __future__ import annotations

import json
import os
import sys
import time

from duelist.store import NewAnnotation, NewComparison, Store

CHOICES = ("a", "b", "tie", "both_bad", "skip")


def main() -> int:
    db, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    bulk = len(sys.argv) > 5 and sys.argv[5] == "bulk"
    errors: list[str] = []
    ids: list[int] = []
    store = Store.open(db)
    # Every writer inserts the same comparison: dedup by hash gives one row.
    comparison_id = store.add_comparison(NewComparison("shared prompt", "left", "right")).id
    open(f"{go}.ready.{who}", "w").close()
    while not os.path.exists(go):
        time.sleep(0.002)
    start = time.time()
    t0 = time.perf_counter()
    for i in range(n):
        try:
            if bulk:  # a big import holding the write lock while annotators write
                store.insert_comparisons(
                    NewComparison(f"{who} bulk {i}", f"a{j}", f"b{j}") for j in range(4000))
            else:
                a = store.add_annotation(NewAnnotation(
                    comparison_id, who, CHOICES[i % len(CHOICES)], session_id=f"{who}:{i}"))
                ids.append(a.id)
        except Exception as exc:  # counted, never hidden
            errors.append(f"{type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - t0
    end = time.time()
    store.close()
    print(json.dumps({"who": who, "ids": ids, "errors": errors, "start": start,
                      "end": end, "elapsed": elapsed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
