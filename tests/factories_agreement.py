"""Builders for the agreement check: a review where a first reviewer has screened records (with
reasons, notes and tags that must stay hidden from a blind second reviewer), and a drawn sample.

Nothing here asserts anything.
"""

from __future__ import annotations

from pathlib import Path

from realist.services import samples
from realist.services import screening as sc
from realist.services.context import Workspace
from realist.services.samples import SampleInfo
from tests.conftest import migrated_sqlite
from tests.factories_screening import add_batch, as_reviewer, screening_workspace

TA, FT = "title_abstract", "full_text"

#: Text the first reviewer writes; none of it may reach a blind second reviewer.
SECRET_NOTE = "first-reviewer-secret-note"


def first_decision(i: int) -> str:
    """The first reviewer's decision on the i-th record (0-based): every fifth is an include,
    every seventh a maybe, the rest excludes."""
    if i % 5 == 0:
        return "include"
    if i % 7 == 3:
        return "maybe"
    return "exclude"


def screened_review(path: Path, n: int = 40, first: str = "LLJ") -> tuple[Workspace, list[int]]:
    """A review (the bundled review.yaml) with `n` records in two sources, all decided by
    `first` at title/abstract through the services (audit entries included): reasons on
    exclusions, a secret note on each, PROGRESS-Plus and focus tags on includes. Returns the
    workspace acting as the lead LLJ and the record ids."""
    ws = screening_workspace(migrated_sqlite(path))
    ids = add_batch(ws, n - n // 4, prefix="MED-") + add_batch(
        ws, n // 4, source_db="Embase", prefix="EMB-", seed=2
    )
    a = ws if first == "LLJ" else as_reviewer(ws, first)
    for i, rid in enumerate(ids):
        dec = first_decision(i)
        sc.decide(
            a,
            rid,
            TA,
            dec,
            reason="not_qi" if dec == "exclude" else None,
            note=f"{SECRET_NOTE} {i}",
        )
        if dec == "include":
            sc.toggle_tag(a, rid, "race", TA)
            sc.toggle_tag(a, rid, "gap" if i % 2 else "targeted", TA)
    return ws, ids


def draw_for(ws: Workspace, second: str = "JF", seed: int = 11, **options: object) -> SampleInfo:
    """Draw a 25% sample for `second` as the lead (more than 10%, so small tests hold a few)."""
    fraction = options.pop("fraction", 0.25)
    return samples.draw(ws, second, fraction, seed, **options)  # type: ignore[arg-type]


def screen_sample(b: Workspace, info: SampleInfo, decide: dict[int, str] | None = None) -> None:
    """The second reviewer decides every record of the sample (exclude unless `decide` says)."""
    for rid in info.record_ids:
        sc.decide(b, rid, info.stage, (decide or {}).get(rid, "exclude"), source="cli")


def pairs_for(table: list[list[int]], categories: list[str]) -> list[tuple[str, str]]:
    """(A, B) decision pairs making up `table` (rows A, columns B), row by row."""
    return [
        (categories[i], categories[j])
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        for _ in range(count)
    ]


def compared_sample(
    ws: Workspace,
    table: list[list[int]],
    categories: list[str] | None = None,
    *,
    first: str = "LLJ",
    second: str = "JF",
    stage: str = TA,
) -> tuple[SampleInfo, list[int]]:
    """Records whose decisions by `first` and `second` make up `table`, all in one sample
    (fraction 1) whose comparison is open. Returns the sample and the record ids in pair order."""
    pairs = pairs_for(table, categories or ["include", "exclude", "maybe"][: len(table)])
    ids = add_batch(ws, len(pairs), seed=len(pairs))
    a = as_reviewer(ws, first)
    for rid, (dec, _) in zip(ids, pairs, strict=True):
        sc.decide(a, rid, stage, dec, reason="not_qi" if stage == FT and dec == "exclude" else None)
    info = samples.draw(ws, second, 1.0, 1, first=first, stage=stage)
    b = as_reviewer(ws, second)
    for rid, (_, dec) in zip(ids, pairs, strict=True):
        sc.decide(b, rid, stage, dec, reason="lmic" if stage == FT and dec == "exclude" else None)
    return samples.open_comparison(ws, info.id), ids
