"""The second reviewer's sample for the dual-screening agreement check: draw it, follow both
reviewers' progress, and open the comparison.

A sample is a simple random sample without replacement (or a stratified one) of the records the
first reviewer A decided at a stage, drawn with `realist.agreement.draw_sample` from a seed, so
it can be drawn again identically. Drawing never looks at any queue order: the ids go to the
draw sorted, whatever order a ranking model would screen them in.

While the comparison is not open the sample is *blind*: the second reviewer B screens only its
records and sees nothing of A's work at that stage anywhere (`realist.services.visibility`).
A lead opens the comparison once both have decided every record of the sample; the agreement
report, the disagreements and their resolution then become available.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from realist.agreement import SampleDraw, draw_sample
from realist.agreement.sample import MIN_SAMPLE_INCLUDES, sample_size
from realist.db.models import (
    ImportBatch,
    Record,
    Reviewer,
    Sample,
    SampleRecord,
    ScreeningDecision,
    as_utc,
    utcnow,
)
from realist.domain import Decision, Role, Stage
from realist.errors import InvalidInputError, NotFoundError
from realist.services import audit, visibility
from realist.services.context import Actor, Workspace
from realist.services.screening import parse_stage

STRATIFY: Final = ("decision", "source")
"""How a sample may be stratified: by the first reviewer's decision, or by the record's source."""

NO_SOURCE: Final = "(no source)"

BLIND: Final = "blind"
READY: Final = "ready"
OPEN: Final = "open"


@dataclass(frozen=True)
class SampleProgress:
    """How many records of a sample each reviewer has decided at the sample's stage.

    A count is None when the viewer may not see that reviewer's decisions (blind)."""

    size: int
    first_decided: int | None
    second_decided: int | None

    @property
    def complete(self) -> bool:
        """Both reviewers decided every record (as far as the viewer can tell)."""
        return self.first_decided == self.size and self.second_decided == self.size


