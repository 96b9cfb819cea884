"""Benchmark prioritised screening: simulate screening on labelled sets and compare orders.

    .venv/bin/python bench/ranking.py            # every set, 3 seeds, ours vs ASReview vs random
    .venv/bin/python bench/ranking.py --quick    # a few sets, 1 seed (about a minute)
    .venv/bin/python bench/ranking.py --write-docs   # also write the table into docs/ranking.md

Data: ../shared/data/screening (Cohen et al. 2006: 14 drug-class reviews; Nagtegaal et al. 2019),
each with the final include label and, where present, the title/abstract-stage label.

Simulation (as ASReview's `simulate`): a seeded prior of 1 include and 1 exclude, then the model
is refitted and the top ``k`` unscreened records are screened, until every include is found. The
batch ``k`` is 0.5% of the set (at least 1; e.g. 2 records for 310, 13 for 2,544) and is the same
for every model. Metrics (Cohen et al. 2006): WSS@95 = (TN+FN)/N - 0.05 where 95% recall is first
reached; recall after screening 10%; records screened to find the last include. The prior counts as
screened for every method.

ASReview's default model (ELAS u4 in ASReview 2.x/3.x) is run through its own ``Simulate`` class
when the `asreview` package is importable (bench-only: `pip install asreview`); otherwise a
re-implementation of its documented configuration with scikit-learn is used and the output says so.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from realist.ranking import metrics  # noqa: E402
from realist.ranking.features import VectorSettings, record_text  # noqa: E402
from realist.ranking.model import IncrementalRanker, ModelSettings  # noqa: E402
from realist.ranking.stopping import stopping_estimate  # noqa: E402

LABELS = {"label_included": "final", "label_abstract_screening": "TiAb"}
QUICK_SETS = ("ADHD", "Antihistamines", "NSAIDS", "UrinaryIncontinence", "Triptans")
RANDOM_REPEATS = 10


@dataclass
class Dataset:
    name: str
    titles: list[str]
    abstracts: list[str]
    labels: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [record_text(t, a) for t, a in zip(self.titles, self.abstracts, strict=True)]


def data_dir() -> Path | None:
    env = os.environ.get("REALIST_SHARED_DATA")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if (cand / "screening").is_dir():
            return cand / "screening"
    return None


def load_sets(root: Path, names: Sequence[str] | None = None) -> list[Dataset]:
    """Every labelled CSV under ``root`` (optionally only those whose stem is in ``names``)."""
    out: list[Dataset] = []
    for path in sorted(root.glob("*/*.csv")):
        if names and path.stem not in names:
            continue
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if not rows or "label_included" not in rows[0]:
            continue
        ds = Dataset(path.stem, [r.get("title") or "" for r in rows],
                     [r.get("abstract") or "" for r in rows])
        for col, short in LABELS.items():
            if col in rows[0]:
                y = np.array([1 if (r[col] or "0").strip() in {"1", "1.0"} else 0 for r in rows])
                if y.sum() >= 2:
                    ds.labels[short] = y
        out.append(ds)
    return out


def step_size(n: int, share: float) -> int:
    return max(1, math.ceil(n * share))


def seeded_prior(y: np.ndarray, seed: int) -> list[int]:
    """One include and one exclude drawn with ``seed`` (as ASReview's --n-prior-included 1)."""
    rng = np.random.default_rng(seed)
    return [int(rng.choice(np.flatnonzero(y == 1))), int(rng.choice(np.flatnonzero(y == 0)))]


# -- orders ---------------------------------------------------------------------------------------

_MODELS: dict[tuple[str, VectorSettings], IncrementalRanker] = {}


def order_ours(
    ds: Dataset, y: np.ndarray, prior: list[int], k: int, settings: ModelSettings, seed: int
) -> list[int]:
    key = (ds.name, settings.vector)
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = IncrementalRanker(ds.texts, seed=seed, settings=settings)
    model.settings, model.seed = settings, seed
    n = len(y)
    done = np.zeros(n, dtype=bool)
    order = list(prior)
    done[prior] = True
    found, total = int(y[prior].sum()), int(y.sum())
    while found < total and len(order) < n:
        model.fit(order, y[order])
        sc = model.scores()
        cand = np.flatnonzero(~done)
        pick = cand[np.lexsort((cand, -sc[cand]))][:k]
        order.extend(int(i) for i in pick)
        done[pick] = True
        found += int(y[pick].sum())
    return order


def order_asreview(ds: Dataset, y: np.ndarray, prior: list[int], k: int, seed: int) -> list[int]:
    """ASReview's default model through its own Simulate class."""
    import pandas as pd
    from asreview.learner import ActiveLearningCycle
    from asreview.models import get_ai_config
    from asreview.simulation.simulate import Simulate

    cycle = ActiveLearningCycle.from_meta(get_ai_config()["value"])
    cycle.n_query = k
    if hasattr(cycle.classifier, "random_state"):
        cycle.classifier.random_state = seed
    frame = pd.DataFrame({"title": ds.titles, "abstract": ds.abstracts})
    sim = Simulate(frame, y, cycle, print_progress=False)
    sim.label(prior)
    sim.review()
    return [int(i) for i in sim._results["record_id"].tolist()]


def order_asreview_sklearn(
    ds: Dataset, y: np.ndarray, prior: list[int], k: int, seed: int
) -> list[int]:
    """ELAS u4 re-implemented from its documented configuration (used only without asreview).

    TF-IDF (1-2 grams, sublinear tf, min_df 1, max_df 0.95) on title + " " + abstract; LinearSVC
    (squared hinge, C = 0.11); "balanced" sample weights with ratio 9.8; query the maximum.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_df=0.95).fit_transform(
        [f"{t} {a}" for t, a in zip(ds.titles, ds.abstracts, strict=True)]
    )
    n = len(y)
    done = np.zeros(n, dtype=bool)
    order = list(prior)
    done[prior] = True
    found, total = int(y[prior].sum()), int(y.sum())
    while found < total and len(order) < n:
        yl = y[order]
        w = np.where(yl == 1, 1.0, yl.sum() / (9.8 * (len(yl) - yl.sum())))
        w *= len(yl) / w.sum()
        clf = LinearSVC(C=0.11, loss="squared_hinge", random_state=seed)
        clf.fit(x[order], yl, sample_weight=w)
        cand = np.flatnonzero(~done)
        sc = clf.decision_function(x[cand])
        pick = cand[np.argsort(-sc, kind="stable")][:k]
        order.extend(int(i) for i in pick)
        done[pick] = True
        found += int(y[pick].sum())
    return order


def order_random(y: np.ndarray, prior: list[int], seed: int) -> list[int]:
    rest = np.setdiff1d(np.arange(len(y)), prior)
    return list(prior) + [int(i) for i in np.random.default_rng(seed).permutation(rest)]


# -- running --------------------------------------------------------------------------------------


@dataclass
class Score:
    wss95: float
    recall10: float
    find_all: int
    seconds: float
    stop_recall: float = math.nan  # recall when the stopping aid first says "95% reached"
    stop_share: float = math.nan  # share of N screened by then


def score(order: list[int], y: np.ndarray, seconds: float, check_stop: bool = False) -> Score:
    seen = set(order)
    # Past the last include every record left is an exclude, so padding in file order gives the
    # same discovery curve as screening on in ranked order.
    full = order + [i for i in range(len(y)) if i not in seen]
    lab = [int(y[i]) for i in full]
    out = Score(metrics.wss(lab, 0.95), metrics.recall_at(lab, 0.10),
                metrics.screened_to_find_all(lab), seconds)
    if check_stop:
        out.stop_recall, out.stop_share = stop_point(lab)
    return out


def stop_point(lab: list[int], every: float = 0.005) -> tuple[float, float]:
    """Recall and share screened when stopping_estimate first rejects "recall < 95%" (p < 0.05),
    checked every ``every`` of N records, as a reviewer glancing at the aid would."""
    curve = metrics.found_curve(lab)
    n, total = len(lab), curve[-1]
    step = max(1, math.ceil(n * every))
    for i in range(step, n + 1, step):
        if stopping_estimate(curve[:i], n).target_reached:
            return curve[i - 1] / total, i / n
    return 1.0, 1.0


def asreview_available() -> str | None:
    try:
        import asreview
        from asreview.simulation.simulate import Simulate  # noqa: F401
    except Exception:  # any import failure means: use the re-implementation
        return None
    return str(asreview.__version__)


def run_task(args: tuple[Dataset, str, int, int, dict[str, ModelSettings], str]) -> dict[
    str, Score
]:
    ds, kind, seed, k, variants, asreview_mode = args
    y = ds.labels[kind]
    prior = seeded_prior(y, seed)
    res: dict[str, Score] = {}
    for name, settings in variants.items():
        t = time.perf_counter()
        o = order_ours(ds, y, prior, k, settings, seed)
        res[name] = score(o, y, time.perf_counter() - t, check_stop=name == "ours")
    if asreview_mode:
        t = time.perf_counter()
        if asreview_mode == "asreview":
            o = order_asreview(ds, y, prior, k, seed)
        else:
            o = order_asreview_sklearn(ds, y, prior, k, seed)
        res["asreview"] = score(o, y, time.perf_counter() - t)
    rs = [score(order_random(y, prior, seed * 1000 + r), y, 0.0) for r in range(RANDOM_REPEATS)]
    res["random"] = Score(
        statistics.fmean(s.wss95 for s in rs),
        statistics.fmean(s.recall10 for s in rs),
        round(statistics.fmean(s.find_all for s in rs)),
        0.0,
    )
    return res


def parse_variant(text: str) -> tuple[str, ModelSettings]:
    """"name:key=value,..." -> ModelSettings (keys: fields of ModelSettings/VectorSettings)."""
    name, _, spec = text.partition(":")
    s = ModelSettings()
    v = s.vector
    for part in filter(None, spec.split(",")):
        key, _, val = part.partition("=")
        if key in VectorSettings.__dataclass_fields__:
            cur = getattr(v, key)
            v = replace(v, **{key: type(cur)(float(val)) if not isinstance(cur, bool)
                               else val in {"1", "true"}})
        else:
            cur = getattr(s, key)
            s = replace(s, **{key: val if isinstance(cur, str) else type(cur)(float(val))})
    return name, replace(s, vector=v)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a few small sets, one seed")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    ap.add_argument("--step-share", type=float, default=0.005, help="batch as a share of N")
    ap.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument("--variant", action="append", default=[],
                    help='extra configuration of ours, "name:classifier=svm,c=0.5,..."')
    ap.add_argument("--no-asreview", action="store_true")
    ap.add_argument("--asreview-reimpl", action="store_true",
                    help="use the scikit-learn re-implementation of ELAS u4 even if asreview is "
                         "installed (a cross-check)")
    ap.add_argument("--no-speed", action="store_true", help="skip the 100,000-record timing")
    ap.add_argument("--write-docs", action="store_true", help="write the table to docs/ranking.md")
    a = ap.parse_args(argv)

    root = data_dir()
    if root is None:
        print("../shared/data/screening is absent (set REALIST_SHARED_DATA): nothing to run")
        return 1
    names = [s for s in a.sets.split(",") if s] or (list(QUICK_SETS) if a.quick else None)
    seeds = 1 if a.quick and a.seeds == 3 else a.seeds
    sets = load_sets(root, names)
    variants = dict([("ours", ModelSettings())] + [parse_variant(v) for v in a.variant])
    asr = None if a.no_asreview or a.asreview_reimpl else asreview_available()
    lines: list[str] = []

    def say(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    say(f"ranking benchmark: {len(sets)} sets, {seeds} seed(s), batch {a.step_share:.1%} of N")
    if a.no_asreview:
        say("ASReview: skipped (--no-asreview)")
    elif a.asreview_reimpl:
        say("ASReview: its default model (ELAS u4) RE-IMPLEMENTED with scikit-learn "
            "(--asreview-reimpl; bench/ranking.py: order_asreview_sklearn)")
    elif asr:
        say(f"ASReview: asreview {asr}, default model ELAS u4, run through asreview Simulate")
    else:
        say("ASReview: package NOT importable here -> its default model (ELAS u4) is "
            "RE-IMPLEMENTED with scikit-learn (bench/ranking.py: order_asreview_sklearn)")
    mode = "" if a.no_asreview else ("asreview" if asr else "reimpl")
    tasks = [(ds, kind, seed, step_size(len(ds.titles), a.step_share), variants, mode)
             for ds in sets for kind in ds.labels for seed in range(seeds)]
    t0 = time.perf_counter()
    results = _run_all(tasks, a.jobs)
    methods = [*variants, *([] if a.no_asreview else ["asreview"]), "random"]
    table = _table(sets, results, methods, seeds)
    for row in table:
        say(row)
    for row in stop_summary(results):
        say(row)
    say(f"\nsimulation wall time {time.perf_counter() - t0:.0f} s with {a.jobs} process(es)")
    per = {m: sum(s.seconds for r in results.values() for s in [r[m]]) for m in methods[:-1]}
    say("model time summed over runs: " + ", ".join(f"{m} {v:.0f} s" for m, v in per.items()))
    if not a.no_speed:
        for row in speed_test(sets, variants["ours"], quick=a.quick):
            say(row)
    if a.write_docs:
        write_docs(lines)
    return 0


def _run_all(tasks: list, jobs: int) -> dict[tuple[str, str, int], dict[str, Score]]:
    keys = [(t[0].name, t[1], t[2]) for t in tasks]
    if jobs <= 1:
        outs = [run_task(t) for t in tasks]
    else:
        import multiprocessing as mp

        # Largest sets first so that the pool finishes together.
        by_size = sorted(range(len(tasks)), key=lambda i: -len(tasks[i][0].titles))
        with mp.get_context("fork").Pool(jobs) as pool:
            got = pool.map(run_task, [tasks[i] for i in by_size], chunksize=1)
        outs = [None] * len(tasks)  # type: ignore[list-item]
        for i, r in zip(by_size, got, strict=True):
            outs[i] = r
    return dict(zip(keys, outs, strict=True))


def _table(sets: list[Dataset], results: dict, methods: list[str], seeds: int) -> list[str]:
    """Per set and label: WSS@95 / recall at 10% / records to find every include, per method."""
    head = "| set | label | N | incl |" + "".join(f" {m} |" for m in methods)
    rows = [
        "Each cell: WSS@95 / recall after 10% screened / records screened to find every include "
        f"(share of N); mean over {seeds} seed(s).",
        "",
        head,
        "|---|---|--:|--:|" + "---|" * len(methods),
    ]
    avg: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
    kinds_seen: list[str] = []
    for ds in sets:
        for kind, y in ds.labels.items():
            runs = [results[(ds.name, kind, s)] for s in range(seeds)]
            row = f"| {ds.name} | {kind} | {len(y)} | {int(y.sum())} |"
            for m in methods:
                w = statistics.fmean(r[m].wss95 for r in runs)
                r10 = statistics.fmean(r[m].recall10 for r in runs)
                fa = statistics.fmean(r[m].find_all for r in runs)
                avg[m].append((w, r10, fa / len(y)))
                row += f" {w:.3f} / {r10:.2f} / {fa:.0f} ({fa / len(y):.0%}) |"
            rows.append(row)
            kinds_seen.append(kind)
    for kinds, label in ((("final", "TiAb"), "all"), (("final",), "final"), (("TiAb",), "TiAb")):
        idx = [i for i, k in enumerate(kinds_seen) if k in kinds]
        if not idx:
            continue
        row = f"| **average** | {label} | {len(idx)} runs | |"
        for m in methods:
            vals = [avg[m][i] for i in idx]
            row += (f" **{statistics.fmean(v[0] for v in vals):.3f}** /"
                    f" {statistics.fmean(v[1] for v in vals):.2f} /"
                    f" ({statistics.fmean(v[2] for v in vals):.0%}) |")
        rows.append(row)
    if "asreview" in methods:
        ours = [v[0] for v in avg[methods[0]]]
        theirs = [v[0] for v in avg["asreview"]]
        wins = sum(a > b for a, b in zip(ours, theirs, strict=True))
        ties = sum(a == b for a, b in zip(ours, theirs, strict=True))
        rows += ["", f"{methods[0]} vs asreview, mean WSS@95 over all runs: "
                 f"{statistics.fmean(ours):.3f} vs {statistics.fmean(theirs):.3f} "
                 f"(ratio {statistics.fmean(ours) / statistics.fmean(theirs):.3f}); "
                 f"{methods[0]} higher on {wins} of {len(ours)} set/label pairs, equal on {ties}"]
    return ["", *rows]


def stop_summary(results: dict[tuple[str, str, int], dict[str, Score]]) -> list[str]:
    """How the stopping aid would have done on our model's screening orders."""
    runs = [r["ours"] for r in results.values() if not math.isnan(r["ours"].stop_recall)]
    if not runs:
        return []
    ok = sum(s.stop_recall >= 0.95 for s in runs)
    return [
        "",
        "stopping aid on ours (stop at the first check, every 0.5% of N, where "
        "stopping_estimate rejects recall < 95% at p < 0.05):",
        f"  recall >= 95% reached in {ok} of {len(runs)} runs; mean recall "
        f"{statistics.fmean(s.stop_recall for s in runs):.3f}, minimum "
        f"{min(s.stop_recall for s in runs):.3f}; mean share of N screened "
        f"{statistics.fmean(s.stop_share for s in runs):.0%} (stopping exactly at 95% recall, "
        "which needs hindsight, would screen "
        f"{statistics.fmean(0.95 - s.wss95 for s in runs):.0%})",
    ]


# -- speed ----------------------------------------------------------------------------------------


def synthetic_corpus(sets: list[Dataset], n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` texts made by perturbing real titles+abstracts: drop 15% of words, splice in a few
    words from another record, so the vocabulary grows as a real large search would."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    ys: list[int] = []
    for ds in sets:
        texts.extend(ds.texts)
        ys.extend(int(v) for v in ds.labels["final"])
    words = [re.findall(r"\S+", t) for t in texts]
    out: list[str] = []
    lab = np.zeros(n, dtype=np.int64)
    for i in range(n):
        j = int(rng.integers(len(words)))
        w = words[j]
        keep = [t for t, r in zip(w, rng.random(len(w)), strict=True) if r > 0.15]
        other = words[int(rng.integers(len(words)))]
        if other:
            s = int(rng.integers(len(other)))
            keep[len(keep) // 2 : len(keep) // 2] = other[s : s + 8]
        if i % 7 == 0:
            keep.append(f"token{int(rng.integers(n))}")
        out.append(" ".join(keep))
        lab[i] = ys[j]
    return out, lab


def speed_test(sets: list[Dataset], settings: ModelSettings, quick: bool) -> list[str]:
    n = 20_000 if quick else 100_000
    texts, y = synthetic_corpus(sets, n)
    lines = ["", f"speed on a synthetic corpus of {n:,} records (perturbed real titles+abstracts):"]
    t = time.perf_counter()
    model = IncrementalRanker(texts, seed=0, settings=settings)
    vec_time = time.perf_counter() - t
    lines.append(f"  vectorise once: {vec_time:.1f} s, "
                 f"{model.matrix.shape[1]:,} terms, {model.matrix.nnz:,} non-zeros")
    rng = np.random.default_rng(1)
    for n_lab in (2, 100, 1_000, 5_000, 20_000):
        if n_lab > n // 2:
            continue
        inc = rng.choice(np.flatnonzero(y == 1), size=max(1, n_lab // 20), replace=False)
        exc = rng.choice(np.flatnonzero(y == 0), size=n_lab - len(inc), replace=False)
        idx = np.concatenate([inc, exc])
        times = []
        for _ in range(3):
            t = time.perf_counter()
            model.fit(idx, y[idx])
            model.order(np.setdiff1d(np.arange(n), idx))
            times.append(time.perf_counter() - t)
        best = min(times)
        lines.append(f"  refit on {n_lab:>6,} labelled + score and order all {n:,}: "
                     f"{best:.3f} s {'(under 1 s)' if best < 1 else '(OVER 1 s)'}, "
                     f"{vec_time / best:.0f}x faster than vectorising again")
    return lines


def as_markdown(lines: list[str]) -> list[str]:
    """Tables as they are; runs of other lines inside ```text fences so they keep their layout."""
    out: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        while prose and not prose[-1].strip():
            prose.pop()
        while prose and not prose[0].strip():
            prose.pop(0)
        if prose:
            out.extend(["```text", *prose, "```", ""])
        prose.clear()

    for line in lines:
        if line.startswith("|"):
            flush()
            out.append(line)
        elif line.startswith(("Each cell:", "ours vs ")):
            flush()
            if out and out[-1].startswith("|"):
                out.append("")
            out.extend([line, ""])
        else:
            if out and out[-1].startswith("|") and line.strip():
                out.append("")
            prose.append(line)
    flush()
    return out


def write_docs(lines: list[str]) -> None:
    doc = REPO / "docs" / "ranking.md"
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    body = "\n".join(["", f"Latest run ({time.strftime('%Y-%m-%d')}, "
                      f"`{' '.join(['bench/ranking.py', *sys.argv[1:]])}`):", "",
                      *as_markdown(lines), ""])
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    doc.write_text(f"{before}{start}\n{body}\n{end}{after}", encoding="utf-8")
    print(f"wrote {doc}")


if __name__ == "__main__":
    sys.exit(main())
