"""Draw the second reviewer's sample: seeded, reproducible, optionally stratified.

Pure: the caller passes the record ids (and, to stratify, a label per id) and stores the
returned ``SampleDraw``; nothing here reads or writes the database.

Reproducibility: ids are used in sorted order (a repeated id is an error), strata in sorted
label order, and all randomness comes from one ``random.Random(seed)``. The same ids, fraction,
seed and options therefore give the same sample on every machine and whatever order the
database returned the ids in (Python's Mersenne Twister and ``Random.sample`` are stable
across versions for integer seeds).

Size: ``ceil(fraction * N)``, with the fraction taken as the decimal it was written as, so
10% of 30 records is 3 (binary floating point would make 0.1 * 30 = 3.0000000000000004 and
round it up to 4). Rounding up keeps at least one record in any non-empty sample.

Stratified draws (``strata``, e.g. the first reviewer's decision or the record's source)
keep the same total ``ceil(fraction * N)`` and share it out in proportion to stratum size by
the largest-remainder (Hamilton) method, ties going to the larger stratum and then to the
label that sorts first. Where the total allows (total >= number of strata) every non-empty
stratum gets at least one record, moved from the stratum furthest above its exact quota.
``oversample`` then raises chosen strata to a minimum (e.g. ``{"include": 10}``); those
records are added, never taken from other strata, so the sample grows and over-represents
that stratum, which the draw's warnings say.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

__all__ = [
    "MIN_SAMPLE_INCLUDES",
    "MIN_SAMPLE_SIZE",
    "SampleDraw",
    "draw_sample",
    "sample_size",
]

#: A sample with fewer first-reviewer includes than this gets a warning: with so few
#: positives one or two disagreements swing kappa widely and its interval spans most of
#: [0, 1]. Set above the report's threshold (5) because the second reviewer may disagree on
#: some of them.
MIN_SAMPLE_INCLUDES = 10
#: Fewer sampled records than this and kappa's confidence interval will be wide.
MIN_SAMPLE_SIZE = 30

SIMPLE = "simple"
STRATIFIED = "stratified"
OVERSAMPLED = "stratified+oversampled"


@dataclass(frozen=True)
class SampleDraw:
    """A drawn sample and how it was drawn, ready to store and to report.

    ``ids`` are sorted. ``method`` is 'simple', 'stratified' or 'stratified+oversampled'.
    ``target_size`` is ``ceil(fraction * population)``; ``len(ids)`` exceeds it only when
    oversampling added records. ``strata_population`` and ``strata_sample`` count records per
    stratum (empty for a simple sample). ``includes`` is the number of sampled records whose
    first decision (or stratum) is ``include_label``, None when that is unknown.
    """

    ids: list[int]
    seed: int
    fraction: float
    method: str
    population: int
    target_size: int
    strata_population: dict[str, int] = field(default_factory=dict)
    strata_sample: dict[str, int] = field(default_factory=dict)
    oversample: dict[str, int] = field(default_factory=dict)
    include_label: str = "include"
    includes: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Number of records drawn."""
        return len(self.ids)

    def describe(self) -> str:
        """One sentence for a methods section saying how the sample was drawn."""
        pct = f"{self.fraction * 100:.4g}%"
        size = (
            f"{self.size} of {self.population} records ({pct} of {self.population} is "
            f"{self.target_size} when rounded up"
        )
        added = self.size - self.target_size
        if added > 0:
            size += f", plus {added} added by oversampling"
        rng = f"Python's random.Random (seed {self.seed})"
        if self.method == SIMPLE:
            return f"A simple random sample without replacement of {size}) was drawn with {rng}."
        parts = ", ".join(
            f"{label} {self.strata_sample.get(label, 0)} of {count}"
            for label, count in self.strata_population.items()
        )
        text = (
            f"A stratified random sample without replacement of {size}) was drawn with {rng}, "
            f"allocated in proportion to stratum size ({parts})"
        )
        if self.oversample:
            wanted = ", ".join(f"{label} at least {k}" for label, k in self.oversample.items())
            text += f" and oversampling {wanted}"
        return text + "."

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of everything needed to store and re-draw the sample."""
        return {
            "ids": list(self.ids),
            "size": self.size,
            "seed": self.seed,
            "fraction": self.fraction,
            "method": self.method,
            "population": self.population,
            "target_size": self.target_size,
            "strata_population": dict(self.strata_population),
            "strata_sample": dict(self.strata_sample),
            "oversample": dict(self.oversample),
            "include_label": self.include_label,
            "includes": self.includes,
            "warnings": list(self.warnings),
            "description": self.describe(),
        }


def sample_size(population: int, fraction: float) -> int:
    """``ceil(fraction * population)``, the fraction read as the decimal it was written as."""
    _check_fraction(fraction)
    if population < 0:
        raise ValueError(f"population must not be negative, got {population}")
    return math.ceil(Fraction(repr(float(fraction))) * population)


def draw_sample(
    record_ids: Sequence[int],
    fraction: float,
    seed: int,
    *,
    strata: Mapping[int, str] | None = None,
    oversample: Mapping[str, int] | None = None,
    decisions: Mapping[int, str] | None = None,
    include_label: str = "include",
) -> SampleDraw:
    """Draw a simple or stratified random sample without replacement of ``record_ids``.

    ``fraction`` must lie in (0, 1]; ``seed`` must be an integer. ``strata`` maps every record
    id to a stratum label (e.g. its first decision or its source) and switches on
    proportional stratified allocation; ``oversample`` (needs ``strata``) maps a stratum to
    the minimum number of its records to draw. ``decisions`` maps record ids to the first
    reviewer's decision and is used only to count the includes in the sample (when it is
    absent and the strata are decisions, the strata are counted instead); fewer than
    ``MIN_SAMPLE_INCLUDES`` gives a warning. Raises ``ValueError`` naming the problem for an
    empty or duplicated id list, a bad fraction or seed, ids without a stratum, oversampling
    without strata or with a negative minimum.
    """
    _check_fraction(fraction)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    ids = _sorted_unique(record_ids)
    population = len(ids)
    target = sample_size(population, fraction)
    rng = random.Random(seed)
    warnings: list[str] = []

    if strata is None:
        if oversample:
            raise ValueError(
                "oversampling needs strata: pass strata (e.g. each record's first decision) "
                "to say which records belong to the oversampled stratum"
            )
        chosen = sorted(rng.sample(ids, target))
        draw = SampleDraw(
            ids=chosen,
            seed=seed,
            fraction=fraction,
            method=SIMPLE,
            population=population,
            target_size=target,
            include_label=include_label,
        )
    else:
        draw = _stratified(
            ids,
            fraction,
            seed,
            rng,
            target,
            strata,
            dict(oversample or {}),
            include_label,
            warnings,
        )

    includes = _count_includes(draw.ids, decisions, strata, include_label)
    _size_warnings(draw, ids, includes, decisions, strata, warnings)
    return replace(draw, includes=includes, warnings=warnings)


def _check_fraction(fraction: float) -> None:
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
    if math.isnan(fraction) or not 0 < fraction <= 1:
        raise ValueError(
            f"fraction must be greater than 0 and at most 1 (e.g. 0.10 for 10%), got {fraction}"
        )


def _sorted_unique(record_ids: Sequence[int]) -> list[int]:
    if not record_ids:
        raise ValueError(
            "there are no records to sample from: the first reviewer has not decided any "
            "record at this stage yet"
        )
    seen: set[int] = set()
    for rid in record_ids:
        if isinstance(rid, bool) or not isinstance(rid, int):
            raise ValueError(f"record ids must be integers, got {rid!r}")
        if rid in seen:
            raise ValueError(f"record id {rid} appears more than once in the records to sample")
        seen.add(rid)
    return sorted(seen)


def _stratified(
    ids: list[int],
    fraction: float,
    seed: int,
    rng: random.Random,
    target: int,
    strata: Mapping[int, str],
    oversample: dict[str, int],
    include_label: str,
    warnings: list[str],
) -> SampleDraw:
    missing = [rid for rid in ids if rid not in strata]
    if missing:
        shown = ", ".join(str(r) for r in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ValueError(f"records without a stratum: {shown}{more}")
    members: dict[str, list[int]] = {}
    for rid in ids:  # ids are sorted, so each member list is too
        members.setdefault(strata[rid], []).append(rid)
    labels = sorted(members)
    sizes = {label: len(members[label]) for label in labels}

    alloc = _allocate(sizes, target)
    starved = [label for label in labels if alloc[label] == 0]
    if starved:
        warnings.append(
            f"The sample ({target} records) is smaller than the number of strata "
            f"({len(labels)}), so these strata get no record: {', '.join(starved)}."
        )

    for label, minimum in oversample.items():
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            raise ValueError(
                f"oversample minimum for stratum {label!r} must be a whole number >= 0, "
                f"got {minimum!r}"
            )
        if label not in sizes:
            warnings.append(
                f"Cannot oversample '{label}': no record is in that stratum (strata: "
                f"{', '.join(labels)})."
            )
            continue
        if minimum > sizes[label]:
            warnings.append(
                f"Asked for at least {minimum} '{label}' records but only {sizes[label]} "
                f"exist; all {sizes[label]} are in the sample."
            )
        alloc[label] = max(alloc[label], min(minimum, sizes[label]))

    chosen: list[int] = []
    for label in labels:
        chosen.extend(rng.sample(members[label], alloc[label]))
    added = sum(alloc.values()) - target
    method = OVERSAMPLED if added > 0 else STRATIFIED
    if added > 0:
        enriched = [label for label in oversample if label in sizes]
        for label in enriched:
            share_sample = alloc[label] / len(chosen)
            share_all = sizes[label] / len(ids)
            if share_sample > share_all:
                warnings.append(
                    f"Oversampling added {added} record{'s' if added != 1 else ''}: '{label}' "
                    f"is {share_sample:.0%} of the sample but {share_all:.0%} of all records, "
                    "so the agreement statistics describe this enriched sample rather than the "
                    "whole set of screened records; say so when reporting them."
                )
    return SampleDraw(
        ids=sorted(chosen),
        seed=seed,
        fraction=fraction,
        method=method,
        population=len(ids),
        target_size=target,
        strata_population=sizes,
        strata_sample={label: alloc[label] for label in labels},
        oversample=dict(oversample),
        include_label=include_label,
    )


def _allocate(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Largest-remainder allocation of ``total``; at least one per stratum where it can."""
    population = sum(sizes.values())
    quotas = {label: Fraction(total * n, population) for label, n in sizes.items()}
    alloc = {label: math.floor(q) for label, q in quotas.items()}
    left = total - sum(alloc.values())
    by_remainder = sorted(
        sizes, key=lambda label: (-(quotas[label] - alloc[label]), -sizes[label], label)
    )
    for label in by_remainder[:left]:
        alloc[label] += 1
    if total >= len(sizes):
        for label in sorted(sizes, key=lambda lb: (-sizes[lb], lb)):
            if alloc[label] > 0:
                continue
            donor = max(
                (lb for lb in sizes if alloc[lb] >= 2),
                key=lambda lb: (alloc[lb] - quotas[lb], sizes[lb], lb),
            )
            alloc[donor] -= 1
            alloc[label] = 1
    return alloc


