"""Scripted judge for the demo's 60 comparisons, following assets/guidelines.md.

The ranking below was made by reading all 20 prompts x 3 responses against the
guidelines' order (correct and safe > answers the question > complete > clear > tone):
for every prompt response 0 is correct, complete and clear; response 2 is short but
correct; response 1 is wrong or unsafe (e.g. "take as much as you need of both").
Three prompts have BOTH weaker responses wrong, judged "both bad" (guidelines: "neither
is acceptable (both wrong ...)"):
  0 palindrome: [1] ignores case/punctuation, [2] indexes s[len(s)] (IndexError)
  8 linked list: [1] returns a Python list, [2] loops forever (head = head.next after relinking)
 16 bash: [1] is not recursive, [2] counts files, not lines
Prompt 12 ([1] claims `let y = x` moves an i32, which is Copy: wrong) and 15 ([1] is
correct but jargon for a non-programmer) still rank 2 over 1.
"""
import json
import sys
from pathlib import Path

from duelist.store import Store
from duelist.store.records import NewAnnotation

BOTH_BAD_12 = {0, 8, 16}
RANK = [0, 2, 1]  # best first, for every prompt


def verdict(prompt_idx: int, i: int, j: int) -> str:
    if {i, j} == {1, 2} and prompt_idx in BOTH_BAD_12:
        return "both_bad"
    return "a" if RANK.index(i) < RANK.index(j) else "b"


demo = [json.loads(x) for x in Path(sys.argv[2]).read_text().splitlines()]
index = {(r["prompt"], resp): (k, n) for k, r in enumerate(demo) for n, resp in enumerate(r["responses"])}
counts = {}
with Store.open(sys.argv[1]) as store:
    comps = list(store.iter_comparisons())
    for c in comps:
        pa, ia = index[(c.prompt, c.response_a)]
        pb, ib = index[(c.prompt, c.response_b)]
        assert pa == pb
        v = verdict(pa, ia, ib)
        counts[v] = counts.get(v, 0) + 1
        store.add_annotation(NewAnnotation(comparison_id=c.id, annotator="scripted", choice=v,
                                           duration_ms=1000))
print(len(comps), "judged:", counts)