@dataclass(frozen=True)
class SampleInfo:
    """A stored sample as the acting reviewer may see it.

    `redacted` is True when the viewer is blind to the first reviewer's work at the sample's
    stage: the counts derived from the first reviewer's decisions (population, includes,
    strata), the draw's warnings and its description are then left out.
    """

    id: int
    stage: str
    fraction: float
    seed: int
    stratify: str | None
    method: str | None
    first_reviewer: str
    second_reviewer: str
    drawn_by: str | None
    drawn_at: datetime
    size: int
    record_ids: tuple[int, ...]
    progress: SampleProgress
    opened_at: datetime | None = None
    opened_by: str | None = None
    population: int | None = None
    includes: int | None = None
    oversample: dict[str, int] = field(default_factory=dict)
    strata_population: dict[str, int] = field(default_factory=dict)
    strata_sample: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    description: str | None = None
    redacted: bool = False

    @property
    def blind(self) -> bool:
        """The comparison is not open: the second reviewer screens blind."""
        return self.opened_at is None

    @property
    def status(self) -> str:
        """'blind' (screening), 'ready' (both finished, a lead may open it) or 'open'."""
        if not self.blind:
            return OPEN
        return READY if self.progress.complete else BLIND

    def draw(self) -> SampleDraw | None:
        """The draw as `realist.agreement` describes it (None when redacted)."""
        if self.redacted or self.population is None or self.method is None:
            return None
        return SampleDraw(
            ids=list(self.record_ids),
            seed=self.seed,
            fraction=self.fraction,
            method=self.method,
            population=self.population,
            target_size=sample_size(self.population, self.fraction),
            strata_population=dict(self.strata_population),
            strata_sample=dict(self.strata_sample),
            oversample=dict(self.oversample),
            includes=self.includes,
            warnings=list(self.warnings),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (redacted fields are null or empty)."""
        p = self.progress
        return {
            "id": self.id,
            "stage": self.stage,
            "status": self.status,
            "fraction": self.fraction,
            "seed": self.seed,
            "stratify": self.stratify,
            "method": self.method,
            "first_reviewer": self.first_reviewer,
            "second_reviewer": self.second_reviewer,
            "drawn_by": self.drawn_by,
            "drawn_at": self.drawn_at.isoformat(),
            "size": self.size,
            "record_ids": list(self.record_ids),
            "first_decided": p.first_decided,
            "second_decided": p.second_decided,
            "comparison_opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "comparison_opened_by": self.opened_by,
            "population": self.population,
            "includes": self.includes,
            "oversample": dict(self.oversample),
            "strata_population": dict(self.strata_population),
            "strata_sample": dict(self.strata_sample),
            "warnings": list(self.warnings),
            "description": self.description,
            "redacted": self.redacted,
        }


@dataclass(frozen=True)
class SamplePlan:
    """A draw worked out but not stored (what `preview` returns, and what `draw` stores)."""

    stage: str
    first_reviewer: str
    second_reviewer: str
    stratify: str | None
    draw: SampleDraw
    strata: dict[int, str]
    second_already: int  # records left out: the second reviewer had decided them already
    warnings: tuple[str, ...]

    @property
    def few_includes(self) -> bool:
        """Fewer first-reviewer includes in the sample than a stable kappa needs."""
        return self.draw.includes is not None and self.draw.includes < MIN_SAMPLE_INCLUDES

    @property
    def can_oversample(self) -> bool:
        """Oversampling includes would add some (there are includes outside the sample)."""
        if not self.few_includes or self.stratify == "source":
            return False
        available = self.draw.strata_population.get(Decision.INCLUDE.value)
        if available is None:
            return self.draw.includes is not None
        return available > (self.draw.includes or 0)


# --------------------------------------------------------------------------------------------
# Reading


def _name(s: Session, reviewer_id: int | None) -> str | None:
    if reviewer_id is None:
        return None
    return s.scalar(select(Reviewer.name).where(Reviewer.id == reviewer_id))


def find_sample(s: Session, ws: Workspace, sample_id: int) -> Sample:
    """The sample `sample_id` of this review, or a clear error."""
    sample = s.get(Sample, sample_id)
    if sample is None or sample.review_id != ws.review_id:
        raise NotFoundError(
            f"no sample {sample_id} in this review (see `realist comparison status`)"
        )
    return sample


def sample_record_ids(s: Session, sample_id: int) -> list[int]:
    """The records of a sample, in id order."""
    return list(
        s.scalars(
            select(SampleRecord.record_id)
            .where(SampleRecord.sample_id == sample_id)
            .order_by(SampleRecord.record_id)
        )
    )


def _decided(s: Session, ws: Workspace, reviewer_id: int, stage: str, sample_id: int) -> int | None:
    if visibility.hides(s, ws, reviewer_id, stage):
        return None
    d = ScreeningDecision
    return int(
        s.scalar(
            select(func.count())
            .select_from(d)
            .where(
                d.reviewer_id == reviewer_id,
                d.stage == stage,
                d.is_current,
                d.review_id == ws.review_id,
                d.record_id.in_(
                    select(SampleRecord.record_id).where(SampleRecord.sample_id == sample_id)
                ),
                visibility.decision_visibility(s, ws, d),
            )
        )
        or 0
    )


def sample_info(s: Session, ws: Workspace, sample: Sample) -> SampleInfo:
    """A stored sample as the acting reviewer may see it (see `SampleInfo.redacted`)."""
    ids = sample_record_ids(s, sample.id)
    progress = SampleProgress(
        len(ids),
        _decided(s, ws, sample.first_reviewer_id, sample.stage, sample.id),
        _decided(s, ws, sample.second_reviewer_id, sample.stage, sample.id),
    )
    redacted = visibility.hides(s, ws, sample.first_reviewer_id, sample.stage)
    params: Mapping[str, Any] = {} if redacted else (sample.params or {})
    return SampleInfo(
        id=sample.id,
        stage=sample.stage,
        fraction=sample.fraction,
        seed=sample.seed,
        stratify=sample.stratify,
        method=(sample.params or {}).get("method"),
        first_reviewer=_name(s, sample.first_reviewer_id) or "?",
        second_reviewer=_name(s, sample.second_reviewer_id) or "?",
        drawn_by=_name(s, sample.drawn_by_id),
        drawn_at=as_utc(sample.drawn_at),
        size=sample.size,
        record_ids=tuple(ids),
        progress=progress,
        opened_at=as_utc(sample.comparison_opened_at) if sample.comparison_opened_at else None,
        opened_by=_name(s, sample.comparison_opened_by_id),
        population=params.get("population"),
        includes=params.get("includes"),
        oversample={str(k): int(v) for k, v in (params.get("oversample") or {}).items()},
        strata_population=dict(params.get("strata_population") or {}),
        strata_sample=dict(params.get("strata_sample") or {}),
        warnings=tuple(params.get("warnings") or ()),
        description=params.get("description"),
        redacted=redacted,
    )


def list_samples(ws: Workspace) -> list[SampleInfo]:
    """Every sample of the review, oldest first, as the acting reviewer may see it."""
    with ws.store.read() as s:
        rows = s.scalars(
            select(Sample).where(Sample.review_id == ws.review_id).order_by(Sample.id)
        ).all()
        return [sample_info(s, ws, r) for r in rows]


def get_sample(ws: Workspace, sample_id: int) -> SampleInfo:
    """One sample as the acting reviewer may see it."""
    with ws.store.read() as s:
        return sample_info(s, ws, find_sample(s, ws, sample_id))


# --------------------------------------------------------------------------------------------
# Drawing


def _reviewer(s: Session, name: str, what: str) -> Reviewer:
    person = s.scalars(select(Reviewer).where(Reviewer.name == name)).first()
    if person is None:
        known = ", ".join(s.scalars(select(Reviewer.name).order_by(Reviewer.name))) or "none"
        raise NotFoundError(f"unknown {what} {name!r} (reviewers: {known})")
    if not person.active:
        raise InvalidInputError(f"{what} {name!r} is deactivated")
    return person


def _decision_counts(s: Session, ws: Workspace, stage: str) -> dict[int, int]:
    d = ScreeningDecision
    return {
        int(who): int(n)
        for who, n in s.execute(
            select(d.reviewer_id, func.count())
            .join(Record, Record.id == d.record_id)
            .where(
                d.review_id == ws.review_id,
                d.stage == stage,
                d.is_current,
                Record.duplicate_of_id.is_(None),
                visibility.decision_visibility(s, ws, d),
            )
            .group_by(d.reviewer_id)
        )
    }


def _first_reviewer(
    s: Session, ws: Workspace, name: str | None, second: Reviewer, stage: Stage
) -> Reviewer:
    if name is not None:
        person = _reviewer(s, name, "first reviewer")
        if person.id == second.id:
            raise InvalidInputError(
                f"the first and second reviewer are both {name}; the second reviewer screens "
                "the first reviewer's records again, so they must be two people"
            )
        return person
    counts = {who: n for who, n in _decision_counts(s, ws, stage.value).items() if who != second.id}
    if len(counts) == 1:
        only = s.get(Reviewer, next(iter(counts)))
        assert only is not None
        return only
    if not counts:
        raise InvalidInputError(
            f"nobody but {second.name} has decided records at the {stage.label} stage yet: "
            "there is nothing to sample"
        )
    names = dict(s.execute(select(Reviewer.id, Reviewer.name).where(Reviewer.id.in_(counts))).all())
    listing = ", ".join(f"{names[i]} ({n} decisions)" for i, n in sorted(counts.items()))
    raise InvalidInputError(
        f"several reviewers decided records at the {stage.label} stage ({listing}); name the "
        "first reviewer with --first NAME"
    )


def _check_second(person: Reviewer) -> None:
    if person.role == Role.LEAD.value:
        raise InvalidInputError(
            f"{person.name} is a lead, and leads see every decision, so {person.name} cannot "
            "screen blind; choose a second reviewer with the reviewer role"
        )
    if person.role != Role.REVIEWER.value:
        raise InvalidInputError(
            f"{person.name} ({person.role}) does not screen records; choose a second reviewer "
            "with the reviewer role"
        )


def _population(
    s: Session, ws: Workspace, first_id: int, stage: str
) -> tuple[dict[int, str], dict[int, str]]:
    """The first reviewer's current decision per record (not duplicates), and each record's
    source label."""
    d = ScreeningDecision
    decisions: dict[int, str] = {}
    sources: dict[int, str] = {}
    for rec, dec, source in s.execute(
        select(
            d.record_id,
            d.decision,
            func.coalesce(ImportBatch.source_db, ImportBatch.file_name),
        )
        .join(Record, Record.id == d.record_id)
        .outerjoin(ImportBatch, ImportBatch.id == Record.batch_id)
        .where(
            d.review_id == ws.review_id,
            d.reviewer_id == first_id,
            d.stage == stage,
            d.is_current,
            Record.duplicate_of_id.is_(None),
            visibility.decision_visibility(s, ws, d),
        )
    ):
        decisions[int(rec)] = str(dec)
        sources[int(rec)] = str(source) if source else NO_SOURCE
    return decisions, sources


def _blind_sample_of(s: Session, ws: Workspace, second_id: int, stage: str) -> Sample | None:
    return s.scalars(
        select(Sample).where(
            Sample.review_id == ws.review_id,
            Sample.second_reviewer_id == second_id,
            Sample.stage == stage,
            Sample.comparison_opened_at.is_(None),
        )
    ).first()


def _plan(
    s: Session,
    ws: Workspace,
    *,
    second: str,
    fraction: float,
    seed: int,
    stage: Stage,
    first: str | None,
    stratify: str | None,
    oversample_includes: int | None,
) -> tuple[SamplePlan, Reviewer, Reviewer]:
    if stratify is not None and stratify not in STRATIFY:
        raise InvalidInputError(
            f"unknown stratification {stratify!r}; use {' or '.join(STRATIFY)} (or none)"
        )
    if oversample_includes is not None:
        if oversample_includes < 1:
            raise InvalidInputError(
                f"--oversample-includes must be a whole number of at least 1, got "
                f"{oversample_includes}"
            )
        if stratify == "source":
            raise InvalidInputError(
                "oversampling includes stratifies by the first reviewer's decision; it cannot "
                "be combined with --stratify source"
            )
        stratify = "decision"
    b = _reviewer(s, second, "second reviewer")
    _check_second(b)
    a = _first_reviewer(s, ws, first, b, stage)
    decisions, sources = _population(s, ws, a.id, stage.value)
    if not decisions:
        raise InvalidInputError(
            f"{a.name} has not decided any record at the {stage.label} stage yet: there is "
            "nothing to sample"
        )
    # Records the second reviewer already decided at this stage were not screened blind and
    # are already double-screened: they are left out of the population.
    d = ScreeningDecision
    already = set(
        s.scalars(
            select(d.record_id).where(
                d.review_id == ws.review_id,
                d.reviewer_id == b.id,
                d.stage == stage.value,
                d.is_current,
            )
        )
    ) & set(decisions)
    for rid in already:
        decisions.pop(rid)
        sources.pop(rid)
    if not decisions:
        raise InvalidInputError(
            f"{b.name} has already decided every record {a.name} decided at the {stage.label} "
            "stage: there is nothing left to sample (compare them with `realist agreement "
            f"--reviewer {a.name} --reviewer {b.name}`)"
        )
    strata = {"decision": decisions, "source": sources}.get(stratify or "")
    try:
        drawn = draw_sample(
            list(decisions),
            fraction,
            seed,
            strata=strata,
            oversample={Decision.INCLUDE.value: oversample_includes}
            if oversample_includes
            else None,
            decisions=decisions,
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    warnings = list(drawn.warnings)
    if already:
        warnings.append(
            f"{len(already)} record{'s' if len(already) != 1 else ''} {b.name} had already "
            f"decided at the {stage.label} stage {'were' if len(already) != 1 else 'was'} left "
            f"out of the population: {'they were' if len(already) != 1 else 'it was'} not "
            "screened blind."
        )
    plan = SamplePlan(
        stage=stage.value,
        first_reviewer=a.name,
        second_reviewer=b.name,
        stratify=stratify,
        draw=drawn,
        strata=dict(strata or {}),
        second_already=len(already),
        warnings=tuple(warnings),
    )
    return plan, a, b


def preview(
    ws: Workspace,
    second: str,
    fraction: float,
    seed: int,
    *,
    stage: Stage | str = Stage.TITLE_ABSTRACT,
    first: str | None = None,
    stratify: str | None = None,
    oversample_includes: int | None = None,
) -> SamplePlan:
    """Work out the sample `draw` would store, without storing it (leads only)."""
    ws.require_role(Role.LEAD, action="draw an agreement sample")
    with ws.store.read() as s:
        plan, _a, _b = _plan(
            s,
            ws,
            second=second,
            fraction=fraction,
            seed=seed,
            stage=parse_stage(stage),
            first=first,
            stratify=stratify,
            oversample_includes=oversample_includes,
        )
        return plan


def draw(
    ws: Workspace,
    second: str,
    fraction: float,
    seed: int,
    *,
    stage: Stage | str = Stage.TITLE_ABSTRACT,
    first: str | None = None,
    stratify: str | None = None,
    oversample_includes: int | None = None,
    replace: bool = False,
) -> SampleInfo:
    """Draw and store the second reviewer's sample of the first reviewer's decided records.

    `second` screens the sample blind; `first` is the reviewer whose decisions are checked (by
    default the only other reviewer with decisions at `stage`). The population is the records
    `first` decided at `stage` (duplicates and records `second` already decided there left
    out), taken in id order: no queue or ranking order plays a part. `fraction` in (0, 1] and
    `seed` give a reproducible simple random sample without replacement; `stratify`
    ('decision' or 'source') allocates it in proportion to each stratum; `oversample_includes`
    K draws at least K of the first reviewer's includes (stratifying by decision). The draw's
    warnings (too few includes for a stable kappa, a small sample, records left out) are
    stored with it and returned. One blind sample per second reviewer and stage:
    `replace` discards the one there is (its records, and the second reviewer's decisions on
    them, stay). Leads only; audited.
    """
    actor = ws.require_role(Role.LEAD, action="draw an agreement sample")
    st = parse_stage(stage)
    with ws.store.transaction() as s:
        plan, a, b = _plan(
            s,
            ws,
            second=second,
            fraction=fraction,
            seed=seed,
            stage=st,
            first=first,
            stratify=stratify,
            oversample_includes=oversample_includes,
        )
        existing = _blind_sample_of(s, ws, b.id, st.value)
        if existing is not None:
            if not replace:
                raise InvalidInputError(
                    f"{b.name} is already screening sample {existing.id} blind at the "
                    f"{st.label} stage; open its comparison when both have finished, or draw "
                    "again with --replace to discard it"
                )
            _discard(s, ws, existing, b.id)
        sample = _store(s, ws, actor, plan, a, b, fraction, seed)
        audit.log(
            s,
            ws,
            "agreement.sample",
            "sample",
            sample.id,
            stage=st.value,
            first=a.name,
            second=b.name,
            fraction=fraction,
            seed=seed,
            stratify=plan.stratify,
            method=plan.draw.method,
            oversample=plan.draw.oversample,
            size=plan.draw.size,
            ids=plan.draw.ids,
            strata={str(k): v for k, v in plan.strata.items() if k in set(plan.draw.ids)},
            warnings=list(plan.warnings),
        )
        visibility.forget(s)
        return sample_info(s, ws, sample)


def _store(
    s: Session,
    ws: Workspace,
    actor: Actor,
    plan: SamplePlan,
    a: Reviewer,
    b: Reviewer,
    fraction: float,
    seed: int,
) -> Sample:
    params = plan.draw.to_dict()
    params.pop("ids", None)  # the ids are the sample's records
    params["warnings"] = list(plan.warnings)
    params["second_already_decided"] = plan.second_already
    sample = Sample(
        review_id=ws.review_id,
        stage=plan.stage,
        fraction=fraction,
        seed=seed,
        stratify=plan.stratify,
        params=params,
        first_reviewer_id=a.id,
        second_reviewer_id=b.id,
        drawn_by_id=actor.id,
        drawn_at=utcnow(),
        size=plan.draw.size,
    )
    s.add(sample)
    s.flush()
    s.add_all(
        SampleRecord(sample_id=sample.id, record_id=rid, stratum=plan.strata.get(rid))
        for rid in plan.draw.ids
    )
    s.flush()
    return sample


def _discard(s: Session, ws: Workspace, sample: Sample, second_id: int) -> None:
    ids = sample_record_ids(s, sample.id)
    d = ScreeningDecision
    decided = int(
        s.scalar(
            select(func.count())
            .select_from(d)
            .where(
                d.reviewer_id == second_id,
                d.stage == sample.stage,
                d.is_current,
                d.record_id.in_(ids),
            )
        )
        or 0
    )
    audit.log(
        s,
        ws,
        "agreement.sample_discard",
        "sample",
        sample.id,
        stage=sample.stage,
        ids=ids,
        second_decided=decided,
    )
    s.execute(delete(SampleRecord).where(SampleRecord.sample_id == sample.id))
    s.execute(delete(Sample).where(Sample.id == sample.id))
    s.flush()


# --------------------------------------------------------------------------------------------
# Opening the comparison


def _choose_blind(s: Session, ws: Workspace, sample_id: int | None) -> Sample:
    if sample_id is not None:
        return find_sample(s, ws, sample_id)
    rows = s.scalars(
        select(Sample)
        .where(Sample.review_id == ws.review_id, Sample.comparison_opened_at.is_(None))
        .order_by(Sample.id)
    ).all()
    if not rows:
        raise InvalidInputError("no blind sample is waiting for its comparison to be opened")
    if len(rows) > 1:
        listing = "; ".join(
            f"{r.id} ({_name(s, r.first_reviewer_id)} / {_name(s, r.second_reviewer_id)}, "
            f"{Stage(r.stage).label})"
            for r in rows
        )
        raise InvalidInputError(f"several samples are blind ({listing}); name one with --sample ID")
    return rows[0]


def missing_decisions(s: Session, sample: Sample) -> tuple[list[int], list[int]]:
    """Records of the sample the first / the second reviewer has not decided at its stage."""
    ids = sample_record_ids(s, sample.id)
    d = ScreeningDecision

    def decided(who: int) -> set[int]:
        return set(
            s.scalars(
                select(d.record_id).where(
                    d.reviewer_id == who,
                    d.stage == sample.stage,
                    d.is_current,
                    d.record_id.in_(ids),
                )
            )
        )

    first, second = decided(sample.first_reviewer_id), decided(sample.second_reviewer_id)
    return [r for r in ids if r not in first], [r for r in ids if r not in second]


def open_comparison(ws: Workspace, sample_id: int | None = None) -> SampleInfo:
    """Open the comparison of a blind sample (the only blind one when `sample_id` is None).

    Refused unless both reviewers have decided every record of the sample at its stage. From
    then on the second reviewer sees the first reviewer's work again, and the agreement report,
    the disagreements and their resolution are available. Leads only; audited.
    """
    actor = ws.require_role(Role.LEAD, action="open the comparison of an agreement sample")
    with ws.store.transaction() as s:
        sample = _choose_blind(s, ws, sample_id)
        if sample.comparison_opened_at is not None:
            raise InvalidInputError(
                f"the comparison of sample {sample.id} is already open (since "
                f"{as_utc(sample.comparison_opened_at):%Y-%m-%d %H:%M} UTC)"
            )
        missing_a, missing_b = missing_decisions(s, sample)
        if missing_a or missing_b:
            size = sample.size
            label = Stage(sample.stage).label
            parts = []
            for who, missing in (
                (sample.first_reviewer_id, missing_a),
                (sample.second_reviewer_id, missing_b),
            ):
                shown = ", ".join(f"#{r}" for r in missing[:5]) + (
                    " ..." if len(missing) > 5 else ""
                )
                parts.append(
                    f"{_name(s, who)} has decided {size - len(missing)} of {size}"
                    + (f" (waiting: {shown})" if missing else "")
                )
            raise InvalidInputError(
                f"cannot open the comparison of sample {sample.id} yet: {'; '.join(parts)}. "
                f"Both reviewers must decide every record of the sample at the {label} stage "
                "first; until then it stays blind"
            )
        sample.comparison_opened_at = utcnow()
        sample.comparison_opened_by_id = actor.id
        s.flush()
        audit.log(
            s,
            ws,
            "agreement.comparison_open",
            "sample",
            sample.id,
            stage=sample.stage,
            first=_name(s, sample.first_reviewer_id),
            second=_name(s, sample.second_reviewer_id),
            size=sample.size,
        )
        visibility.forget(s)
        return sample_info(s, ws, sample)
