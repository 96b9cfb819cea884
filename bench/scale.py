#!/usr/bin/env python3
"""De-duplication at scale: 25k, 50k and 100k records built from real ones, with a known truth.

    .venv/bin/python bench/scale.py                  # 25k, 50k, 100k
    .venv/bin/python bench/scale.py --sizes 10000    # any sizes
    .venv/bin/python bench/scale.py --ris OUT_DIR    # also write each set as RIS (for import)
    .venv/bin/python bench/scale.py --no-import      # the engine only, not `realist import`

Each size runs in a fresh child process, so peak RSS (getrusage) is that size's alone: the records
in memory plus de-duplication. Targets (issue 3, 2 cores): dedup < 60 s at 100k, peak RSS < 1 GB,
time close to linear (compare the time per 1k records across sizes).

Then, in another fresh child process per size, the same set goes through the product as a user
runs it: written as RIS, imported with `realist.services.imports.import_file` into a new SQLite
review (target: < 20 s at 100k, parsing included), then de-duplicated with
`realist.services.dedup_service.run_dedup` (reading the records from the database, storing every
pair, linking the clusters: the engine's time plus the database's).

How a set is built (`build_scale_set`): the works are the real records of ../shared/data/dedup
(one per true duplicate group) and ../shared/data/screening (Cohen 2006 by PubMed id, Nagtegaal
2019), topped up with synthetic works: titles from a word-level Markov chain over the real titles,
authors assembled from real surnames and given names, real abstracts. Each work gets a synthetic
DOI and, when it had none, journal, volume and pages. About 36% of the records are extra copies
of a work (the reference review: 9,859 records, 6,259 after de-duplication), each copy perturbed
the way exports differ: title case and punctuation, author format (BibTeX, Vancouver,
"J. A. Smith", capitals, truncated with et al.), abbreviated journal, missing DOI or DOI as a URL,
abbreviated page range, missing pages, a typo or two, a year off by one with the same volume, a
bracketed translated title. About 1% of works also get an erratum record, which is a different
item: the truth must keep it apart.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from realist.dedup import DedupRecord, find_duplicates  # noqa: E402
from realist.dedup.evaluation import LabelledSet, evaluate, load_labelled_set  # noqa: E402

DUPLICATE_SHARE = 1 - 6259 / 9859  # records that are extra copies, as in the reference review


def shared_data_dir() -> Path | None:
    """../shared/data (or $REALIST_SHARED_DATA) when present."""
    env = os.environ.get("REALIST_SHARED_DATA")
    for base in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data"]:
        if base.is_dir():
            return base
    return None


# --------------------------------------------------------------------------- the work pool


@dataclass(frozen=True)
class Person:
    """An author as surname and given names (full or initials, as the source had them)."""

    surname: str
    given: str


@dataclass(frozen=True)
class Work:
    """One publication: the fields its copies are derived from."""

    title: str
    authors: tuple[Person, ...]
    year: int | None
    journal: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    pmid: str | None
    abstract: str | None


def _bibtex_people(raw: str) -> tuple[Person, ...]:
    people = []
    for name in raw.split(" and "):
        surname, _, given = name.partition(",")
        if surname.strip():
            people.append(Person(surname.strip(), given.strip()))
    return tuple(people)


def _given_first_people(raw: str) -> tuple[Person, ...]:
    people = []
    for name in raw.split(";"):
        words = name.split()
        if words:
            people.append(Person(words[-1], " ".join(words[:-1])))
    return tuple(people)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def load_work_pool(shared: Path) -> list[Work]:
    """Distinct real works from the labelled dedup sets and the screening sets."""
    works: list[Work] = []
    titles: set[str] = set()

    def add(work: Work) -> None:
        key = re.sub(r"[^a-z0-9]", "", work.title.lower())
        if len(key) >= 20 and key not in titles:
            titles.add(key)
            works.append(work)

    for name in ("stroke", "respiratory"):
        folder = shared / "dedup" / name
        if not folder.is_dir():
            continue
        labelled = load_labelled_set(folder)
        in_group = {rid for g in labelled.groups for rid in g}
        representatives = [g[0] for g in labelled.groups]
        for rid in [r.id for r in labelled.records if r.id not in in_group] + representatives:
            r = labelled.records[rid - 1]
            if not r.title:
                continue
            raw_authors = r.authors if isinstance(r.authors, str) else ""
            add(
                Work(
                    r.title,
                    _bibtex_people(raw_authors or ""),
                    r.year,
                    r.journal,
                    r.volume,
                    r.issue if name == "stroke" else None,
                    r.pages,
                    None,
                    None,
                )
            )
    seen_pmids: set[str] = set()
    for path in sorted((shared / "screening").glob("*/*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                pmid = row.get("pubmedID") or None
                if pmid:
                    if pmid in seen_pmids:
                        continue
                    seen_pmids.add(pmid)
                if row.get("duplicate_record_id"):
                    continue
                title = (row.get("title") or "").strip()
                if not title:
                    continue
                add(
                    Work(
                        title,
                        _given_first_people(row.get("authors") or ""),
                        _int_or_none(row.get("year")),
                        None,
                        None,
                        None,
                        None,
                        pmid,
                        (row.get("abstract") or "").strip() or None,
                    )
                )
    return works


# --------------------------------------------------------------------------- perturbations

_JOURNAL_ABBREV = {
    "journal": "J",
    "american": "Am",
    "international": "Int",
    "medicine": "Med",
    "medical": "Med",
    "research": "Res",
    "clinical": "Clin",
    "rehabilitation": "Rehabil",
    "archives": "Arch",
    "annals": "Ann",
    "british": "Br",
    "european": "Eur",
    "society": "Soc",
    "association": "Assoc",
    "national": "Natl",
    "surgery": "Surg",
    "physical": "Phys",
    "therapy": "Ther",
    "psychiatry": "Psychiatry",
    "neurology": "Neurol",
    "respiratory": "Respir",
    "critical": "Crit",
    "care": "Care",
    "cardiology": "Cardiol",
    "oncology": "Oncol",
    "disorders": "Disord",
    "occupational": "Occup",
    "pediatrics": "Pediatr",
    "thoracic": "Thorac",
    "science": "Sci",
    "sciences": "Sci",
    "quarterly": "Q",
    "review": "Rev",
    "reviews": "Rev",
    "disease": "Dis",
    "diseases": "Dis",
    "health": "Health",
    "brain": "Brain",
    "stroke": "Stroke",
}
_JOURNAL_DROP = {"of", "the", "and", "&", "in", "for", "on"}


def abbreviate_journal(name: str) -> str:
    """An ISO-4-like abbreviation: stop words dropped, long words cut ("Arch Phys Med Rehabil")."""
    words = re.sub(r"[^\w\s&-]", " ", name).split()
    out = []
    for w in words:
        low = w.lower()
        if low in _JOURNAL_DROP:
            continue
        if low in _JOURNAL_ABBREV:
            out.append(_JOURNAL_ABBREV[low])
        elif len(w) > 7:
            out.append(w[:5].capitalize())
        else:
            out.append(w.capitalize())
    return " ".join(out) or name


def _initials(given: str, dots: bool) -> str:
    letters = [p[0].upper() for p in re.split(r"[\s.\-]+", given) if p and p[0].isalpha()]
    return " ".join(f"{c}." for c in letters) if dots else "".join(letters)


def render_authors(people: Sequence[Person], rng: random.Random) -> str | list[str]:
    """The author list in one of the formats databases export."""
    style = rng.randrange(6)
    people = list(people)
    truncated = False
    if len(people) > 6 and rng.random() < 0.25:
        people, truncated = people[:3], True
    if style == 0:  # RIS / EndNote: "Smith, J. A."
        names: list[str] = [f"{p.surname}, {_initials(p.given, True)}" for p in people]
        text = "; ".join(names)
    elif style == 1:  # PubMed / Vancouver: "Smith JA"
        text = ", ".join(f"{p.surname} {_initials(p.given, False)}" for p in people)
    elif style == 2:  # "J. A. Smith and ..."
        text = " and ".join(f"{_initials(p.given, True)} {p.surname}" for p in people)
    elif style == 3:  # capitals: "SMITH J"
        text = "; ".join(f"{p.surname.upper()} {_initials(p.given, False)[:1]}" for p in people)
    elif style == 4:  # BibTeX with full given names
        text = " and ".join(f"{p.surname}, {p.given}" for p in people)
    else:  # a list, as RIS parsers return it
        return [f"{p.surname}, {p.given}" for p in people]
    return text + (" et al." if truncated else "")


def typo(text: str, rng: random.Random) -> str:
    """One character dropped, doubled, swapped or replaced, inside a word."""
    positions = [i for i, c in enumerate(text) if c.isalpha()]
    if len(positions) < 10:
        return text
    i = rng.choice(positions[1:-1])
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeiourstnl") + text[i + 1 :]


def perturb_title(title: str, rng: random.Random) -> str:
    """Case, punctuation, a typo or a translation bracket, as another database would give it."""
    t = title.strip()
    r = rng.random()
    if r < 0.15:
        t = t.upper()
    elif r < 0.35:
        t = t.lower()
    elif r < 0.45:
        t = re.sub(r"\b(\w)(\w*)", lambda m: m.group(1).upper() + m.group(2), t)
    if rng.random() < 0.5:
        t = t.rstrip(".") if t.endswith(".") else t + "."
    if rng.random() < 0.2:
        t = t.replace(": ", " - ").replace(", ", " ,")
    if rng.random() < 0.1:
        t = typo(t, rng)
    if rng.random() < 0.03:
        t = f"[{t.rstrip('.')}]"
    return t


def perturb_pages(pages: str | None, rng: random.Random) -> str | None:
    if pages is None or rng.random() < 0.1:
        return None
    m = re.fullmatch(r"(\d+)-(\d+)", pages)
    if m and len(m.group(1)) == len(m.group(2)) and rng.random() < 0.5:
        first, last = m.group(1), m.group(2)
        keep = next((i for i in range(len(first)) if first[i] != last[i]), len(first) - 1)
        return f"{first}-{last[keep:]}"  # "1183-1187" -> "1183-7"
    return pages


@dataclass
class ScaleSet:
    """A generated set: records, the true duplicate groups and what it was built from."""

    records: list[DedupRecord]
    groups: list[list[int]]
    works: int
    errata: int

    def labelled(self) -> LabelledSet:
        """The same set as a LabelledSet, for `realist.dedup.evaluation.evaluate`."""
        return LabelledSet(
            "scale", self.records, self.groups, {r.id: str(r.id) for r in self.records}
        )


class TitleModel:
    """A word-level Markov chain (one word of context) over the real titles.

    Synthetic works need new titles that read like real ones and start and end as diversely as
    real ones do. Splicing real titles, or a longer context, would copy long runs of real titles
    and make near-duplicates that no real search export holds in such numbers.
    """

    def __init__(self, titles: Iterable[str]) -> None:
        self.next: dict[str, list[str]] = {}
        self.lengths: list[int] = []
        for title in titles:
            words = title.rstrip(".").split()
            if len(words) < 4:
                continue
            self.lengths.append(len(words))
            padded = ["", *words, ""]
            for i in range(len(padded) - 1):
                self.next.setdefault(padded[i], []).append(padded[i + 1])

    def title(self, rng: random.Random) -> str:
        """A title about as long as a real one."""
        target = rng.choice(self.lengths)
        words: list[str] = []
        word = ""
        while len(words) < target:
            word = rng.choice(self.next.get(word) or self.next[""])
            if word == "":
                if len(words) >= target // 2:
                    break
                continue
            words.append(word)
        return " ".join(words)


def _synthetic_work(
    pool: Sequence[Work], people: Sequence[Person], model: TitleModel, rng: random.Random
) -> Work:
    """A new work: a generated title, authors assembled from real surnames and given names, as
    many as a real record has, and a real abstract."""
    count = len(rng.choice(pool).authors) or 1
    authors = tuple(
        Person(rng.choice(people).surname, rng.choice(people).given) for _ in range(count)
    )
    return Work(
        model.title(rng),
        authors,
        rng.randint(1985, 2024),
        None,
        None,
        None,
        None,
        None,
        rng.choice(pool).abstract,
    )


def build_scale_set(size: int, seed: int = 1, pool: Sequence[Work] | None = None) -> ScaleSet:
    """About `size` records (ids 1..n) with known duplicate groups; deterministic for a seed.

    This is the hook for timing imports: write the records with `write_ris` and import them.
    """
    if pool is None:
        shared = shared_data_dir()
        if shared is None:
            raise SystemExit("../shared/data is absent (set REALIST_SHARED_DATA)")
        pool = load_work_pool(shared)
    rng = random.Random(seed)
    journals = [w.journal for w in pool if w.journal]
    n_works = round(size * (1 - DUPLICATE_SHARE))
    real = list(pool)
    rng.shuffle(real)
    works = real[:n_works]
    if len(works) < n_works:
        model = TitleModel(w.title for w in pool)
        people = [p for w in pool for p in w.authors] or [Person("Doe", "J")]
        seen = {w.title.lower() for w in works}
        while len(works) < n_works:
            work = _synthetic_work(pool, people, model, rng)
            if work.title.lower() not in seen and len(work.title) >= 20:
                seen.add(work.title.lower())
                works.append(work)

    records: list[DedupRecord] = []
    groups: list[list[int]] = []
    extra = size - n_works
    # Copies per work: each extra copy goes to a random work, so most works have one record and
    # some two to five (several databases, search updates).
    copies = [1] * n_works
    for _ in range(extra):
        copies[rng.randrange(n_works)] += 1
    errata = 0
    for w_index, work in enumerate(works):
        journal = work.journal or rng.choice(journals)
        volume = work.volume or str(rng.randint(1, 120))
        pages = work.pages
        if pages is None:
            first = rng.randint(1, 2400)
            pages = f"{first}-{first + rng.randint(2, 14)}"
        doi = f"10.{rng.randint(1000, 9999)}/scale.{seed}.{w_index}"
        ids: list[int] = []
        for k in range(copies[w_index]):
            rid = len(records) + 1
            ids.append(rid)
            if k == 0:
                rec = DedupRecord(
                    rid,
                    work.title,
                    render_authors(work.authors, rng),
                    work.year,
                    journal,
                    volume=volume,
                    issue=work.issue,
                    pages=pages,
                    doi=doi,
                    pmid=work.pmid,
                    abstract=work.abstract,
                )
            else:
                year = work.year
                if year is not None and rng.random() < 0.04:
                    year += 1  # print year after the online-first year
                r = rng.random()
                copy_doi = (
                    None if r < 0.4 else (f"https://doi.org/{doi.upper()}" if r < 0.6 else doi)
                )
                rec = DedupRecord(
                    rid,
                    perturb_title(work.title, rng),
                    render_authors(work.authors, rng),
                    year,
                    abbreviate_journal(journal) if rng.random() < 0.5 else journal,
                    volume=volume if rng.random() < 0.9 else None,
                    issue=work.issue,
                    pages=perturb_pages(pages, rng),
                    doi=copy_doi,
                    pmid=work.pmid if rng.random() < 0.5 else None,
                    abstract=work.abstract if rng.random() < 0.7 else None,
                )
            records.append(rec)
        if len(ids) > 1:
            groups.append(ids)
        if rng.random() < 0.01:
            errata += 1
            first = rng.randint(1, 2400)
            records.append(
                DedupRecord(
                    len(records) + 1,
                    f"Erratum: {work.title}",
                    render_authors(work.authors, rng),
                    work.year,
                    journal,
                    volume=volume,
                    pages=str(first),
                    doi=f"10.{rng.randint(1000, 9999)}/erratum.{seed}.{w_index}",
                )
            )
    return ScaleSet(records, groups, len(works), errata)


def _author_names(authors: Sequence[str] | str | None) -> list[str]:
    """One name per RIS AU line, from the formats `render_authors` produces."""
    if not authors:
        return []
    if not isinstance(authors, str):
        return [a.strip() for a in authors if a.strip()]
    text = authors.removesuffix(" et al.")
    if ";" in text or " and " in text:
        parts = re.split(r";|\s+and\s+", text)
    else:
        parts = text.split(", ")  # Vancouver: "Smith JA, Jones B"
    return [p.strip() for p in parts if p.strip()]


def write_ris(records: Iterable[DedupRecord], path: Path) -> None:
    """The records as RIS (one TY/ER block each), for timing `realist import` on the same set."""
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in records:
            fh.write("TY  - JOUR\n")
            fh.write(f"ID  - {r.id}\n")
            if r.title:
                fh.write(f"TI  - {r.title}\n")
            for name in _author_names(r.authors):
                fh.write(f"AU  - {name}\n")
            for tag, value in (
                ("PY", r.year),
                ("JO", r.journal),
                ("VL", r.volume),
                ("IS", r.issue),
                ("DO", r.doi),
                ("AN", r.pmid),
                ("AB", r.abstract),
            ):
                if value:
                    fh.write(f"{tag}  - {value}\n")
            if r.pages:
                sp, _, ep = r.pages.partition("-")
                fh.write(f"SP  - {sp}\n")
                if ep:
                    fh.write(f"EP  - {ep}\n")
            fh.write("ER  - \n\n")


# --------------------------------------------------------------------------- measuring


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure_one(size: int, seed: int, ris_dir: Path | None) -> dict[str, float]:
    """Build one set, de-duplicate it, and return timings, peak RSS and accuracy."""
    start = time.perf_counter()
    scale = build_scale_set(size, seed)
    built = time.perf_counter() - start
    rss_built = _rss_mb()
    if ris_dir is not None:
        ris_dir.mkdir(parents=True, exist_ok=True)
        write_ris(scale.records, ris_dir / f"scale_{size}.ris")
    start = time.perf_counter()
    cpu_start = time.process_time()
    result = find_duplicates(scale.records)
    dedup = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    acc = evaluate(result, scale.labelled())
    return {
        "records": len(scale.records),
        "build_s": built,
        "dedup_s": dedup,
        "cpu_s": cpu,
        "rss_built_mb": rss_built,
        "rss_peak_mb": _rss_mb(),
        "sensitivity": acc.sensitivity,
        "removable": acc.removable,
        "false_positives": acc.false_positives,
        "uncertain": acc.uncertain_pairs,
        "uncertain_true": acc.uncertain_true,
        "errata": scale.errata,
    }


def measure_import(size: int, seed: int) -> dict[str, float]:
    """Write one set as RIS, then time `realist import` and the de-duplication service on it."""
    import gc
    import shutil
    import tempfile

    from realist.db import migrate
    from realist.db.store import Store
    from realist.services import reviewers
    from realist.services.context import Workspace, resolve_actor
    from realist.services.dedup_service import run_dedup
    from realist.services.imports import import_file
    from realist.services.reviews import create_review

    work = Path(tempfile.mkdtemp(prefix="realist-scale-"))
    try:
        scale = build_scale_set(size, seed)
        ris = work / f"scale_{size}.ris"
        write_ris(scale.records, ris)
        n = len(scale.records)
        del scale
        gc.collect()
        store = Store(f"sqlite:///{work / 'review.db'}")
        migrate.upgrade(store)
        rid = create_review(store, "Scale benchmark")
        reviewers.add_reviewer(Workspace(store, rid), "BENCH", role="lead")
        ws = Workspace(store, rid, resolve_actor(store, "BENCH"))
        rss_before = _rss_mb()
        start, cpu = time.perf_counter(), time.process_time()
        summary = import_file(ws, ris, source="scale")
        import_s, import_cpu = time.perf_counter() - start, time.process_time() - cpu
        rss_import = _rss_mb()
        start, cpu = time.perf_counter(), time.process_time()
        result = run_dedup(ws)
        dedup_s, dedup_cpu = time.perf_counter() - start, time.process_time() - cpu
        store.dispose()
        return {
            "records": n,
            "imported": summary.records,
            "file_mb": ris.stat().st_size / 2**20,
            "import_s": import_s,
            "import_cpu_s": import_cpu,
            "rss_before_mb": rss_before,
            "rss_import_mb": rss_import,
            "dedup_s": dedup_s,
            "dedup_cpu_s": dedup_cpu,
            "rss_peak_mb": _rss_mb(),
            "duplicates": result.duplicates,
            "queue": result.queue,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _child(args: list[str]) -> dict[str, float] | None:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        print(out.stderr.strip() or f"{' '.join(args)} failed")
        return None
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def import_table(sizes: Sequence[int], seed: int) -> int:
    """The sizes through `realist import` and the de-duplication service, one child each."""
    print(
        f"\n{'records':>8} {'file MB':>8} {'import s':>9} {'cpu s':>6} {'rec/s':>7} "
        f"{'dedup s':>8} {'cpu s':>6} {'RSS MB':>7} {'duplicates':>10} {'queue':>6}"
    )
    for size in sizes:
        m = _child(["--one-import", str(size), "--seed", str(seed)])
        if m is None:
            return 1
        print(
            f"{int(m['records']):>8} {m['file_mb']:>8.0f} {m['import_s']:>9.1f} "
            f"{m['import_cpu_s']:>6.1f} {m['records'] / m['import_s']:>7,.0f} "
            f"{m['dedup_s']:>8.1f} {m['dedup_cpu_s']:>6.1f} {m['rss_peak_mb']:>7.0f} "
            f"{int(m['duplicates']):>10,} {int(m['queue']):>6,}"
        )
    print(
        "import s: `realist import` of the set written as RIS (parse, provenance, bulk insert, "
        "commit) into a new SQLite review; dedup s: `run_dedup` on that review (read records, "
        "engine, store pairs, link clusters); RSS MB: peak of the child process. Targets: "
        "import < 20 s at 100k."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="De-duplication at 25k/50k/100k records")
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ris", type=Path, default=None, help="write each set as RIS here")
    parser.add_argument("--no-import", action="store_true", help="skip the import timings")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--one-import", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one is not None:  # child process: one size, JSON on stdout
        print(json.dumps(measure_one(args.one, args.seed, args.ris)))
        return 0
    if args.one_import is not None:  # child process: one size through the product
        print(json.dumps(measure_import(args.one_import, args.seed)))
        return 0

    print(
        f"{'records':>8} {'dedup s':>8} {'s/1k':>6} {'cpu s':>6} {'RSS MB':>7} {'(data)':>7} "
        f"{'sensitivity':>11} {'false +':>8} {'uncertain (true)':>17}"
    )
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)]
        if args.ris is not None:
            cmd += ["--ris", str(args.ris)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr.strip() or f"size {size} failed")
            return 1
        m = json.loads(out.stdout.strip().splitlines()[-1])
        per_k = m["dedup_s"] / (m["records"] / 1000)
        print(
            f"{int(m['records']):>8} {m['dedup_s']:>8.1f} {per_k:>6.3f} {m['cpu_s']:>6.1f} "
            f"{m['rss_peak_mb']:>7.0f} {m['rss_built_mb']:>7.0f} {m['sensitivity']:>11.3f} "
            f"{int(m['false_positives']):>8} "
            f"{int(m['uncertain']):>10} ({int(m['uncertain_true'])})"
        )
    print(
        "dedup s: wall clock; s/1k: wall seconds per 1,000 records; cpu s: CPU time of all "
        "threads; RSS MB: peak of the whole child process; (data): after building the records, "
        "before de-duplication. Targets: < 60 s and < 1024 MB at 100k."
    )
    if args.no_import:
        return 0
    return import_table(args.sizes, args.seed)


if __name__ == "__main__":
    sys.exit(main())
