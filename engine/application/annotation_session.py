"""One annotator's sitting: what is shown, what was judged, undo, and counts.

Kept free of Textual so the rules (true-winner mapping, undo, navigation,
durability) are plain Python that the screen only drives.

Durability and the acknowledgement file
---------------------------------------
`judge()` returns only after `Store.add_annotation` has COMMITted (WAL,
synchronous=FULL). The screen renders the next item after `judge()` returns, so
an item on screen implies the previous judgement is on disk. When the env var
`DUELIST_ACK_FILE` names a file, the new annotation id is appended to it as
`"<id>\\n"` (flush + fsync) right after that commit: every id in that file must
be in the database even after `kill -9`, which the reliability tests check.

Position randomization
----------------------
`swapped(cid)` is a hash of (seed, annotator, comparison id): the same annotator
sees the same layout again, different annotators see different ones, and
nothing depends on the order items were served. The stored `choice` is always the
true winner in the store's orientation; `shown_swapped` records what was on screen.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from typing import Literal

from duelist.engine.application.queue_orders import make_order
from duelist.engine.application.repeats import Repeat, RepeatPlanner
from duelist.engine.safe_text import clean
from duelist.store import Annotation, Comparison, NewAnnotation, Store

Pick = Literal["left", "right", "tie", "both_bad", "skip"]
ACK_ENV = "DUELIST_ACK_FILE"


def is_swapped(seed: int, annotator: str, comparison_id: int) -> bool:
    """Reproducible per (seed, annotator, item): True puts stored B on the left."""
    digest = hashlib.blake2b(f"{seed}\x1f{annotator}\x1f{comparison_id}".encode(),
                             digest_size=8).digest()
    return bool(digest[0] & 1)


def true_choice(pick: Pick, swapped: bool) -> str:
    """Map what the annotator picked on screen to the stored orientation."""
    if pick == "left":
        return "b" if swapped else "a"
    if pick == "right":
        return "a" if swapped else "b"
    return pick


def shown_choice(choice: str, swapped: bool) -> str:
    """The inverse of `true_choice`, for labels: 'a' -> the side it was shown on."""
    if choice in ("a", "b"):
        left = "b" if swapped else "a"
        return "A (left)" if choice == left else "B (right)"
    return {"tie": "tie", "both_bad": "both bad", "skip": "skipped"}.get(choice, choice)


@dataclass
class Progress:
    """Done/total for this annotator and for everyone. None while still counting."""

    total: int | None = None
    mine: int | None = None
    overall: int | None = None


@dataclass
class Session:
    store: Store
    annotator: str
    order: str = "sequential"
    seed: int = 0
    randomize: bool = True
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    overlap: int | None = None  # shared queue quota (--overlap); None: every item for everyone
    gold_rate: float = 0.0  # share of gold items mixed in (--gold-rate)
    repeat_rate: float = 0.0  # share of self-consistency repeats (--repeat-rate, engine/application/repeats.py)

    def __post_init__(self) -> None:
        self.queue, self.notice = make_order(self.order, self.store, self.annotator, self.seed,
                                             overlap=self.overlap, gold_rate=self.gold_rate)
        self.history: list[int] = []  # comparison ids in the order shown
        self.cursor = -1
        self._items: dict[int, Comparison] = {}
        self.judged: dict[int, Annotation] = {}  # this session's live judgement per item
        self.undo_stack: list[int] = []  # annotation ids, newest last
        self.passed: set[int] = set()  # shown, left unjudged with `n`
        self.pending_note: dict[int, str] = {}
        self.progress = Progress()
        self.changes = 0  # judgements/undos that moved the counts (see apply_progress)
        # Judgements and repeats COMMITted so far: a caller retrying `judge` after a
        # lock error checks it did not land first (tui/screens/store_wait.py).
        self.saved = 0
        self._ack_path = os.environ.get(ACK_ENV) or None
        self.repeats = RepeatPlanner(self.store, self.annotator, self.repeat_rate, self.seed)
        self.repeat_at: dict[int, Repeat] = {}  # history index -> the repeat shown there
        self.repeated: dict[int, int] = {}  # history index -> the repeat row recorded there

    # ---- what is on screen -------------------------------------------------
    @property
    def current(self) -> Comparison | None:
        if 0 <= self.cursor < len(self.history):
            return self._items[self.history[self.cursor]]
        return None

    def swapped(self, comparison_id: int) -> bool:
        rep = self.repeat_at.get(self.cursor)
        if rep is not None and rep.comparison_id == comparison_id:
            return rep.swapped  # a repeat: the other layout from the first showing
        return self.randomize and is_swapped(self.seed, self.annotator, comparison_id)

    @property
    def is_repeat(self) -> bool:
        return self.cursor in self.repeat_at

    def start(self) -> Comparison | None:
        """Load the first item (cheap: one indexed query, no counting)."""
        return self._fetch_next()

    def _fetch_next(self) -> Comparison | None:
        if self.history and self.repeat_rate > 0:
            rep = self.repeats.next_repeat(self.history)
            item = self.store.get_comparison(rep.comparison_id) if rep else None
            if rep is not None and item is not None:
                self._items[item.id] = item
                self.history.append(item.id)
                self.cursor = len(self.history) - 1
                self.repeat_at[self.cursor] = rep
                return item
        new_ids = [cid for i, cid in enumerate(self.history) if i not in self.repeat_at]
        after = new_ids[-1] if new_ids else 0
        exclude = self.passed | {cid for cid in self.history if cid not in self.judged}
        item = self.queue.next(after_id=after, exclude=exclude)
        if item is None:
            self.cursor = len(self.history)  # past the end: "all done"
            return None
        self._items[item.id] = item
        self.history.append(item.id)
        self.cursor = len(self.history) - 1
        return item

    def next(self) -> Comparison | None:
        """Move on without judging (the item stays unjudged and is not re-served now)."""
        cur = self.current
        if cur is not None and cur.id not in self.judged:
            self.passed.add(cur.id)
        if self.cursor < len(self.history) - 1:
            self.cursor += 1
            return self.current
        return self._fetch_next()

    def jump_to(self, comparison_id: int) -> Comparison | None:
        """Show `comparison_id` next (the `/` search). An earlier live judgement of
        it by this annotator counts as this session's, so judging again replaces it."""
        item = self.store.get_comparison(comparison_id)
        if item is None:
            return None
        cur = self.current
        if cur is not None and cur.id not in self.judged:
            self.passed.add(cur.id)
        mine = self.store.annotations_for(annotator=self.annotator, comparison_id=item.id)
        if mine and item.id not in self.judged:
            self.judged[item.id] = mine[-1]
        self._items[item.id] = item
        self.history.append(item.id)
        self.cursor = len(self.history) - 1
        return item

    def prev(self) -> Comparison | None:
        """Step back through what this session has shown (judged items show their choice)."""
        if self.cursor > 0:
            cur = self.current
            if cur is not None and cur.id not in self.judged:
                self.passed.add(cur.id)
            self.cursor -= 1
        return self.current

    # ---- judging -----------------------------------------------------------
    def judge(self, pick: Pick, duration_ms: int, strength: int | None = None) -> Annotation:
        """Record a judgement of the current item, durably, then advance.

        `strength` (1 slightly, 2 clearly, 3 much better) grades a left/right pick.

        Re-judging an item (after `p` or `u`) marks the old row undone and adds a
        new one, so the store holds one live judgement per annotator and item.
        """
        item = self.current
        if item is None:
            raise RuntimeError("no comparison on screen")
        swapped = self.swapped(item.id)
        if self.is_repeat:
            return self._judge_repeat(item, pick, swapped, duration_ms)
        old = self.judged.get(item.id)
        if old is not None:
            self.store.undo_annotation(old.id)
            if old.id in self.undo_stack:
                self.undo_stack.remove(old.id)
        others_before = self._other_live(item.id)
        ann = self.store.add_annotation(NewAnnotation(
            comparison_id=item.id, annotator=self.annotator,
            choice=true_choice(pick, swapped),  # type: ignore[arg-type]
            shown_swapped=swapped, duration_ms=max(1, int(duration_ms)),
            rationale=self.pending_note.pop(item.id, None) or (old.rationale if old else None),
            session_id=self.session_id,
            strength=strength if pick in ("left", "right") else None))
        self._ack(ann.id)  # after COMMIT: add_annotation has returned
        self.saved += 1
        self.judged[item.id] = ann
        self.undo_stack.append(ann.id)
        self.passed.discard(item.id)
        if old is None:
            self._bump(+1, others_before == 0)
        if self.cursor < len(self.history) - 1:
            self.cursor += 1
        else:
            self._fetch_next()
        return ann

    def _judge_repeat(self, item: Comparison, pick: Pick, swapped: bool,
                      duration_ms: int) -> Annotation:
        """Record a repeat in the `repeats` table (never in annotations), then advance.
        Returns the original judgement it repeats."""
        rep = self.repeat_at[self.cursor]
        self.repeated[self.cursor] = self.store.add_repeat(
            rep.original_id, true_choice(pick, swapped), swapped, max(1, int(duration_ms)),
            self.session_id)
        self.saved += 1
        if self.cursor < len(self.history) - 1:
            self.cursor += 1
        else:
            self._fetch_next()
        return self.store.get_annotation(rep.original_id)  # type: ignore[return-value]

    def undo(self) -> Annotation | None:
        """Undo this session's newest judgement and go back to that item."""
        if not self.undo_stack:
            return None
        ann_id = self.undo_stack[-1]
        undone = self.store.undo_annotation(ann_id)
        self.undo_stack.pop()  # only once the undo is written: a lock error may retry it
        ann = undone or self.store.get_annotation(ann_id)
        if ann is None:
            return None
        self.judged.pop(ann.comparison_id, None)
        hold = getattr(self.queue, "hold", None)
        if hold is not None:  # shared queue: keep the reopened item ours, not the next person's
            hold(ann.comparison_id)
        if undone is not None:
            self._bump(-1, self._other_live(ann.comparison_id) == 0)
        if ann.comparison_id not in self._items:
            item = self.store.get_comparison(ann.comparison_id)
            if item is None:
                return ann
            self._items[item.id] = item
        firsts = [i for i, cid in enumerate(self.history)
                  if cid == ann.comparison_id and i not in self.repeat_at]
        if firsts:
            self.cursor = firsts[-1]
        else:
            self.history.append(ann.comparison_id)
            self.cursor = len(self.history) - 1
        if ann.rationale:
            self.pending_note[ann.comparison_id] = ann.rationale
        return ann

    def add_note(self, text: str) -> Annotation | int | None:
        """Attach a rationale.

        On an item already judged in this session: stored at once on that
        judgement (returns it). On an unjudged item: kept and saved together with
        its judgement (returns the comparison id). With nothing on screen (queue
        finished): stored on the last judgement of the session.
        """
        text = clean(text).strip()
        item = self.current
        if item is not None and item.id in self.judged:
            ann = self.judged[item.id]
            self.store.set_rationale(ann.id, text)
            self.judged[item.id] = self.store.get_annotation(ann.id) or ann
            return self.judged[item.id]
        if item is not None:
            if text:
                self.pending_note[item.id] = text
            else:
                self.pending_note.pop(item.id, None)
            return item.id
        if self.undo_stack:
            self.store.set_rationale(self.undo_stack[-1], text)
            return self.store.get_annotation(self.undo_stack[-1])
        return None

    def note_for_current(self) -> str:
        item = self.current
        if item is None or self.is_repeat:  # a repeat must not show the first answer's note
            return ""
        if item.id in self.judged:
            return self.judged[item.id].rationale or ""
        return self.pending_note.get(item.id, "")

    # ---- counts ------------------------------------------------------------
    def load_progress(self, store: Store | None = None) -> Progress:
        """Count totals and apply them (synchronous; tests and small stores)."""
        changes = self.changes
        counted = self.count_progress(store)
        self.apply_progress(counted, changes)
        return self.progress

    def count_progress(self, store: Store | None = None) -> Progress:
        """Count totals without touching session state: the slow part on a big
        store, safe to run off the UI thread with its own read connection."""
        s = store or self.store
        return Progress(total=s.count_comparisons(), mine=s.count_done(self.annotator),
                        overall=s.count_done())

    def apply_progress(self, counted: Progress, changes_at_start: int) -> bool:
        """Adopt counts taken while `changes` was `changes_at_start`.

        A judgement or undo during the count may or may not be in the numbers, so
        such a count is refused (returns False) and the caller counts again.
        Afterwards every change updates the numbers incrementally (`_bump`).
        """
        if self.changes != changes_at_start:
            return False
        self.progress = counted
        return True

    def _other_live(self, comparison_id: int) -> int:
        return len(self.store.annotations_for(comparison_id=comparison_id))

    def _bump(self, delta: int, overall_changes: bool) -> None:
        self.changes += 1
        p = self.progress
        if p.mine is not None:
            p.mine += delta
        if p.overall is not None and overall_changes:
            p.overall += delta

    def _ack(self, annotation_id: int) -> None:
        if not self._ack_path:
            return
        with open(self._ack_path, "a", encoding="utf-8") as fh:
            fh.write(f"{annotation_id}\n")
            fh.flush()
            os.fsync(fh.fileno())
