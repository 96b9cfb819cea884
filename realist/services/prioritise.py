"""Prioritised screening over a review: relevance order for the queue, and the stopping aid.

The model (`realist.ranking`) is pure; this module feeds it the review's records and decisions.

* The corpus is every record the acting reviewer screens at a stage (the queue's records), as
  title + abstract. Vectorising it is the costly step (tens of seconds at 100,000 records), so it
  is cached per database, review, stage and content, and built in a child process when large, so
  that a screen building it in a worker thread keeps answering keys.
* The model learns from the final decisions the acting reviewer may see at that stage (their own
  and, in a shared review, their colleagues', never what blinding hides): include and maybe are
  relevant, exclude is not; unresolved conflicts are left out.
* Ranking only orders: every record of the queue stays in it. The agreement sample is drawn by
  `realist.services.samples` at random and never reads an order.

The stopping aid follows the review's discovery curve: records in the order they were first
decided, counting those whose final decision keeps them (include or maybe).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from realist.db.models import Record, ScreeningDecision
from realist.domain import Decision, Stage
from realist.ranking import IncrementalRanker, StoppingEstimate, record_text, stopping_estimate
from realist.ranking.child import vectorise, vectorise_in_child
from realist.ranking.plot import text_plot
from realist.services import screening, visibility
from realist.services.context import Workspace

RELEVANT = frozenset({Decision.INCLUDE.value, Decision.MAYBE.value})
# Corpora at least this large are vectorised in a child process (see `build_corpus`).
PROCESS_THRESHOLD = 5_000
_CACHE_SIZE = 4


@dataclass(frozen=True)
class CorpusSource:
    """The texts to rank: the queue's records at one stage, in file order."""

    stage: Stage
    ids: tuple[int, ...]
    texts: tuple[str, ...]
    key: str  # fingerprint of database, review, stage, ids and texts


@dataclass
class Corpus:
    """A vectorised corpus and its model, refitted as decisions arrive."""

    source: CorpusSource
    model: IncrementalRanker
    index: dict[int, int]
    # The model is refitted in place; two callers sharing a cached corpus (the TUI's worker and
    # a stopping dialog, say) must not interleave a fit and a scoring.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def ids(self) -> tuple[int, ...]:
        return self.source.ids


@dataclass(frozen=True)
class Ranking:
    """The outcome of one refit: the order to screen in and how it was reached."""

    order: list[int]  # every id of the queue, see `relevance_order`
    scores: dict[int, float]
    trained: bool  # False: no relevant record decided yet, so file order is kept
    relevant: int  # labelled relevant records the model learned from
    irrelevant: int


def _queue_ids(s: Session, ws: Workspace, stage: Stage) -> list[int]:
    eligible = screening.eligible_records(s, ws, stage)
    scope = visibility.queue_scope(s, ws, stage)
    if scope is not None:
        eligible = eligible.where(Record.id.in_(scope.scalar_subquery()))
    return list(s.scalars(eligible.order_by(Record.batch_id, Record.position, Record.id)))


def corpus_source(ws: Workspace, stage: Stage | str) -> CorpusSource:
    """Read the records the acting reviewer screens at `stage` (file order) and their texts."""
    st = screening.parse_stage(stage)
    with ws.store.read() as s:
        ids = _queue_ids(s, ws, st)
        texts: dict[int, str] = {}
        # Chunked so that a large review does not put 100,000 parameters in one statement.
        for start in range(0, len(ids), 5_000):
            chunk = ids[start : start + 5_000]
            for rid, title, abstract in s.execute(
                select(Record.id, Record.title, Record.abstract).where(Record.id.in_(chunk))
            ):
                texts[rid] = record_text(title, abstract)
    ordered = tuple(texts.get(i, "") for i in ids)
    digest = hashlib.sha1(f"{ws.store.url}|{ws.review_id}|{st.value}".encode())
    for rid, text in zip(ids, ordered, strict=True):
        digest.update(f"{rid}\x00{text}\x01".encode())
    return CorpusSource(st, tuple(ids), ordered, digest.hexdigest())


_cache: OrderedDict[str, Corpus] = OrderedDict()
_cache_lock = threading.Lock()


def cached_corpus(source: CorpusSource) -> Corpus | None:
    """The corpus built earlier from exactly this source, if still held."""
    with _cache_lock:
        hit = _cache.get(source.key)
        if hit is not None:
            _cache.move_to_end(source.key)
        return hit


