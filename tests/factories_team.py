"""Builders for team-mode tests: a shared PostgreSQL review whose reviewers connect with their
own database roles (created by `realist.services.team`), and SQLite reviews with one reviewer
per role. Nothing here asserts anything."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, select, text
from sqlalchemy.engine import make_url

from realist.db import migrate
from realist.db.models import Document, DuplicatePair, Record, Sample, SampleRecord, TagDef
from realist.db.store import Store
from realist.services import (
    cmoc_edit,
    codes,
    criteria,
    decisions_import,
    dedup_service,
    duplicates_queue,
    excerpts,
    fulltext,
    imports,
    resolution,
    reviewers,
    samples,
    screening,
    team,
)
from realist.services.context import Workspace, resolve_actor
from realist.services.reviews import create_review
from realist.yamlio.loader import load_paths
from tests.factories import make_pdf, make_records
from tests.factories_coding import attach_pages

# name -> application role; A screens first, B second (blinded), C codes, O observes.
PEOPLE = {"LEAD": "lead", "A": "reviewer", "B": "reviewer", "C": "coder", "O": "observer"}


def setup_review(store: Store, people: dict[str, str] = PEOPLE, records: int = 6) -> Workspace:
    """Schema, a review, the reviewers, `records` records and two tags; acting as LEAD."""
    migrate.upgrade(store)
    review_id = create_review(store, "Team review")
    ws = Workspace(store, review_id)
    for name, role in people.items():
        reviewers.add_reviewer(ws, name, role=role)
        if ws.actor is None:
            ws = ws.with_actor(resolve_actor(store, name))
    if records:
        make_records(ws, records, seed=3)
    with store.transaction() as s:
        s.add(TagDef(review_id=review_id, code="race", label="Race", group="progress", key="1"))
        s.add(TagDef(review_id=review_id, code="gap", label="Gap", group="focus", key="g"))
    return ws


def as_reviewer(store: Store, review_id: int, name: str) -> Workspace:
    return Workspace(store, review_id, resolve_actor(store, name))


def draw_sample(
    ws: Workspace, first: str, second: str, record_ids: list[int], stage: str = "title_abstract"
) -> int:
    """A blinded sample (comparison not opened) of `record_ids` for `second` to screen."""
    with ws.store.transaction() as s:
        ids = {
            r.name: r.id
            for r in (resolve_actor(ws.store, first), resolve_actor(ws.store, second))
            if r is not None
        }
        sample = Sample(
            review_id=ws.review_id,
            stage=stage,
            fraction=0.5,
            seed=1,
            first_reviewer_id=ids[first],
            second_reviewer_id=ids[second],
            size=len(record_ids),
            params={},
        )
        s.add(sample)
        s.flush()
        for rid in record_ids:
            s.add(SampleRecord(sample_id=sample.id, record_id=rid))
        return sample.id


def open_comparison(ws: Workspace, sample_id: int) -> None:
    with ws.store.transaction() as s:
        sample = s.get(Sample, sample_id)
        assert sample is not None
        sample.comparison_opened_at = datetime.now(UTC)


@dataclass
class TeamDb:
    """A review on PostgreSQL after `realist team setup --apply`, with a password per role."""

    owner_url: str
    review_id: int
    plan: team.TeamPlan
    urls: dict[str, str]
    _stores: list[Store] = field(default_factory=list)
    _engines: list[Engine] = field(default_factory=list)

    def store(self, name: str) -> Store:
        """A store connecting as `name`'s own database role."""
        st = Store(self.urls[name])
        self._stores.append(st)
        return st

    def ws(self, name: str, acting_as: str | None = None) -> Workspace:
        """`name`'s connection, acting in the services as `acting_as` (default: themselves)."""
        st = self.store(name)
        return Workspace(st, self.review_id, resolve_actor(st, acting_as or name))

    def raw(self, name: str) -> Engine:
        """A plain engine as `name`: what a raw SQL client sees."""
        eng = create_engine(self.urls[name], isolation_level="AUTOCOMMIT")
        self._engines.append(eng)
        return eng

    def close(self) -> None:
        for st in self._stores:
            st.dispose()
        for eng in self._engines:
            eng.dispose()


