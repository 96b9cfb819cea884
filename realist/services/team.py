"""Team mode on PostgreSQL: one database role per reviewer, grants per role, row-level security.

The service layer checks roles and hides blinded decisions for everyone who goes through it. In
team mode the database enforces the same rules for anyone who connects with their own role, even
with a raw SQL client:

- a *group role* per application role (`<prefix>_role_lead`, `_role_reviewer`, ...) holds
  the table privileges; each reviewer's login role (`Reviewer.db_role`) is a member of the group of
  their application role. Deactivated reviewers lose their membership and their login.
- leads read and write every table (never TRUNCATE); reviewers import, de-duplicate, screen, attach
  full texts, code and build CMOCs; coders attach full texts, code excerpts, edit (not merge or
  delete) codes and link evidence to CMOCs; observers only read. The audit log takes INSERT from
  every writing role and UPDATE/DELETE/TRUNCATE from nobody (its triggers refuse the row-level
  ones as well).
- row-level security on `screening_decisions`, `record_tags`, `resolutions` and `audit_log`:
  a reviewer or coder writes decisions, tags and audit entries only under their own reviewer id
  (WITH CHECK); while a sample S is blind (`S.comparison_opened_at IS NULL`), its second reviewer
  cannot read any decision of its first reviewer at S.stage, any tag of theirs, any resolution
  at S.stage, nor the audit entries of that reviewer's screening (of their tags and the custom
  labels they typed at any stage): the rule of
  `realist.services.visibility`, enforced for raw SQL clients too. Leads are never blinded.
  (`tag_defs` is not under row-level security: the services hide a first reviewer's custom
  labels from the second, but a raw SQL client can read the review's label names.)

Everything is generated from the reviewers table as SQL (`plan_team`, `TeamPlan.sql()`), which the
database owner reviews with `realist team setup --print` and applies with `--apply`
(`apply_team`), in one transaction; running it again brings roles and memberships in line with the
reviewers table (run it after adding reviewers, changing roles or upgrading the schema).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from realist.db.models import Base, Reviewer
from realist.db.store import Store
from realist.domain import Role
from realist.errors import InvalidInputError, NotFoundError, RealistError
from realist.services import audit
from realist.services.audit_view import TAG_ACTIONS
from realist.services.context import Workspace
from realist.services.visibility import LABEL_DEFINED

# --------------------------------------------------------------------------------------------
# What each application role may do, table by table (SELECT on every table is granted to all).

Privileges = tuple[str, ...]

_CODING: Final[dict[str, Privileges]] = {
    "documents": ("INSERT", "UPDATE"),
    "full_texts": ("INSERT", "UPDATE"),
    "excerpts": ("INSERT", "UPDATE", "DELETE"),
    "excerpt_codes": ("INSERT", "UPDATE", "DELETE"),
    "cmoc_evidence": ("INSERT", "UPDATE", "DELETE"),
    "cmoc_revisions": ("INSERT",),  # linking evidence is part of a CMOC's history
    "audit_log": ("INSERT",),
}

WRITES: Final[dict[Role, dict[str, Privileges]]] = {
    Role.REVIEWER: {
        **_CODING,
        "import_batches": ("INSERT", "UPDATE"),
        "records": ("INSERT", "UPDATE (duplicate_of_id)"),
        "duplicate_pairs": ("INSERT", "UPDATE", "DELETE"),
        # appended; only the current flag and the retraction time ever change
        "screening_decisions": ("INSERT", "UPDATE (is_current, retracted_at)"),
        "record_tags": ("INSERT", "UPDATE (is_current, removed_at)"),
        "tag_defs": ("INSERT",),  # custom labels defined while screening
        "codes": ("INSERT", "UPDATE", "DELETE"),
        "clusters": ("INSERT", "UPDATE"),
        "cmocs": ("INSERT", "UPDATE"),
        "cmoc_documents": ("INSERT", "UPDATE", "DELETE"),
        "cmoc_links": ("INSERT", "UPDATE", "DELETE"),
    },
    Role.CODER: {**_CODING, "codes": ("INSERT", "UPDATE")},
    Role.OBSERVER: {},
}
LEAD_PRIVILEGES: Final[Privileges] = ("INSERT", "UPDATE", "DELETE")
APPEND_ONLY: Final[frozenset[str]] = frozenset({"audit_log"})
# The tables under row-level security; the others are protected by grants alone.
RLS_TABLES: Final[tuple[str, ...]] = (
    "screening_decisions",
    "record_tags",
    "resolutions",
    "audit_log",
)
POLICY_NAMES: Final[tuple[str, ...]] = (
    "realist_read",
    "realist_insert_own",
    "realist_update_own",
    "realist_lead_all",
    "realist_lead_insert",
    "realist_lead_read",
)
ROLE_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PREFIX_MAX = 40


# --------------------------------------------------------------------------------------------
# Naming


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A PostgreSQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")


def default_prefix(database: str) -> str:
    """The role prefix for a review database: `realist_` and the database's name, shortened.

    Roles are shared by every database of a PostgreSQL server; the prefix keeps each review's
    roles apart.
    """
    slug = _slug(database) or "review"
    if not slug.startswith("realist"):
        slug = f"realist_{slug}"
    return slug[:PREFIX_MAX].rstrip("_")


def group_role(prefix: str, role: Role | str) -> str:
    """The group role holding the privileges of application role `role`."""
    return f"{prefix}_role_{Role(role).value}"


def default_db_role(prefix: str, reviewer: str) -> str:
    """The login role given to a reviewer who has none yet."""
    return f"{prefix}_{_slug(reviewer) or 'reviewer'}"[:63]


def check_role_name(name: str) -> str:
    """A login or group role name we are willing to generate SQL for."""
    if not ROLE_NAME_RE.match(name):
        raise InvalidInputError(
            f"database role {name!r} must be 1-63 lower-case letters, digits or '_', "
            "starting with a letter or '_'"
        )
    if name.startswith("pg_"):
        raise InvalidInputError(f"database role {name!r}: names starting with pg_ are reserved")
    return name


# --------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class TeamMember:
    """A reviewer and the database role they connect with."""

    id: int
    name: str
    role: str
    db_role: str
    active: bool
    assigned: bool  # the db_role was generated now (stored in the reviewers table on apply)


@dataclass(frozen=True)
class TeamPlan:
    """Everything `realist team setup` does, as SQL statements in order."""

    database: str
    schema: str
    prefix: str
    members: tuple[TeamMember, ...]
    statements: tuple[str, ...]

    def groups(self) -> dict[str, str]:
        """Application role -> group role."""
        return {r.value: group_role(self.prefix, r) for r in Role}

    def sql(self) -> str:
        """The statements as one script (for `--print`)."""
        head = (
            f"-- Realist Workbench team setup for database {self.database}, schema {self.schema}\n"
            "-- Run as the database owner (a role with CREATEROLE). Re-run after adding reviewers,\n"
            "-- changing roles or upgrading the schema. Set passwords with\n"
            "--   realist team password NAME   (or ALTER ROLE ... PASSWORD ...).\n"
        )
        return head + "BEGIN;\n" + "".join(f"{st};\n" for st in self.statements) + "COMMIT;\n"


def _require_postgresql(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        raise RealistError(
            "team mode needs a shared PostgreSQL database (realist --db postgresql+psycopg://... "
            "init); on SQLite the roles are checked by the services alone"
        )


def _members(store: Store, prefix: str) -> list[TeamMember]:
    with store.read() as s:
        people = s.scalars(select(Reviewer).order_by(Reviewer.id)).all()
        out = []
        for p in people:
            role = p.db_role or default_db_role(prefix, p.name)
            out.append(
                TeamMember(p.id, p.name, p.role, check_role_name(role), p.active, p.db_role is None)
            )
    seen: dict[str, str] = {}
    for m in out:
        if m.db_role in seen:
            raise InvalidInputError(
                f"reviewers {seen[m.db_role]} and {m.name} share database role {m.db_role!r}; "
                "give each their own (realist team role NAME DBROLE)"
            )
        seen[m.db_role] = m.name
    return out


def plan_team(store: Store, prefix: str | None = None) -> TeamPlan:
    """The SQL that sets up roles, grants and row-level security for the reviewers of `store`."""
    _require_postgresql(store)
    store.require_schema()
    database = make_url(store.url).database or ""
    with store.read() as s:
        schema = str(s.scalar(text("SELECT current_schema()")))
        database = str(s.scalar(text("SELECT current_database()"))) or database
    prefix = check_role_name(prefix or default_prefix(database))
    if len(prefix) > PREFIX_MAX:
        raise InvalidInputError(f"role prefix {prefix!r} is longer than {PREFIX_MAX} characters")
    members = _members(store, prefix)
    groups = {r: group_role(prefix, r) for r in Role}
    for m in members:
        if m.db_role in groups.values():
            raise InvalidInputError(
                f"reviewer {m.name}'s database role {m.db_role!r} is one of the group roles"
            )
    statements = _statements(schema, groups, members)
    return TeamPlan(database, schema, prefix, tuple(members), tuple(statements))


def _create_role(name: str, login: bool) -> str:
    option = "LOGIN" if login else "NOLOGIN"
    return (
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = "
        f"{quote_literal(name)}) THEN CREATE ROLE {quote_ident(name)} {option}; END IF; END $$"
    )


def _tables() -> list[str]:
    return [*sorted(Base.metadata.tables), "alembic_version"]


def _statements(schema: str, groups: dict[Role, str], members: list[TeamMember]) -> list[str]:
    q = quote_ident
    sch = q(schema)
    lead, reviewer, coder, observer = (q(groups[r]) for r in Role)
    everyone = ", ".join(q(g) for g in groups.values())
    writers = ", ".join(q(groups[r]) for r in (Role.LEAD, Role.REVIEWER, Role.CODER))
    out: list[str] = []

    # Roles and memberships.
    for g in groups.values():
        out.append(_create_role(g, login=False))
    for m in members:
        out.append(_create_role(m.db_role, login=True))
        mine = groups[Role(m.role)]
        others = [g for r, g in groups.items() if r.value != m.role]
        out.append(f"REVOKE {', '.join(q(g) for g in others)} FROM {q(m.db_role)}")
        if m.active:
            out.append(f"GRANT {q(mine)} TO {q(m.db_role)}")
            out.append(f"ALTER ROLE {q(m.db_role)} LOGIN")
        else:
            out.append(f"REVOKE {q(mine)} FROM {q(m.db_role)}")
            out.append(f"ALTER ROLE {q(m.db_role)} NOLOGIN")

    # Privileges: start from nothing, then grant what each role needs.
    # Nobody but the owner creates objects next to the review's tables.
    out.append(f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC, {everyone}")
    out.append(f"GRANT USAGE ON SCHEMA {sch} TO {everyone}")
    for table in _tables():
        t = f"{sch}.{q(table)}"
        out.append(f"REVOKE ALL ON {t} FROM PUBLIC, {everyone}")
        out.append(f"GRANT SELECT ON {t} TO {everyone}")
        if table == "alembic_version":
            continue
        lead_privs = ("INSERT",) if table in APPEND_ONLY else LEAD_PRIVILEGES
        out.append(f"GRANT {', '.join(lead_privs)} ON {t} TO {lead}")
        for role, grantee in ((Role.REVIEWER, reviewer), (Role.CODER, coder)):
            privs = WRITES[role].get(table)
            if privs:
                out.append(f"GRANT {', '.join(privs)} ON {t} TO {grantee}")
    out.append(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM PUBLIC, {everyone}")
    out.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {writers}")
    # Loading a records.yaml moves sequences past explicit ids (setval): leads only.
    out.append(f"GRANT UPDATE ON ALL SEQUENCES IN SCHEMA {sch} TO {lead}")

    # The reviewer behind the connecting role. Schema-qualified so a caller's search_path cannot
    # redirect it; it runs with the caller's rights (everyone may read the reviewers table).
    me = f"{sch}.realist_reviewer_id()"
    out.append(
        f"CREATE OR REPLACE FUNCTION {me} RETURNS integer LANGUAGE sql STABLE AS $$ "
        f"SELECT r.id FROM {sch}.reviewers r WHERE r.db_role = current_user::text AND r.active "
        "ORDER BY r.id LIMIT 1 $$"
    )
    out.append(f"REVOKE ALL ON FUNCTION {me} FROM PUBLIC")
    out.append(f"GRANT EXECUTE ON FUNCTION {me} TO {everyone}")

    # Row-level security. Policies are permissive (OR-ed per command and role). `(SELECT me)`
    # is computed once per statement, and the blinding test is a plain NOT EXISTS the planner
    # turns into an anti-join, so policies cost little even on large tables.
    once = f"(SELECT {me})"
    non_leads = f"{reviewer}, {coder}, {observer}"
    own = f"reviewer_id = {once}"

    # The rule is the services' (realist.services.visibility): while a sample is blind, its
    # second reviewer sees no decision of its first reviewer at its stage, no tag of theirs at
    # any stage, no resolution at its stage, and no audit entry of their screening.
    # A role that is no reviewer (not set up by `team setup`) counts as the second reviewer of
    # every blind sample: who has not said who they are sees nothing a blind sample hides.
    second = (
        f"(sm.second_reviewer_id = {once} OR {once} IS NULL) "
        f"AND sm.first_reviewer_id IS DISTINCT FROM {once}"
    )

    def blind(owner: str, stage: str | None) -> str:
        """Is there a blind sample the caller screens second whose first reviewer is `owner`
        (and whose stage is `stage`, unless None)?"""
        return (
            f"EXISTS (SELECT 1 FROM {sch}.samples sm WHERE sm.comparison_opened_at IS NULL "
            f"AND {second} "
            f"AND {owner}" + (f" AND sm.stage = {stage})" if stage else ")")
        )

    decision_blind = blind(
        "sm.first_reviewer_id = screening_decisions.reviewer_id", "screening_decisions.stage"
    )
    tag_blind = blind("sm.first_reviewer_id = record_tags.reviewer_id", None)
    tag_actions = ", ".join(quote_literal(a) for a in sorted(TAG_ACTIONS))
    resolution_blind = blind("true", "resolutions.stage")
    # An audit entry is the first reviewer's when they acted, or when it is about them (a lead
    # importing their decisions); hidden when it has no stage or the sample's stage, or when it
    # is about tags (a tag toggled, a custom label typed: hidden at every stage, as tags are).
    audit_blind = (
        f"EXISTS (SELECT 1 FROM {sch}.samples sm WHERE sm.comparison_opened_at IS NULL "
        f"AND {second} "
        "AND (sm.first_reviewer_id = audit_log.reviewer_id OR (audit_log.entity = 'reviewer' "
        "AND audit_log.entity_id = sm.first_reviewer_id::text)) "
        f"AND (audit_log.action IN ({tag_actions}) "
        "OR audit_log.details ->> 'stage' IS NULL OR sm.stage = audit_log.details ->> 'stage'))"
    )
    write_own = [
        f"CREATE POLICY realist_insert_own ON {{t}} FOR INSERT TO {reviewer} WITH CHECK ({own})",
        f"CREATE POLICY realist_update_own ON {{t}} FOR UPDATE TO {reviewer} "
        f"USING ({own}) WITH CHECK ({own})",
    ]
    policies: dict[str, list[str]] = {
        "screening_decisions": [
            f"CREATE POLICY realist_read ON {{t}} FOR SELECT TO {non_leads} "
            f"USING ({own} OR NOT {decision_blind})",
            *write_own,
        ],
        "record_tags": [
            f"CREATE POLICY realist_read ON {{t}} FOR SELECT TO {non_leads} "
            f"USING ({own} OR NOT {tag_blind})",
            *write_own,
        ],
        "resolutions": [
            f"CREATE POLICY realist_read ON {{t}} FOR SELECT TO {non_leads} "
            f"USING (NOT {resolution_blind})",
        ],
        "audit_log": [
            f"CREATE POLICY realist_read ON {{t}} FOR SELECT TO {non_leads} "
            f"USING ({own} OR NOT (action LIKE 'screening.%' OR action LIKE 'agreement.resolve%' "
            f"OR action = {quote_literal(LABEL_DEFINED)}) OR NOT {audit_blind})",
            f"CREATE POLICY realist_insert_own ON {{t}} FOR INSERT TO {reviewer}, {coder} "
            f"WITH CHECK ({own})",
            f"CREATE POLICY realist_lead_insert ON {{t}} FOR INSERT TO {lead} WITH CHECK (true)",
            f"CREATE POLICY realist_lead_read ON {{t}} FOR SELECT TO {lead} USING (true)",
        ],
    }
    for table in RLS_TABLES:
        t = f"{sch}.{q(table)}"
        out.append(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        for name in POLICY_NAMES:
            out.append(f"DROP POLICY IF EXISTS {name} ON {t}")
        if table != "audit_log":
            out.append(
                f"CREATE POLICY realist_lead_all ON {t} FOR ALL TO {lead} USING (true) "
                "WITH CHECK (true)"
            )
        out.extend(p.format(t=t) for p in policies[table])
    return out


# --------------------------------------------------------------------------------------------
# Applying


@dataclass(frozen=True)
class TeamReport:
    """What `apply_team` did."""

    prefix: str
    members: tuple[TeamMember, ...]
    statements: int


def apply_team(
    store: Store, plan: TeamPlan | None = None, *, prefix: str | None = None
) -> TeamReport:
    """Run the plan in one transaction and store each reviewer's database role.

    Needs a connection that owns the tables and may create roles (the database owner).
    """
    plan = plan or plan_team(store, prefix)
    with store.transaction() as s:
        try:
            for st in plan.statements:
                s.execute(text(st))
        except Exception as exc:
            raise RealistError(
                f"team setup failed, nothing was changed: {_db_message(exc)} (run it as the "
                "database owner, with CREATEROLE)"
            ) from exc
        for m in plan.members:
            if m.assigned:
                person = s.get(Reviewer, m.id)
                if person is not None:
                    person.db_role = m.db_role
        s.flush()
        review_id = s.scalar(text("SELECT min(id) FROM reviews"))
        ws = Workspace(store, int(review_id or 0))
        audit.log(
            s,
            ws,
            "team.setup",
            "database",
            plan.database,
            prefix=plan.prefix,
            members={m.name: m.db_role for m in plan.members},
        )
    return TeamReport(plan.prefix, plan.members, len(plan.statements))


def _db_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig) if orig is not None else str(exc)).strip().splitlines()[0]


def set_db_role(ws: Workspace, name: str, db_role: str) -> TeamMember:
    """Set the database role reviewer `name` connects with (a lead's action)."""
    ws.require_role(Role.LEAD, action="map reviewers to database roles")
    check_role_name(db_role)
    with ws.store.transaction() as s:
        person = s.scalars(select(Reviewer).where(Reviewer.name == name)).first()
        if person is None:
            raise NotFoundError(f"unknown reviewer {name!r}")
        taken = s.scalars(
            select(Reviewer.name).where(Reviewer.db_role == db_role, Reviewer.id != person.id)
        ).first()
        if taken is not None:
            raise InvalidInputError(f"database role {db_role!r} is already {taken}'s")
        before = person.db_role
        person.db_role = db_role
        s.flush()
        audit.log(s, ws, "team.role", "reviewer", person.id, db_role=db_role, previous=before)
        return TeamMember(person.id, person.name, person.role, db_role, person.active, False)


def set_password(store: Store, db_role: str, password: str) -> None:
    """Set the login password of a reviewer's database role (run as the database owner)."""
    _require_postgresql(store)
    check_role_name(db_role)
    if not password:
        raise InvalidInputError("the password is empty")
    with store.transaction() as s:
        exists = s.scalar(
            text("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :r"), {"r": db_role}
        )
        if not exists:
            raise NotFoundError(f"no database role {db_role!r}; run `realist team setup --apply`")
        try:
            sql = f"ALTER ROLE {quote_ident(db_role)} PASSWORD {quote_literal(password)}"
            s.execute(text(sql.replace(":", "\\:")))  # a ':' is text here, not a parameter
        except Exception as exc:
            raise RealistError(f"cannot set the password: {_db_message(exc)}") from exc


def drop_statements(plan: TeamPlan) -> list[str]:
    """SQL removing this review's roles from the server (their privileges in this database first).

    Other databases where the roles hold privileges must run `DROP OWNED BY` themselves.
    """
    names = [m.db_role for m in plan.members] + list(plan.groups().values())
    drop_owned = [
        "DO $$ BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = "
        f"{quote_literal(n)}) THEN EXECUTE {quote_literal('DROP OWNED BY ' + quote_ident(n))}; "
        "END IF; END $$"
        for n in names
    ]
    return [*drop_owned, *(f"DROP ROLE IF EXISTS {quote_ident(n)}" for n in names)]


def connected_reviewer(store: Store) -> str | None:
    """The reviewer whose database role this connection uses (team mode), if any."""
    if store.engine.dialect.name != "postgresql":
        return None
    with store.read() as s:
        return s.scalar(select(Reviewer.name).where(Reviewer.db_role == func.current_user()))
