#!/usr/bin/env python3
"""Import speed: `realist import` (our parser + bulk insert) against a naive import, same process.

    .venv/bin/python bench/import_bench.py                   # 100,000 records
    .venv/bin/python bench/import_bench.py --records 20000   # any size
    .venv/bin/python bench/import_bench.py --keep DIR        # keep the RIS file and databases

The file: a synthetic RIS built by repeating the real records of ../shared/data/formats (every
RIS export there that imports cleanly: Embase, Ovid, Scopus, PubMed via EndNote and Zotero, Web
of Science, Lens, ... with their abstracts, keywords and database-specific tags), each copy with a
perturbed title (case, punctuation, a word dropped or added) and a unique id. Realistic in size:
about 2.5 kB per record, so 100,000 records is about 250 MB.

Both contenders import the same file into a fresh SQLite review database, one after the other in
this process:
- ours: `realist.services.imports.import_file` (content detection, our RIS parser, provenance,
  bounded `extra`, SQLAlchemy Core bulk INSERTs in chunks of 5,000, one transaction);
- naive: rispy.load, then one ORM `session.add(Record(...))` per record and one commit: what a
  straightforward implementation would do.
Timed: from the file on disk to the committed transaction. Peak RSS is sampled every 20 ms
during each run (the process's RSS above what it held before the run starts is the run's own).
Target (issue 3): 100,000 records in under 20 s on 2 cores, parsing included.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from realist.db import migrate  # noqa: E402
from realist.db.models import ImportBatch, Record  # noqa: E402
from realist.db.store import Store  # noqa: E402
from realist.importing import ImportFileError, parse_file  # noqa: E402
from realist.services import reviewers  # noqa: E402
from realist.services.context import Workspace, resolve_actor  # noqa: E402
from realist.services.imports import import_file  # noqa: E402
from realist.services.reviews import create_review  # noqa: E402


def shared_data_dir() -> Path | None:
    """../shared/data (or $REALIST_SHARED_DATA) when present."""
    env = os.environ.get("REALIST_SHARED_DATA")
    for base in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data"]:
        if base.is_dir():
            return base
    return None


# --------------------------------------------------------------------------- the file

_RECORD = re.compile(r"^TY  - .*?^ER  -[^\n]*$", re.M | re.S)
_TITLE = re.compile(r"^(TI|T1)  - (.*)$", re.M)
_ID = re.compile(r"^ID  - .*$\n?", re.M)


def real_ris_records(formats: Path) -> list[str]:
    """Record blocks (TY ... ER) of every RIS export under `formats` that parses cleanly."""
    blocks: list[str] = []
    for path in sorted(formats.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (".ris", ".txt"):
            continue
        try:
            result = parse_file(path)
        except ImportFileError:
            continue
        if result.format != "ris":
            continue
        text = path.read_text(encoding=result.encoding).replace("\r\n", "\n")
        blocks += [b for b in _RECORD.findall(text) if _TITLE.search(b)]
    return blocks


def perturb(title: str, rng: random.Random) -> str:
    """The title as another export might give it: case, punctuation, a word dropped or added."""
    r = rng.random()
    if r < 0.15:
        title = title.upper()
    elif r < 0.3:
        title = title.lower()
    words = title.split()
    if len(words) > 4 and rng.random() < 0.3:
        del words[rng.randrange(1, len(words) - 1)]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["review", "trial", "update"]))
    title = " ".join(words)
    return title.rstrip(".") if title.endswith(".") else title + "."


def build_ris(n: int, path: Path, formats: Path, seed: int = 7) -> int:
    """Write `n` records to `path`; returns the number of distinct real records used."""
    blocks = real_ris_records(formats)
    if not blocks:
        raise SystemExit(f"no RIS records found under {formats}")
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            block = blocks[i % len(blocks)]
            block = _ID.sub("", block)
            block = _TITLE.sub(lambda m: f"{m.group(1)}  - {perturb(m.group(2), rng)}", block, 1)
            head, _, rest = block.partition("\n")
            fh.write(f"{head}\nID  - bench-{i + 1}\n{rest}\n\n")
    return len(blocks)


# --------------------------------------------------------------------------- measuring


def _rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


@contextmanager
def sampled_peak() -> Iterator[dict[str, float]]:
    """Yields a dict whose 'peak_mb' and 'base_mb' are filled when the block ends."""
    out = {"base_mb": _rss_mb(), "peak_mb": 0.0}
    stop = threading.Event()

    def sample() -> None:
        peak = out["base_mb"]
        while not stop.wait(0.02):
            peak = max(peak, _rss_mb())
        out["peak_mb"] = max(peak, _rss_mb())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()


def fresh_review(db: Path) -> Workspace:
    store = Store(f"sqlite:///{db}")
    migrate.upgrade(store)
    rid = create_review(store, "Import benchmark")
    reviewers.add_reviewer(Workspace(store, rid), "BENCH", role="lead")
    return Workspace(store, rid, resolve_actor(store, "BENCH"))


def ours(ws: Workspace, path: Path) -> dict[str, float]:
    parsed_at: list[float] = []
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not parsed_at and done >= 800:  # the first 80% of the progress is parsing
            parsed_at.append(time.perf_counter() - start)

    summary = import_file(ws, path, source="bench", progress=progress)
    total = time.perf_counter() - start
    parse = parsed_at[0] if parsed_at else total
    return {"records": summary.records, "seconds": total, "parse_s": parse}


_RISPY_TEXT = {
    "title": "title", "primary_title": "title", "abstract": "abstract", "notes_abstract": "abstract",
    "journal_name": "journal", "secondary_title": "journal", "alternate_title3": "journal_abbrev",
    "volume": "volume", "number": "issue", "doi": "doi", "issn": "issn", "language": "language",
    "type_of_reference": "pub_type", "id": "source_id",
}  # fmt: skip


def naive(ws: Workspace, path: Path) -> dict[str, float]:
    """rispy, then one ORM object per record and a commit."""
    import rispy

    start = time.perf_counter()
    entries = rispy.load(path, encoding="utf-8")
    parse = time.perf_counter() - start
    with ws.store.transaction() as s:
        batch = ImportBatch(
            review_id=ws.review_id, file_name=path.name, sha256="0" * 64, format="ris", report={}
        )
        s.add(batch)
        s.flush()
        for position, entry in enumerate(entries, start=1):
            fields: dict[str, object] = {}
            for key, name in _RISPY_TEXT.items():
                value = entry.get(key)
                if value and name not in fields:
                    fields[name] = (
                        str(value)[:64]
                        if name in ("volume", "issue", "language", "pub_type", "issn")
                        else str(value)
                    )
            year = str(entry.get("year") or "")[:4]
            s.add(
                Record(
                    review_id=ws.review_id,
                    batch_id=batch.id,
                    position=position,
                    authors=list(entry.get("authors") or entry.get("first_authors") or []),
                    keywords=list(entry.get("keywords") or []),
                    year=int(year) if year.isdigit() else None,
                    pages="-".join(p for p in (entry.get("start_page"), entry.get("end_page")) if p)
                    or None,
                    extra={k: str(v) for k, v in entry.items() if k not in _RISPY_TEXT},
                    **fields,
                )
            )
    return {"records": len(entries), "seconds": time.perf_counter() - start, "parse_s": parse}


@dataclass
class Row:
    name: str
    records: int
    seconds: float
    parse_s: float
    cpu_s: float
    peak_mb: float


def run(name: str, fn: Callable[[Workspace, Path], dict[str, float]], db: Path, ris: Path) -> Row:
    ws = fresh_review(db)
    gc.collect()
    cpu = time.process_time()
    with sampled_peak() as mem:
        result = fn(ws, ris)
    cpu = time.process_time() - cpu
    with ws.store.read() as s:
        stored = int(s.scalar(select(func.count()).select_from(Record)) or 0)
    ws.store.dispose()
    assert stored == result["records"], f"{name}: {stored} stored, {result['records']} parsed"
    return Row(
        name, stored, result["seconds"], result["parse_s"], cpu, mem["peak_mb"] - mem["base_mb"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import speed, ours against a naive import")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true", help="time ours only")
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args(argv)
    shared = shared_data_dir()
    if shared is None:
        print("../shared/data is absent (set REALIST_SHARED_DATA): nothing to build the file from")
        return 1
    work = (
        Path(tempfile.mkdtemp(prefix="realist-import-bench-")) if args.keep is None else args.keep
    )
    work.mkdir(parents=True, exist_ok=True)
    ris = work / f"bench_{args.records}.ris"
    start = time.perf_counter()
    distinct = build_ris(args.records, ris, shared / "formats", args.seed)
    print(
        f"built {ris.name}: {args.records:,} records from {distinct} real ones, "
        f"{ris.stat().st_size / 2**20:.0f} MB, in {time.perf_counter() - start:.1f} s"
    )
    rows = [run("ours (realist import)", ours, work / "ours.db", ris)]
    if not args.no_baseline:
        rows.append(run("naive (rispy + ORM add)", naive, work / "naive.db", ris))
    print(f"\n{'':<26} {'records':>9} {'total s':>8} {'parse s':>8} {'write s':>8} "
          f"{'CPU s':>6} {'records/s':>10} {'peak RSS MB':>12}")  # fmt: skip
    for r in rows:
        print(
            f"{r.name:<26} {r.records:>9,} {r.seconds:>8.1f} {r.parse_s:>8.1f} "
            f"{r.seconds - r.parse_s:>8.1f} {r.cpu_s:>6.1f} {r.records / r.seconds:>10,.0f} "
            f"{r.peak_mb:>12.0f}"
        )
    print(
        "total s: wall clock from file to committed transaction; parse s / write s: its two "
        "parts; CPU s: CPU time of all threads; peak RSS MB: above the process's RSS before the run"
    )
    if len(rows) == 2:
        print(f"\nours is {rows[1].seconds / rows[0].seconds:.1f}x faster than the naive import")
    verdict = "met" if rows[0].seconds < 20 * args.records / 100_000 else "NOT met"
    print(f"target: 100,000 records in < 20 s (scaled to this size): {verdict}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} when done")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