def build_corpus(source: CorpusSource, *, in_process: bool | None = None) -> Corpus:
    """Vectorise `source` (or take it from the cache).

    Large corpora are vectorised in a child process: tokenising holds the interpreter lock for
    the whole build, which would make the screen that waits for it stutter. `in_process` forces
    one way or the other (default: by `PROCESS_THRESHOLD`).
    """
    hit = cached_corpus(source)
    if hit is not None:
        return hit
    use_child = len(source.texts) >= PROCESS_THRESHOLD if in_process is None else not in_process
    model = vectorise_in_child(source.texts) if use_child else vectorise(source.texts)
    corpus = Corpus(source, model, {rid: i for i, rid in enumerate(source.ids)})
    with _cache_lock:
        _cache[source.key] = corpus
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return corpus


def clear_cache() -> None:
    """Forget every cached corpus (tests; after a bulk import the key changes anyway)."""
    with _cache_lock:
        _cache.clear()


def training_labels(ws: Workspace, stage: Stage | str) -> dict[int, int]:
    """record id -> 1 (include or maybe) / 0 (exclude): the final decisions the acting reviewer
    may see at `stage`. Unresolved conflicts are left out."""
    st = screening.parse_stage(stage)
    with ws.store.read() as s:
        fd = screening.final_decisions(s, ws, st)
        rows = s.execute(select(fd.c.record_id, fd.c.decision)).all()
    return {
        rid: int(dec in RELEVANT)
        for rid, dec in rows
        if dec in RELEVANT or dec == Decision.EXCLUDE.value
    }


def relevance_order(
    ids: Sequence[int],
    scores: Sequence[float] | np.ndarray[Any, Any],
    done: set[int],
    current: int | None = None,
) -> list[int]:
    """The queue in relevance order: records already dealt with first (in `ids` order), then the
    `current` record if still open, then the open records best first (ties in `ids` order).

    Putting the current record at the head of the open ones means "next" after deciding it is the
    best-scored record left, wherever the current one now ranks. Every id appears exactly once.
    """
    if len(ids) != len(scores):
        raise ValueError(f"relevance_order: {len(ids)} ids but {len(scores)} scores")
    # numpy, not a Python sort of tuples: this runs in the TUI's worker thread at every refit,
    # and 100,000 Python tuples would hold the interpreter lock the screen needs for ~150 ms.
    id_arr = np.asarray(ids, dtype=np.int64)
    score_arr = np.asarray(scores, dtype=np.float64)
    done_arr = np.fromiter(done, dtype=np.int64, count=len(done))
    is_done = np.isin(id_arr, done_arr)
    waiting = ~is_done
    head: list[int] = []
    if current is not None:
        at_current = id_arr == current
        if np.any(at_current & waiting):
            head = [current]
            waiting &= ~at_current
    open_pos = np.flatnonzero(waiting)
    # stable: equal scores keep their `ids` order
    best_first = open_pos[np.argsort(-score_arr[open_pos], kind="stable")]
    first: list[int] = id_arr[is_done].tolist()
    rest: list[int] = id_arr[best_first].tolist()
    return first + head + rest


def rank(corpus: Corpus, labels: dict[int, int], done: set[int] | None = None,
         current: int | None = None) -> Ranking:  # fmt: skip
    """Refit on `labels` (record id -> 1/0; ids outside the corpus are ignored) and order the
    corpus. `done` (default: the labelled ids) are the records no longer waiting."""
    idx = [corpus.index[r] for r in labels if r in corpus.index]
    ys = [labels[corpus.source.ids[i]] for i in idx]
    with corpus.lock:
        trained = corpus.model.fit(idx, ys)
        scores = corpus.model.scores()
    ids = corpus.source.ids
    finished = set(labels) if done is None else done
    order = relevance_order(ids, scores, finished, current)
    n_rel = sum(ys)
    return Ranking(
        order,
        dict(zip(ids, scores.tolist(), strict=True)),
        trained,
        n_rel,
        len(ys) - n_rel,
    )


def explain(corpus: Corpus, record_id: int, top: int = 8) -> list[tuple[str, float]]:
    """The terms of a record that pushed its score up most (empty before the first include)."""
    i = corpus.index.get(record_id)
    if i is None:
        return []
    with corpus.lock:
        return corpus.model.explain(i, top)


