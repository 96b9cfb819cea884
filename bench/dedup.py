#!/usr/bin/env python3
"""De-duplication accuracy and speed: ours against bib-dedupe 0.11 on the labelled sets.

    .venv/bin/python bench/dedup.py             # every set under ../shared/data/dedup
    .venv/bin/python bench/dedup.py --repeat 3  # median of 3 timed runs per tool
    .venv/bin/python bench/dedup.py --sweep     # threshold sweep and hold-out (ours only)

Both tools run in this process on the same files, after one untimed warm-up run each (imports,
caches, bib-dedupe's process pool). Timed: from parsed records to clusters (bib-dedupe: prep,
block, match, cluster; ours: find_duplicates). Accuracy uses one definition for both:
sensitivity = records removed correctly / records removable in truth (sum of group size - 1); a
false positive is a record merged into a cluster with another true group. bib-dedupe is a
bench-only optional dependency: pip install 'bib-dedupe==0.11.*'.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from realist.dedup import (  # noqa: E402
    DEFAULT_THRESHOLDS,
    DedupRecord,
    Thresholds,
    find_duplicates,
)
from realist.dedup.evaluation import (  # noqa: E402
    LabelledSet,
    evaluate,
    evaluate_clusters,
    load_labelled_set,
)

INSTALL_HINT = "bib-dedupe not installed: pip install 'bib-dedupe==0.11.*'"


def shared_dedup_dir() -> Path | None:
    """../shared/data/dedup (or $REALIST_SHARED_DATA/dedup) when present."""
    env = os.environ.get("REALIST_SHARED_DATA")
    for base in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data"]:
        if (base / "dedup").is_dir():
            return base / "dedup"
    return None


@dataclass
class Row:
    """One tool on one set."""

    tool: str
    seconds: float
    sensitivity: float
    removed: int
    removable: int
    false_positives: int
    uncertain: int | None
    uncertain_true: int | None


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def run_ours(
    labelled: LabelledSet, repeat: int, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Row:
    """Time and score find_duplicates on one set."""
    result, seconds = _timed(
        lambda: find_duplicates(labelled.records, thresholds=thresholds), repeat
    )
    acc = evaluate(result, labelled)
    return Row(
        "realist",
        seconds,
        acc.sensitivity,
        acc.removed_correctly,
        acc.removable,
        acc.false_positives,
        acc.uncertain_pairs,
        acc.uncertain_true,
    )


def load_bib_dedupe() -> Any | None:
    """The bib_dedupe module, or None when it is not installed."""
    try:
        import bib_dedupe.bib_dedupe as bd
    except ImportError:
        return None
    return bd


def run_bib_dedupe(bd: Any, folder: Path, labelled: LabelledSet, repeat: int) -> Row:
    """Time and score bib-dedupe (its documented prep/block/match/cluster calls) on one set."""
    import pandas as pd

    frame = pd.read_csv(folder / "records_pre_merged.csv", dtype=str)

    def pipeline() -> tuple[list[list[str]], Any]:
        prepared = bd.prep(frame, verbosity_level=0)
        blocked = bd.block(prepared, verbosity_level=0)
        matched = bd.match(blocked, verbosity_level=0)
        return bd.cluster(matched, verbosity_level=0), matched

    (clusters, matched), seconds = _timed(pipeline, repeat)
    ours_id = {source: rid for rid, source in labelled.source_ids.items()}
    id_clusters = [[ours_id[x] for x in c] for c in clusters]
    removed, fp = evaluate_clusters(id_clusters, labelled.groups)
    group_of = {rid: gi for gi, g in enumerate(labelled.groups) for rid in g}
    maybe = matched[matched["duplicate_label"] == "maybe"]
    maybe_true = sum(
        1
        for a, b in zip(maybe["ID_1"], maybe["ID_2"], strict=True)
        if ours_id[a] in group_of and group_of.get(ours_id[b]) == group_of[ours_id[a]]
    )
    return Row(
        "bib-dedupe",
        seconds,
        removed / labelled.removable,
        removed,
        labelled.removable,
        fp,
        len(maybe),
        maybe_true,
    )


def print_rows(name: str, rows: list[Row]) -> None:
    """A small table for one set, with the speed ratio when both tools ran."""
    print(f"\n{name}")
    print(
        f"  {'tool':<11} {'time s':>8} {'sensitivity':>12} {'removed':>9} {'false +':>8} "
        f"{'uncertain (true)':>17}"
    )
    for r in rows:
        unc = "-" if r.uncertain is None else f"{r.uncertain} ({r.uncertain_true})"
        print(
            f"  {r.tool:<11} {r.seconds:>8.3f} {r.sensitivity:>12.3f} "
            f"{r.removed:>4}/{r.removable:<4} {r.false_positives:>8} {unc:>17}"
        )
    if len(rows) == 2 and rows[0].seconds > 0:
        print(f"  speed ratio: realist is {rows[1].seconds / rows[0].seconds:.1f}x faster")


def sweep(sets: dict[str, LabelledSet]) -> None:
    """Accuracy across a threshold grid, then a hold-out: pick on one set, report on the other.

    The pick is the highest sensitivity with zero false positives (ties: closest to the
    defaults). Shows whether the defaults sit on a plateau or on a knife edge.
    """
    grid: list[Thresholds] = []
    for title_same in (0.85, 0.90, 0.95, 0.98):
        for title_close in (0.60, 0.70, 0.80, 0.90):
            for author_same in (0.70, 0.80, 0.90, 0.95):
                grid.append(
                    replace(
                        DEFAULT_THRESHOLDS,
                        title_same=title_same,
                        title_close=title_close,
                        author_same=author_same,
                    )
                )
    names = [n for n in ("stroke", "respiratory") if n in sets]
    table: dict[Thresholds, dict[str, Row]] = {}
    print(f"\nthreshold sweep ({len(grid)} settings): sensitivity / false positives")
    print(
        f"  {'title_same':>10} {'title_close':>11} {'author_same':>11}  "
        + "  ".join(f"{n:>16}" for n in names)
    )
    for t in grid:
        table[t] = {n: run_ours(sets[n], 1, t) for n in names}
        mark = "  <- defaults" if t == DEFAULT_THRESHOLDS else ""
        cells = "  ".join(
            f"{table[t][n].sensitivity:>11.3f} /{table[t][n].false_positives:>3}" for n in names
        )
        print(
            f"  {t.title_same:>10.2f} {t.title_close:>11.2f} {t.author_same:>11.2f}  {cells}{mark}"
        )

    def distance(t: Thresholds) -> float:
        d = DEFAULT_THRESHOLDS
        return (
            abs(t.title_same - d.title_same)
            + abs(t.title_close - d.title_close)
            + abs(t.author_same - d.author_same)
        )

    if len(names) == 2:
        print("\nhold-out: thresholds picked on one set (max sensitivity, 0 false positives)")
        for tune, test in (names, names[::-1]):
            ok = [t for t in grid if table[t][tune].false_positives == 0]
            best = max(ok, key=lambda t: (table[t][tune].sensitivity, -distance(t)))
            r = table[best][test]
            print(
                f"  tuned on {tune:<11} -> title_same {best.title_same:.2f}, title_close "
                f"{best.title_close:.2f}, author_same {best.author_same:.2f}; on {test}: "
                f"sensitivity {r.sensitivity:.3f}, false positives {r.false_positives}"
            )
        zero_fp = sum(1 for t in grid if all(table[t][n].false_positives == 0 for n in names))
        print(f"  settings with zero false positives on both sets: {zero_fp}/{len(grid)}")


def screening_check(shared: Path) -> None:
    """Nagtegaal 2019 (titles and abstracts only) flags duplicates in `duplicate_record_id`:
    another labelled set, from another field, that the rules were never looked at against.
    Certain pairs outside the labels are printed so that a reader can judge them."""
    import csv

    path = shared / "screening" / "Nagtegaal_2019" / "Nagtegaal_2019.csv"
    if not path.is_file():
        return
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    records = [
        DedupRecord(
            int(r["record_id"]), r["title"], None, None, None, abstract=r["abstract"] or None
        )
        for r in rows
    ]
    truth = {
        tuple(sorted((int(r["record_id"]), int(float(r["duplicate_record_id"])))))
        for r in rows
        if r["duplicate_record_id"]
    }
    start = time.perf_counter()
    result = find_duplicates(records)
    seconds = time.perf_counter() - start
    certain = {(p.a, p.b) for p in result.certain}
    queued = {(p.a, p.b) for p in result.uncertain}
    print(
        f"\nNagtegaal_2019 screening set ({len(records)} records, titles and abstracts only, "
        f"{len(truth)} labelled duplicate pairs), realist {seconds:.2f} s:"
    )
    print(
        f"  merged automatically {len(certain & truth)}, queued {len(queued & truth)}, "
        f"missed {len(truth - certain - queued)}; uncertain pairs {len(queued)}"
    )
    titles = {r.id: r.title or "" for r in records}
    for a, b in sorted(certain - truth):
        print(f"  merged but not labelled: {a} {b}: {titles[a][:60]!r} | {titles[b][:60]!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None, help="folder of labelled sets")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per tool (median)")
    parser.add_argument("--sweep", action="store_true", help="threshold sweep and hold-out")
    parser.add_argument("--no-baseline", action="store_true", help="skip bib-dedupe")
    args = parser.parse_args(argv)

    data = args.data or shared_dedup_dir()
    if data is None or not data.is_dir():
        print("no labelled sets: ../shared/data/dedup is absent (set REALIST_SHARED_DATA)")
        return 1
    folders = sorted(p for p in data.iterdir() if (p / "records_pre_merged.csv").is_file())
    sets = {f.name: load_labelled_set(f) for f in folders}

    bd = None if args.no_baseline else load_bib_dedupe()
    if bd is None and not args.no_baseline:
        print(INSTALL_HINT)
    # Warm-up: imports, regex and lru caches, bib-dedupe's worker processes.
    smallest = min(folders, key=lambda f: len(sets[f.name].records))
    run_ours(sets[smallest.name], 1)
    if bd is not None:
        run_bib_dedupe(bd, smallest, sets[smallest.name], 1)

    totals = {"realist": 0.0, "bib-dedupe": 0.0}
    for folder in folders:
        labelled = sets[folder.name]
        rows = [run_ours(labelled, args.repeat)]
        if bd is not None:
            rows.append(run_bib_dedupe(bd, folder, labelled, args.repeat))
        for r in rows:
            totals[r.tool] += r.seconds
        print_rows(
            f"{folder.name} ({len(labelled.records)} records, {len(labelled.groups)} groups)", rows
        )
    if bd is not None and totals["realist"] > 0:
        print(
            f"\nall sets: realist {totals['realist']:.2f} s, bib-dedupe "
            f"{totals['bib-dedupe']:.2f} s, {totals['bib-dedupe'] / totals['realist']:.1f}x"
        )
    screening_check(data.parent)
    if args.sweep:
        sweep(sets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