@contextmanager
def team_database(
    pg_url: str, people: dict[str, str] = PEOPLE, records: int = 6
) -> Iterator[TeamDb]:
    """Set up team mode on the fresh database at `pg_url`; drop its roles afterwards.

    Roles are shared by the whole server: the prefix comes from the (unique) test database name,
    and every role is dropped at the end, even when the test fails.
    """
    owner = Store(pg_url)
    setup_review(owner, people, records)
    plan = team.plan_team(owner)
    db: TeamDb | None = None
    try:
        team.apply_team(owner, plan)
        urls = {}
        for m in plan.members:
            password = secrets.token_urlsafe(12)
            team.set_password(owner, m.db_role, password)
            urls[m.name] = (
                make_url(pg_url)
                .set(username=m.db_role, password=password)
                .render_as_string(hide_password=False)
            )
        with owner.engine.connect() as conn:
            review_id = int(conn.execute(text("SELECT min(id) FROM reviews")).scalar_one())
        db = TeamDb(pg_url, review_id, plan, urls)
        yield db
    finally:
        if db is not None:
            db.close()
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for st in team.drop_statements(plan):
                conn.execute(text(st))
        admin.dispose()
        owner.dispose()


# --------------------------------------------------------------------------------------------
# Every write path of the services, with the roles allowed to take it


@dataclass
class Ctx:
    """What the write paths act on, prepared by the lead (`prepare_write_paths`)."""

    lead: Workspace
    tmp: Path
    records: list[int]
    doc_ref: str
    code_id: int
    span: tuple[int, int]
    counter: int = 0

    def next(self) -> int:
        self.counter += 1
        return self.counter

    def record(self) -> int:
        return self.records[self.next() % len(self.records)]

    def decided_record(self) -> int:
        """A record the lead has just decided at title/abstract."""
        rid = self.record()
        screening.decide(self.lead, rid, "title_abstract", "exclude")
        return rid

    def code(self) -> int:
        return codes.add_code(self.lead, f"prepared code {self.next()}").id

    def excerpt(self) -> int:
        return excerpts.create_excerpt(self.lead, self.doc_ref, *self.span, [self.code()]).id

    def criterion(self) -> int:
        return criteria.add_criterion(self.lead, "inclusion", f"prepared {self.next()}").id

    def cmoc(self) -> str:
        label = f"P{self.next()}"
        cmoc_edit.create_cmoc(self.lead, label, context="c", mechanism="m", outcome="o")
        return label

    def pair(self) -> int:
        a, b = self.records[0], self.records[1 + self.next() % (len(self.records) - 1)]
        with self.lead.store.transaction() as s:
            s.execute(
                delete(DuplicatePair).where(
                    DuplicatePair.record_a_id == a, DuplicatePair.record_b_id == b
                )
            )
            pair = DuplicatePair(
                review_id=self.lead.review_id,
                record_a_id=a,
                record_b_id=b,
                score=0.9,
                status="unreviewed",
                evidence={},
            )
            s.add(pair)
            s.flush()
            return pair.id

    def ris(self) -> Path:
        n = self.next()
        path = self.tmp / f"search-{n}.ris"
        path.write_text(
            f"TY  - JOUR\nTI  - Imported record {n} on equity\nAU  - Smith, J\nPY  - 2020\n"
            f"ID  - IMP{n}\nER  - \n",
            encoding="utf-8",
        )
        return path

    def decisions_csv(self, reviewer: str) -> Path:
        path = self.tmp / f"decisions-{self.next()}.csv"
        with self.lead.store.read() as s:
            sid = s.scalar(select(Record.source_id).where(Record.id == self.records[-1]))
        path.write_text(f"source_id,decision\n{sid},include\n", encoding="utf-8")
        return path

    def review_yaml(self) -> Path:
        path = self.tmp / f"review-{self.next()}.yaml"
        path.write_text(
            "schema_version: 1\nkind: review\nreview:\n  title: Team review\n"
            "criteria:\n  inclusion: [Quality improvement]\n  exclusion: [Not QI]\n",
            encoding="utf-8",
        )
        return path


WriteFn = Callable[[Workspace, Ctx], object]


@dataclass(frozen=True)
class WritePath:
    name: str
    roles: frozenset[str]
    run: WriteFn


