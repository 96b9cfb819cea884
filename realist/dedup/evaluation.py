"""Labelled de-duplication sets and accuracy figures.

The layout is the bib-dedupe benchmark one: `records_pre_merged.csv` (one row per record: `ID`
plus bibliographic fields) and `merged_record_ids.csv` (one row per group of duplicates, IDs joined
by ";"; a record in no group is unique).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from realist.dedup.model import DedupRecord, DedupResult
from realist.dedup.normalize import normalize_doi, normalize_year

__all__ = ["Accuracy", "LabelledSet", "LabelledSetError", "evaluate", "load_labelled_set"]


class LabelledSetError(ValueError):
    """A labelled set is missing a file or a column, or refers to unknown ids."""


@dataclass
class LabelledSet:
    """Records (ids numbered from 1 in file order) and the true duplicate groups."""

    name: str
    records: list[DedupRecord]
    groups: list[list[int]]
    source_ids: dict[int, str]

    @property
    def removable(self) -> int:
        """Records that a perfect tool would remove: sum of (group size - 1)."""
        return sum(len(g) - 1 for g in self.groups)


def _first(row: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if value is not None and value.strip() and value.strip().lower() not in {"nan", "na"}:
            return value.strip()
    return None


def load_labelled_set(folder: Path) -> LabelledSet:
    """Read a labelled set folder; fields are mapped from BibTeX-style column names."""
    records_csv = folder / "records_pre_merged.csv"
    groups_csv = folder / "merged_record_ids.csv"
    for f in (records_csv, groups_csv):
        if not f.is_file():
            raise LabelledSetError(f"{f}: file not found")
    records: list[DedupRecord] = []
    by_source: dict[str, int] = {}
    with records_csv.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "ID" not in reader.fieldnames:
            raise LabelledSetError(f"{records_csv}: no ID column")
        for line_no, row in enumerate(reader, start=2):
            source = row["ID"]
            if source in by_source:
                raise LabelledSetError(f"{records_csv}, line {line_no}: duplicate ID {source!r}")
            rid = len(records) + 1
            by_source[source] = rid
            # A DOI sometimes sits in the note or url field instead.
            doi = _first(row, "doi") or next(
                (v for f in ("note", "url") if normalize_doi(v := _first(row, f) or "")), None
            )
            records.append(
                DedupRecord(
                    id=rid,
                    title=_first(row, "title"),
                    authors=_first(row, "author", "authors"),
                    year=normalize_year(_first(row, "year")),
                    journal=_first(row, "journal", "booktitle", "container_title"),
                    volume=_first(row, "volume"),
                    issue=_first(row, "number", "issue"),
                    pages=_first(row, "pages"),
                    doi=doi,
                    pmid=_first(row, "pmid", "pubmedID"),
                    abstract=_first(row, "abstract"),
                )
            )
    groups: list[list[int]] = []
    with groups_csv.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "merged_ids" not in reader.fieldnames:
            raise LabelledSetError(f"{groups_csv}: no merged_ids column")
        for line_no, row in enumerate(reader, start=2):
            ids = [s.strip() for s in row["merged_ids"].split(";") if s.strip()]
            unknown = [s for s in ids if s not in by_source]
            if unknown:
                raise LabelledSetError(f"{groups_csv}, line {line_no}: unknown IDs {unknown}")
            groups.append(sorted(by_source[s] for s in ids))
    source_ids = {v: k for k, v in by_source.items()}
    return LabelledSet(folder.name, records, groups, source_ids)


@dataclass
class Accuracy:
    """How a result compares with the truth."""

    removable: int  # in truth
    removed_correctly: int
    false_positives: int  # records merged into a cluster holding another true group
    uncertain_pairs: int
    uncertain_true: int  # uncertain pairs that are true duplicates
    missed: int  # removable records linked by no pair at all (neither merged nor queued)

    @property
    def sensitivity(self) -> float:
        """Records removed correctly / records removable in truth."""
        return self.removed_correctly / self.removable if self.removable else 1.0

    def summary(self) -> str:
        """One line for reports."""
        return (
            f"sensitivity {self.sensitivity:.3f} ({self.removed_correctly}/{self.removable}), "
            f"false positives {self.false_positives}, uncertain pairs {self.uncertain_pairs} "
            f"({self.uncertain_true} true)"
        )


def evaluate_clusters(
    clusters: Iterable[Sequence[int]],
    groups: Sequence[Sequence[int]],
) -> tuple[int, int]:
    """(records removed correctly, false-positive records) for predicted clusters.

    Within a predicted cluster the records of each true group count as correctly removed except
    one; every record that sits in a cluster with another true group's records beyond the largest
    group counts as a false positive (the cluster merged distinct publications).
    """
    group_of: dict[int, int] = {}
    for gi, g in enumerate(groups):
        for rid in g:
            group_of[rid] = gi
    correct = fp = 0
    for cluster in clusters:
        counts = Counter(group_of.get(rid, -1 - rid) for rid in cluster)
        correct += sum(c - 1 for c in counts.values())
        if len(counts) > 1:
            fp += len(cluster) - max(counts.values())
    return correct, fp


def evaluate(result: DedupResult, labelled: LabelledSet) -> Accuracy:
    """Accuracy of the automatic merges and the review queue of `result` on `labelled`."""
    correct, fp = evaluate_clusters(result.clusters, labelled.groups)
    group_of = {rid: gi for gi, g in enumerate(labelled.groups) for rid in g}
    uncertain = [p for p in result.pairs if p.tier == "uncertain"]
    uncertain_true = sum(
        1 for p in uncertain if p.a in group_of and group_of.get(p.b) == group_of[p.a]
    )
    # Records a reviewer could still remove by confirming uncertain pairs: within each true group,
    # join records linked by any pair found; what stays apart is missed.
    parent = {rid: rid for g in labelled.groups for rid in g}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in result.pairs:
        if p.a in group_of and group_of.get(p.b) == group_of[p.a]:
            parent[root(p.a)] = root(p.b)
    reachable = sum(len(g) - len({root(r) for r in g}) for g in labelled.groups)
    missed = labelled.removable - reachable
    return Accuracy(
        removable=labelled.removable,
        removed_correctly=correct,
        false_positives=fp,
        uncertain_pairs=len(uncertain),
        uncertain_true=uncertain_true,
        missed=missed,
    )
