"""find_duplicates: normalise, block, compare, decide, cluster."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import networkx as nx

from realist.dedup.blocking import candidate_pairs
from realist.dedup.explain import reason_for, score_of
from realist.dedup.model import CandidatePair, DedupRecord, DedupResult
from realist.dedup.prefilter import prefilter
from realist.dedup.prepare import Prepared, prepare
from realist.dedup.scoring import (
    DEFAULT_THRESHOLDS,
    Thresholds,
    classify,
    compare,
    gate_of,
    hard_contradiction,
)

__all__ = ["DuplicateIdError", "InvalidRecordError", "UnknownIdError", "find_duplicates"]

Progress = Callable[[int, int], None]


class DuplicateIdError(ValueError):
    """Two records passed to find_duplicates share an id."""


class UnknownIdError(ValueError):
    """new_ids names a record that is not among the records passed to find_duplicates."""


class InvalidRecordError(ValueError):
    """A record's fields are not of the types DedupRecord declares."""


def find_duplicates(
    records: Sequence[DedupRecord],
    *,
    new_ids: Collection[int] | None = None,
    distinct: Collection[tuple[int, int]] = (),
    progress: Progress | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    linked: Collection[tuple[int, int]] = (),
) -> DedupResult:
    """Find duplicate records: certain pairs (merged automatically) and uncertain ones (queued).

    - `new_ids`: incremental mode (a search update). Only pairs with at least one record in
      `new_ids` are produced: the new batch against the records already in the review, and within
      the new batch. Pass every record of the review in `records`.
    - `distinct`: pairs a reviewer marked as different publications. They are never paired again,
      and no certain cluster may join them through other records: the weakest certain links that
      would do so are demoted to uncertain.
    - `progress(done, total)` is called as the work advances (total stays fixed at 2 x records:
      one unit per record normalised, then the comparisons scaled to the same length).
    - `thresholds`: the similarity thresholds of the decision rules (see `Thresholds`).
    - `linked`: in incremental mode, pairs already merged in the review (automatically or by a
      reviewer). They are not returned; they only let `distinct` be honoured across old and new
      links (a new record may not join two clusters a reviewer kept apart).

    Nothing is deleted or changed: the result only links record ids. Clusters are the connected
    components of the certain pairs, each sorted with its lowest id (the canonical, earliest
    imported record) first.
    """
    n = len(records)
    total = 2 * n
    prepared: list[Prepared] = []
    index: dict[int, int] = {}
    step = max(1, n // 100)
    for i, record in enumerate(records):
        if record.id in index:
            raise DuplicateIdError(f"record id {record.id} appears twice in the input")
        index[record.id] = i
        try:
            prepared.append(prepare(record))
        except (TypeError, AttributeError, ValueError) as exc:
            raise InvalidRecordError(
                f"record id {record.id}: a field has an unexpected type or value ({exc})"
            ) from exc
        if progress is not None and (i + 1) % step == 0:
            progress(i + 1, total)
    if progress is not None:
        progress(n, total)

    new_index = None
    if new_ids is not None:
        unknown = sorted(r for r in new_ids if r not in index)
        if unknown:
            raise UnknownIdError(f"new_ids not among the records: {unknown[:10]}")
        new_index = [index[r] for r in new_ids]
    pairs = prefilter(prepared, candidate_pairs(prepared, new_index), gate_of(thresholds))

    blocked = {(min(a, b), max(a, b)) for a, b in distinct}
    found: list[CandidatePair] = []
    m = len(pairs)
    pair_step = max(1, m // 100)
    for k, (i, j) in enumerate(pairs.tolist()):
        p, q = prepared[i], prepared[j]
        a, b = (p.id, q.id) if p.id < q.id else (q.id, p.id)
        if progress is not None and (k + 1) % pair_step == 0:
            progress(n + (n * (k + 1)) // m, total)
        if (a, b) in blocked:
            continue
        c = compare(p, q)
        tier, rule = classify(c, thresholds)
        if tier is None:
            continue
        found.append(CandidatePair(a, b, score_of(c), tier, c.evidence(), reason_for(c, rule)))
    if progress is not None:
        progress(total, total)

    _respect_distinct(found, blocked, DISTINCT_NOTE, linked)
    # Transitivity can chain records that contradict each other (a full paper, a record without
    # pages, the conference abstract): such pairs inside a cluster count as distinct too.
    contradicting = _contradictions_in_clusters(found, prepared, index)
    if contradicting:
        _respect_distinct(found, contradicting, CONTRADICTION_NOTE)
    found.sort(key=lambda x: (x.tier != "certain", -x.score, x.a, x.b))
    graph: nx.Graph[int] = nx.Graph()
    graph.add_edges_from((x.a, x.b) for x in found if x.tier == "certain")
    clusters = sorted(sorted(c) for c in nx.connected_components(graph))
    return DedupResult(pairs=found, clusters=clusters)


DISTINCT_NOTE = "not merged automatically: would join records marked distinct"
CONTRADICTION_NOTE = "not merged automatically: would join records that contradict each other"


def _contradictions_in_clusters(
    pairs: list[CandidatePair], prepared: Sequence[Prepared], index: dict[int, int]
) -> set[tuple[int, int]]:
    """Pairs of records in one certain cluster, not linked directly, whose fields contradict
    (different DOIs, pages, volumes, kinds of item, years far apart)."""
    graph: nx.Graph[int] = nx.Graph()
    direct = set()
    for x in pairs:
        if x.tier == "certain":
            graph.add_edge(x.a, x.b)
            direct.add((x.a, x.b))
    found: set[tuple[int, int]] = set()
    for component in nx.connected_components(graph):
        if len(component) < 3:
            continue
        members = sorted(component)
        for k, a in enumerate(members):
            for b in members[k + 1 :]:
                if (a, b) in direct:
                    continue
                c = compare(prepared[index[a]], prepared[index[b]])
                if hard_contradiction(c) is not None:
                    found.add((a, b))
    return found


def _respect_distinct(
    pairs: list[CandidatePair],
    distinct: set[tuple[int, int]],
    note: str,
    linked: Collection[tuple[int, int]] = (),
) -> None:
    """Demote certain pairs that would chain two records marked distinct into one cluster.

    `linked` pairs are joined first and never undone. Then certain pairs are accepted strongest
    first (Kruskal-style union-find); a pair whose union would put both records of a distinct
    pair in one cluster becomes uncertain instead, so the weakest links give way.
    """
    distinct = {(a, b) for a, b in distinct if a != b}
    if not distinct:
        return
    parent: dict[int, int] = {}
    apart: dict[int, set[int]] = {}  # root -> roots it must never join

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in distinct:
        ra, rb = root(a), root(b)
        apart.setdefault(ra, set()).add(rb)
        apart.setdefault(rb, set()).add(ra)

    def union(ra: int, rb: int) -> None:
        parent[rb] = ra
        moved = apart.pop(rb, set())
        if moved:
            apart.setdefault(ra, set()).update(moved)
            for other in moved:
                peers = apart[other]
                peers.discard(rb)
                peers.add(ra)

    for a, b in linked:
        ra, rb = root(a), root(b)
        if ra != rb:
            union(ra, rb)
    for pair in sorted(
        (x for x in pairs if x.tier == "certain"), key=lambda x: (-x.score, x.a, x.b)
    ):
        ra, rb = root(pair.a), root(pair.b)
        if ra == rb:
            continue
        if rb in apart.get(ra, ()):
            pair.tier = "uncertain"
            pair.reason += f"; {note}"
            continue
        union(ra, rb)