def _wp(name: str, roles: str, run: WriteFn) -> WritePath:
    return WritePath(name, frozenset(roles.split()), run)


SCREEN = "lead reviewer"
CODE = "lead reviewer coder"
WRITE_PATHS: list[WritePath] = [
    _wp("import a file", SCREEN, lambda ws, c: imports.import_file(ws, c.ris(), source="MEDLINE")),
    _wp("de-duplicate", SCREEN, lambda ws, c: dedup_service.run_dedup(ws)),
    _wp(
        "reject a duplicate pair", SCREEN, lambda ws, c: duplicates_queue.reject_pair(ws, c.pair())
    ),
    _wp(
        "confirm a duplicate pair",
        SCREEN,
        lambda ws, c: duplicates_queue.confirm_pair(ws, c.pair()),
    ),
    _wp(
        "decide", SCREEN, lambda ws, c: screening.decide(ws, c.record(), "title_abstract", "maybe")
    ),
    _wp("annotate", SCREEN, lambda ws, c: _annotate(ws, c)),
    _wp("undo a decision", SCREEN, lambda ws, c: screening.undo_last(ws, "title_abstract")),
    _wp(
        "tag", SCREEN, lambda ws, c: screening.toggle_tag(ws, c.record(), "race", "title_abstract")
    ),
    _wp("label", SCREEN, lambda ws, c: screening.toggle_label(ws, c.record(), f"label {c.next()}")),
    _wp(
        "import decisions",
        SCREEN,
        lambda ws, c: decisions_import.import_decisions(
            ws, c.decisions_csv(ws.actor_name), ws.actor_name
        ),
    ),
    _wp("mark not retrieved", SCREEN, lambda ws, c: fulltext.mark_not_retrieved(ws, c.record())),
    _wp(
        "attach a full text",
        CODE,
        lambda ws, c: fulltext.attach_file(
            ws, make_pdf(c.tmp / f"f{c.next()}.pdf", ["Text."]), document_ref="D2"
        ),
    ),
    _wp("add a code", CODE, lambda ws, c: codes.add_code(ws, f"code {c.next()}")),
    _wp(
        "edit a code", CODE, lambda ws, c: codes.edit_code(ws, c.code(), name=f"renamed {c.next()}")
    ),
    _wp("move a code", CODE, lambda ws, c: codes.move_code(ws, c.code(), c.code())),
    _wp("merge codes", SCREEN, lambda ws, c: codes.merge_codes(ws, c.code(), c.code())),
    _wp("delete a code", SCREEN, lambda ws, c: codes.delete_code(ws, c.code())),
    _wp(
        "code an excerpt",
        CODE,
        lambda ws, c: excerpts.create_excerpt(
            ws, c.doc_ref, *c.span, [c.code_id], memo=f"m{c.next()}"
        ),
    ),
    _wp("edit an excerpt", CODE, lambda ws, c: excerpts.edit_excerpt(ws, c.excerpt(), memo="x")),
    _wp(
        "recode an excerpt",
        CODE,
        lambda ws, c: excerpts.set_excerpt_codes(ws, c.excerpt(), add=[c.code_id]),
    ),
    _wp("delete an excerpt", CODE, lambda ws, c: excerpts.delete_excerpt(ws, c.excerpt())),
    _wp(
        "create a CMOC",
        SCREEN,
        lambda ws, c: cmoc_edit.create_cmoc(
            ws, f"N{c.next()}", context="c", mechanism="m", outcome="o"
        ),
    ),
    _wp(
        "edit a CMOC",
        SCREEN,
        lambda ws, c: cmoc_edit.edit_cmoc(ws, c.cmoc(), {"notes": "n"}, rationale="why"),
    ),
    _wp("add a cluster", SCREEN, lambda ws, c: cmoc_edit.add_cluster(ws, f"cluster {c.next()}")),
    _wp(
        "link evidence", CODE, lambda ws, c: cmoc_edit.link_evidence(ws, c.cmoc(), c.excerpt(), "C")
    ),
    _wp("unlink evidence", CODE, lambda ws, c: _unlink(ws, c)),
    _wp("cite a document", SCREEN, lambda ws, c: cmoc_edit.cite_document(ws, c.cmoc(), c.doc_ref)),
    _wp("link CMOCs", SCREEN, lambda ws, c: cmoc_edit.link_cmocs(ws, c.cmoc(), c.cmoc())),
    _wp(
        "resolve a disagreement",
        "lead",
        lambda ws, c: resolution.resolve(
            ws, c.decided_record(), "include", "agreed after talking", stage="title_abstract"
        ),
    ),
    _wp(
        "add a criterion",
        "lead",
        lambda ws, c: criteria.add_criterion(ws, "exclusion", f"criterion {c.next()}", number=1),
    ),
    _wp(
        "edit a criterion",
        "lead",
        lambda ws, c: criteria.edit_criterion(
            ws, c.criterion(), expected_version=1, text=f"edited {c.next()}", number=1
        ),
    ),
    _wp(
        "remove a criterion",
        "lead",
        lambda ws, c: criteria.remove_criterion(ws, c.criterion(), expected_version=1),
    ),
    _wp("add a reviewer", "lead", lambda ws, c: reviewers.add_reviewer(ws, f"new{c.next()}")),
    _wp(
        "load YAML",
        "lead",
        lambda ws, c: load_paths(ws.store, [c.review_yaml()], review_id=ws.review_id, ws=ws),
    ),
    # last: from here on the second reviewer B screens blind
    _wp(
        "draw an agreement sample",
        "lead",
        lambda ws, c: samples.draw(ws, "B", 0.5, 7, first="LEAD"),
    ),
]