def _count_includes(
    chosen: Sequence[int],
    decisions: Mapping[int, str] | None,
    strata: Mapping[int, str] | None,
    include_label: str,
) -> int | None:
    if decisions is not None:
        return sum(1 for rid in chosen if decisions.get(rid) == include_label)
    if strata is not None and include_label in set(strata.values()):
        return sum(1 for rid in chosen if strata.get(rid) == include_label)
    return None


def _size_warnings(
    draw: SampleDraw,
    ids: list[int],
    includes: int | None,
    decisions: Mapping[int, str] | None,
    strata: Mapping[int, str] | None,
    warnings: list[str],
) -> None:
    if draw.size < MIN_SAMPLE_SIZE:
        warnings.append(
            f"The sample holds only {draw.size} records (fewer than {MIN_SAMPLE_SIZE}): kappa's "
            "confidence interval will be wide; consider a larger fraction."
        )
    if includes is None or includes >= MIN_SAMPLE_INCLUDES:
        return
    label = draw.include_label
    source = decisions if decisions is not None else strata
    labels = source or {}
    available = sum(1 for rid in ids if labels.get(rid) == label)
    plural = "s" if includes != 1 else ""
    if includes >= available:
        warnings.append(
            f"The sample holds only {includes} {label}{plural}, every one there is: kappa will "
            "be unstable and its interval wide; report the table with PABAK and AC1."
        )
        return
    warnings.append(
        f"The sample holds only {includes} {label}{plural} (fewer than {MIN_SAMPLE_INCLUDES}); "
        f"kappa will be unstable — consider --stratify decision / oversampling {label}s "
        f"({available} {label}{'s' if available != 1 else ''} among the {draw.population} "
        "records)."
    )