def _relevance_ordering(
    s: Session, ws: Workspace, stage: Stage, ids: list[int], seed: int | None
) -> list[int]:
    """The 'relevance' queue order, computed at once (the CLI; the TUI reorders in a worker)."""
    corpus = build_corpus(corpus_source(ws, stage))
    labels = training_labels(ws, stage)
    actor = ws.require_actor()
    d = ScreeningDecision
    mine = set(
        s.scalars(
            select(d.record_id).where(
                d.reviewer_id == actor.id,
                d.stage == stage.value,
                d.is_current,
                d.review_id == ws.review_id,
            )
        )
    )
    order = rank(corpus, labels, done=mine).order
    wanted = set(ids)
    # The queue's ids and the corpus agree unless something changed in between: keep the
    # queue's records, ranked ones first, any newcomer after them in file order.
    ranked = [i for i in order if i in wanted]
    seen = set(ranked)
    return ranked + [i for i in ids if i not in seen]


screening.register_ordering("relevance", _relevance_ordering)


# --------------------------------------------------------------------------------------------
# The stopping aid


@dataclass(frozen=True)
class StoppingReport:
    """The discovery curve of a stage and what it says about the includes left."""

    stage: Stage
    curve: list[int]  # curve[i]: records kept (include/maybe) among the first i + 1 screened
    n_total: int  # records to screen at the stage
    estimate: StoppingEstimate

    def plot(self, width: int = 60, height: int = 12) -> str:
        """The curve as text, with the random-order diagonal to the estimated total."""
        expected = None
        if self.estimate.remaining == self.estimate.remaining:  # not NaN
            expected = self.estimate.found + self.estimate.remaining
        return text_plot(self.curve, self.n_total, width=width, height=height,
                         expected_total=expected)  # fmt: skip

    def advice(self) -> str:
        """What the figures mean, in a sentence; the tool never stops screening by itself."""
        e = self.estimate
        if e.screened == 0:
            return "Nothing screened yet: no estimate."
        if e.unscreened == 0:
            return "Every record at this stage is screened."
        if e.target_reached:
            return (
                f"The test rejects recall below {e.target_recall:.0%} at {e.confidence:.0%} "
                "confidence: stopping now is defensible if the team agrees (screening goes on "
                "until you stop it)."
            )
        return (
            f"Recall below {e.target_recall:.0%} cannot be ruled out yet "
            f"(p = {e.p_below_target:.3f}); keep screening."
        )


def discovery_curve(ws: Workspace, stage: Stage | str) -> tuple[list[int], int]:
    """(curve, n_total): records in the order first decided (visible decisions at `stage`),
    each counted when its final decision is include or maybe, and the records to screen."""
    st = screening.parse_stage(stage)
    d = ScreeningDecision
    with ws.store.read() as s:
        eligible = screening.eligible_records(s, ws, st)
        n_total = int(s.scalar(select(func.count()).select_from(eligible.subquery())) or 0)
        first = (
            select(
                d.record_id, func.min(d.created_at).label("first_at"), func.min(d.id).label("fid")
            )
            .where(
                d.review_id == ws.review_id,
                d.stage == st.value,
                visibility.decision_visibility(s, ws, d),
                d.record_id.in_(eligible.scalar_subquery()),
            )
            .group_by(d.record_id)
            .subquery()
        )
        fd = screening.final_decisions(s, ws, st)
        rows = s.execute(
            select(first.c.record_id, fd.c.decision)
            .join(fd, fd.c.record_id == first.c.record_id)
            .order_by(first.c.first_at, first.c.fid)
        ).all()
    curve: list[int] = []
    found = 0
    for _, decision in rows:
        found += decision in RELEVANT
        curve.append(found)
    return curve, max(n_total, len(curve))


def stopping_report(
    ws: Workspace,
    stage: Stage | str = Stage.TITLE_ABSTRACT,
    *,
    target_recall: float = 0.95,
    confidence: float = 0.95,
) -> StoppingReport:
    """The stopping aid for `stage`: discovery curve, records since the last include, and the
    estimated includes remaining with its interval (`realist.ranking.stopping`)."""
    st = screening.parse_stage(stage)
    curve, n_total = discovery_curve(ws, st)
    est = stopping_estimate(curve, n_total, target_recall=target_recall, confidence=confidence)
    return StoppingReport(st, curve, n_total, est)