def _annotate(ws: Workspace, c: Ctx) -> object:
    rid = c.record()
    if ws.actor is not None and ws.actor.role in SCREEN.split():
        screening.decide(ws, rid, "title_abstract", "include")
    return screening.annotate(ws, rid, "title_abstract", f"note {c.next()}")


def _unlink(ws: Workspace, c: Ctx) -> object:
    label, ex = c.cmoc(), c.excerpt()
    cmoc_edit.link_evidence(c.lead, label, ex, "M")
    return cmoc_edit.unlink_evidence(ws, label, ex, "M")


def prepare_write_paths(lead: Workspace, tmp: Path) -> Ctx:
    """A document with a full text, a code and records for the write paths (acting as lead)."""
    with lead.store.read() as s:
        recs = list(s.scalars(select(Record.id).where(Record.review_id == lead.review_id)))
    with lead.store.transaction() as s:
        s.add(Document(review_id=lead.review_id, ref="D1", title="A QI report"))
        s.add(Document(review_id=lead.review_id, ref="D2", title="Another report", position=1))
    attach_pages(lead, "D1", tmp)
    code = codes.add_code(lead, "Time").id
    span = excerpts.locate_phrase(lead, "D1", "Staff lacked protected time")
    return Ctx(lead, tmp, recs, "D1", code, span)


def run_write_paths(ws_of: Callable[[str], Workspace], ctx: Ctx) -> list[str]:
    """Take every write path as each of LEAD, A (reviewer), C (coder) and O (observer).

    Returns the mismatches: an allowed path that failed, or a refused one that was not refused
    by PermissionDeniedError or that left an audit entry of the refused reviewer.
    """
    from sqlalchemy import func

    from realist.db.models import AuditEntry
    from realist.errors import PermissionDeniedError

    problems = []
    for path in WRITE_PATHS:
        for name in ("LEAD", "A", "C", "O"):
            ws = ws_of(name)
            assert ws.actor is not None
            allowed = ws.actor.role in path.roles
            with ctx.lead.store.read() as s:
                before = s.scalar(select(func.count()).where(AuditEntry.reviewer_id == ws.actor.id))
            try:
                path.run(ws, ctx)
            except PermissionDeniedError as exc:
                if allowed:
                    problems.append(f"{path.name} as {name} ({ws.actor.role}): refused: {exc}")
                with ctx.lead.store.read() as s:
                    after = s.scalar(
                        select(func.count()).where(AuditEntry.reviewer_id == ws.actor.id)
                    )
                if after != before:
                    problems.append(f"{path.name} as {name}: refused but wrote to the audit log")
            except Exception as exc:
                problems.append(
                    f"{path.name} as {name} ({ws.actor.role}): {type(exc).__name__}: {exc}"
                )
            else:
                if not allowed:
                    problems.append(f"{path.name} as {name} ({ws.actor.role}): NOT refused")
    return problems
