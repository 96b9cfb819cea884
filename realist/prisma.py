"""PRISMA 2020 flow-diagram counts (Page et al., BMJ 2021;372:n71) as a pure dataclass.

The services count records from the store and fill ``PrismaCounts``; this module only checks
the arithmetic and renders it. No I/O.

The boxes, in the diagram's order. Identification: records identified from databases (per
database) and registers (per register); records removed before screening as duplicates,
marked ineligible by automation tools, or for other reasons. Screening: records screened ->
records excluded; reports sought for retrieval -> reports not retrieved; reports assessed for
eligibility -> reports excluded, with the number per reason. Included: studies included in
the review and reports of included studies. A second column, ``OtherMethods``, covers
documents found by other methods (websites, organisations, citation searching, experts:
the realist "document flow" of RAMESES item 12); it has no screening stage of its own, and its
assessed-and-kept reports join the included studies.

``check()`` returns the arithmetic problems (methods.md section 3), each a sentence with the
numbers:

* records screened = records identified - records removed before screening;
* records excluded <= records screened;
* reports assessed = reports sought - reports not retrieved (each column);
* sum of exclusion reasons = reports excluded (each column);
* reports of included studies = reports assessed - reports excluded (both columns together),
  and studies included <= reports of included studies (a study can have several reports;
  when ``reports_included`` is None the studies are compared with that difference instead);
* every count is non-negative.

``check(strict=True)`` also requires reports sought = records screened - records excluded,
true when each record kept at screening is one report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["OtherMethods", "PrismaCounts"]


@dataclass(frozen=True)
class OtherMethods:
    """The PRISMA 2020 column for documents identified by other methods.

    ``sources`` maps a method (e.g. 'citation searching', 'websites', 'organisations',
    'experts') to the records it identified.
    """

    sources: dict[str, int] = field(default_factory=dict)
    reports_sought: int = 0
    reports_not_retrieved: int = 0
    reports_assessed: int = 0
    reports_excluded: int = 0
    exclusion_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def identified(self) -> int:
        """Records identified by all other methods together."""
        return sum(self.sources.values())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict of the column, with the identified total."""
        return {
            "sources": dict(self.sources),
            "identified": self.identified,
            "reports_sought": self.reports_sought,
            "reports_not_retrieved": self.reports_not_retrieved,
            "reports_assessed": self.reports_assessed,
            "reports_excluded": self.reports_excluded,
            "exclusion_reasons": dict(self.exclusion_reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> OtherMethods:
        """Rebuild from ``to_dict()`` output (computed totals are ignored)."""
        return cls(
            sources=_count_map(data.get("sources"), "other_methods.sources"),
            reports_sought=_count(data.get("reports_sought", 0), "other_methods.reports_sought"),
            reports_not_retrieved=_count(
                data.get("reports_not_retrieved", 0), "other_methods.reports_not_retrieved"
            ),
            reports_assessed=_count(
                data.get("reports_assessed", 0), "other_methods.reports_assessed"
            ),
            reports_excluded=_count(
                data.get("reports_excluded", 0), "other_methods.reports_excluded"
            ),
            exclusion_reasons=_count_map(
                data.get("exclusion_reasons"), "other_methods.exclusion_reasons"
            ),
        )


@dataclass(frozen=True)
class PrismaCounts:
    """Counts for every box of the PRISMA 2020 flow diagram (databases and registers column,
    plus the optional other-methods column)."""

    databases: dict[str, int] = field(default_factory=dict)
    registers: dict[str, int] = field(default_factory=dict)
    duplicates_removed: int = 0
    removed_by_automation: int = 0
    removed_other_reasons: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    reports_sought: int = 0
    reports_not_retrieved: int = 0
    reports_assessed: int = 0
    reports_excluded: int = 0
    exclusion_reasons: dict[str, int] = field(default_factory=dict)
    studies_included: int = 0
    reports_included: int | None = None
    other_methods: OtherMethods | None = None

    # ------------------------------------------------------------------ totals

    @property
    def identified_databases(self) -> int:
        """Records identified from all databases."""
        return sum(self.databases.values())

    @property
    def identified_registers(self) -> int:
        """Records identified from all registers."""
        return sum(self.registers.values())

    @property
    def identified(self) -> int:
        """Records identified from databases and registers."""
        return self.identified_databases + self.identified_registers

    @property
    def removed_before_screening(self) -> int:
        """Duplicates + marked ineligible by automation + removed for other reasons."""
        return self.duplicates_removed + self.removed_by_automation + self.removed_other_reasons

    # ------------------------------------------------------------------ checks

    def check(self, *, strict: bool = False) -> list[str]:
        """The arithmetic problems in these counts, each a sentence with the numbers.

        An empty list means every rule in the module docstring holds. ``strict`` adds the
        rule reports sought = records screened - records excluded.
        """
        problems = self._negatives()
        expected = self.identified - self.removed_before_screening
        if self.records_screened != expected:
            problems.append(
                f"Records screened ({_n(self.records_screened)}) should equal records "
                f"identified ({_n(self.identified)}) minus records removed before screening "
                f"({_n(self.removed_before_screening)}: {_n(self.duplicates_removed)} "
                f"duplicates, {_n(self.removed_by_automation)} by automation tools, "
                f"{_n(self.removed_other_reasons)} for other reasons) = {_n(expected)}; "
                f"{_off_by(self.records_screened, expected)}."
            )
        if self.records_excluded > self.records_screened:
            problems.append(
                f"Records excluded at screening ({_n(self.records_excluded)}) exceed records "
                f"screened ({_n(self.records_screened)})."
            )
        if strict:
            kept = self.records_screened - self.records_excluded
            if self.reports_sought != kept:
                problems.append(
                    f"Reports sought for retrieval ({_n(self.reports_sought)}) should equal "
                    f"records screened ({_n(self.records_screened)}) minus records excluded "
                    f"({_n(self.records_excluded)}) = {_n(kept)}; "
                    f"{_off_by(self.reports_sought, kept)}."
                )
        problems += _retrieval_problems(
            "",
            self.reports_sought,
            self.reports_not_retrieved,
            self.reports_assessed,
            self.reports_excluded,
            self.exclusion_reasons,
        )
        other = self.other_methods
        if other is not None:
            problems += _retrieval_problems(
                "Other methods: ",
                other.reports_sought,
                other.reports_not_retrieved,
                other.reports_assessed,
                other.reports_excluded,
                other.exclusion_reasons,
            )
        problems += self._included_problems()
        return problems

    def _negatives(self) -> list[str]:
        out = []
        scalars = {
            "records removed as duplicates": self.duplicates_removed,
            "records marked ineligible by automation tools": self.removed_by_automation,
            "records removed for other reasons": self.removed_other_reasons,
            "records screened": self.records_screened,
            "records excluded": self.records_excluded,
            "reports sought for retrieval": self.reports_sought,
            "reports not retrieved": self.reports_not_retrieved,
            "reports assessed for eligibility": self.reports_assessed,
            "reports excluded": self.reports_excluded,
            "studies included": self.studies_included,
        }
        if self.reports_included is not None:
            scalars["reports of included studies"] = self.reports_included
        maps = {
            "records identified from database": self.databases,
            "records identified from register": self.registers,
            "reports excluded for reason": self.exclusion_reasons,
        }
        other = self.other_methods
        if other is not None:
            scalars.update(
                {
                    "other methods: reports sought": other.reports_sought,
                    "other methods: reports not retrieved": other.reports_not_retrieved,
                    "other methods: reports assessed": other.reports_assessed,
                    "other methods: reports excluded": other.reports_excluded,
                }
            )
            maps["other methods: records identified by"] = other.sources
            maps["other methods: reports excluded for reason"] = other.exclusion_reasons
        for label, value in scalars.items():
            if value < 0:
                out.append(
                    f"The count of {label} is negative ({_n(value)}); counts cannot be below 0."
                )
        for label, mapping in maps.items():
            for key, value in mapping.items():
                if value < 0:
                    out.append(
                        f"The count of {label} '{key}' is negative ({_n(value)}); counts cannot be "
                        "below 0."
                    )
        return out

    def _included_problems(self) -> list[str]:
        other = self.other_methods
        assessed = self.reports_assessed + (other.reports_assessed if other else 0)
        excluded = self.reports_excluded + (other.reports_excluded if other else 0)
        kept = assessed - excluded
        both = " (both columns)" if other is not None else ""
        out = []
        if self.reports_included is None:
            if self.studies_included != kept:
                out.append(
                    f"Studies included ({_n(self.studies_included)}) should equal reports "
                    f"assessed ({_n(assessed)}) minus reports excluded ({_n(excluded)}){both} "
                    f"= {_n(kept)}; {_off_by(self.studies_included, kept)}."
                )
            return out
        if self.reports_included != kept:
            out.append(
                f"Reports of included studies ({_n(self.reports_included)}) should equal "
                f"reports assessed ({_n(assessed)}) minus reports excluded ({_n(excluded)})"
                f"{both} = {_n(kept)}; {_off_by(self.reports_included, kept)}."
            )
        if self.studies_included > self.reports_included:
            out.append(
                f"Studies included ({_n(self.studies_included)}) exceed reports of included "
                f"studies ({_n(self.reports_included)}): every study needs at least one report."
            )
        return out

    # ------------------------------------------------------------------ rendering

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict: every count, the computed totals and ``problems`` from check()."""
        return {
            "databases": dict(self.databases),
            "registers": dict(self.registers),
            "identified_databases": self.identified_databases,
            "identified_registers": self.identified_registers,
            "identified": self.identified,
            "duplicates_removed": self.duplicates_removed,
            "removed_by_automation": self.removed_by_automation,
            "removed_other_reasons": self.removed_other_reasons,
            "removed_before_screening": self.removed_before_screening,
            "records_screened": self.records_screened,
            "records_excluded": self.records_excluded,
            "reports_sought": self.reports_sought,
            "reports_not_retrieved": self.reports_not_retrieved,
            "reports_assessed": self.reports_assessed,
            "reports_excluded": self.reports_excluded,
            "exclusion_reasons": dict(self.exclusion_reasons),
            "studies_included": self.studies_included,
            "reports_included": self.reports_included,
            "other_methods": self.other_methods.to_dict() if self.other_methods else None,
            "problems": self.check(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PrismaCounts:
        """Rebuild from ``to_dict()`` output; computed totals and ``problems`` are ignored.

        Raises ``ValueError`` naming the key when a count is not a whole number.
        """
        other = data.get("other_methods")
        if other is not None and not isinstance(other, Mapping):
            raise ValueError(f"other_methods must be an object, got {other!r}")
        reports_included = data.get("reports_included")
        return cls(
            databases=_count_map(data.get("databases"), "databases"),
            registers=_count_map(data.get("registers"), "registers"),
            duplicates_removed=_count(data.get("duplicates_removed", 0), "duplicates_removed"),
            removed_by_automation=_count(
                data.get("removed_by_automation", 0), "removed_by_automation"
            ),
            removed_other_reasons=_count(
                data.get("removed_other_reasons", 0), "removed_other_reasons"
            ),
            records_screened=_count(data.get("records_screened", 0), "records_screened"),
            records_excluded=_count(data.get("records_excluded", 0), "records_excluded"),
            reports_sought=_count(data.get("reports_sought", 0), "reports_sought"),
            reports_not_retrieved=_count(
                data.get("reports_not_retrieved", 0), "reports_not_retrieved"
            ),
            reports_assessed=_count(data.get("reports_assessed", 0), "reports_assessed"),
            reports_excluded=_count(data.get("reports_excluded", 0), "reports_excluded"),
            exclusion_reasons=_count_map(data.get("exclusion_reasons"), "exclusion_reasons"),
            studies_included=_count(data.get("studies_included", 0), "studies_included"),
            reports_included=(
                None if reports_included is None else _count(reports_included, "reports_included")
            ),
            other_methods=OtherMethods.from_dict(other) if other is not None else None,
        )

    def to_markdown(self, title: str = "PRISMA 2020 flow counts") -> str:
        """The counts as Markdown tables in the diagram's order, then the arithmetic checks."""
        lines = [f"## {_md(title)}", "", "### Identification", "", "| Box | n |", "|---|---:|"]
        lines.append(f"| Records identified from databases | {_n(self.identified_databases)} |")
        lines += [f"| &nbsp;&nbsp;{_md(k)} | {_n(v)} |" for k, v in self.databases.items()]
        lines.append(f"| Records identified from registers | {_n(self.identified_registers)} |")
        lines += [f"| &nbsp;&nbsp;{_md(k)} | {_n(v)} |" for k, v in self.registers.items()]
        lines += [
            f"| Records removed before screening | {_n(self.removed_before_screening)} |",
            f"| &nbsp;&nbsp;Duplicate records removed | {_n(self.duplicates_removed)} |",
            "| &nbsp;&nbsp;Records marked as ineligible by automation tools | "
            f"{_n(self.removed_by_automation)} |",
            f"| &nbsp;&nbsp;Records removed for other reasons | {_n(self.removed_other_reasons)} |",
            "",
            "### Screening",
            "",
            "| Box | n |",
            "|---|---:|",
            f"| Records screened | {_n(self.records_screened)} |",
            f"| Records excluded | {_n(self.records_excluded)} |",
            *_retrieval_rows(
                self.reports_sought,
                self.reports_not_retrieved,
                self.reports_assessed,
                self.reports_excluded,
                self.exclusion_reasons,
            ),
        ]
        other = self.other_methods
        if other is not None:
            lines += ["", "### Identification via other methods", "", "| Box | n |", "|---|---:|"]
            lines.append(f"| Records identified by other methods | {_n(other.identified)} |")
            lines += [f"| &nbsp;&nbsp;{_md(k)} | {_n(v)} |" for k, v in other.sources.items()]
            lines += _retrieval_rows(
                other.reports_sought,
                other.reports_not_retrieved,
                other.reports_assessed,
                other.reports_excluded,
                other.exclusion_reasons,
            )
        lines += [
            "",
            "### Included",
            "",
            "| Box | n |",
            "|---|---:|",
            f"| Studies included in review | {_n(self.studies_included)} |",
        ]
        if self.reports_included is not None:
            lines.append(f"| Reports of included studies | {_n(self.reports_included)} |")
        lines += ["", "### Arithmetic checks", ""]
        problems = self.check()
        if problems:
            lines += [f"- {p}" for p in problems]
        else:
            lines.append("All PRISMA 2020 arithmetic checks pass.")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- helpers


def _retrieval_problems(
    prefix: str,
    sought: int,
    not_retrieved: int,
    assessed: int,
    excluded: int,
    reasons: Mapping[str, int],
) -> list[str]:
    out = []
    expected = sought - not_retrieved
    if assessed != expected:
        out.append(
            f"{prefix}Reports assessed for eligibility ({_n(assessed)}) should equal reports "
            f"sought for retrieval ({_n(sought)}) minus reports not retrieved "
            f"({_n(not_retrieved)}) = {_n(expected)}; {_off_by(assessed, expected)}."
        )
    total = sum(reasons.values())
    if total != excluded:
        listed = f" ({_reason_list(reasons)})" if reasons else ""
        gap = abs(excluded - total)
        plural = "s" if gap != 1 else ""
        consequence = (
            f"{_n(gap)} excluded report{plural} {'have' if gap != 1 else 'has'} no reason"
            if total < excluded
            else f"the reasons count {_n(gap)} report{plural} more than were excluded"
        )
        out.append(
            f"{prefix}The exclusion reasons add up to {_n(total)}{listed} but reports excluded "
            f"are {_n(excluded)}: {consequence}."
        )
    return out


def _retrieval_rows(
    sought: int, not_retrieved: int, assessed: int, excluded: int, reasons: Mapping[str, int]
) -> list[str]:
    rows = [
        f"| Reports sought for retrieval | {_n(sought)} |",
        f"| Reports not retrieved | {_n(not_retrieved)} |",
        f"| Reports assessed for eligibility | {_n(assessed)} |",
        f"| Reports excluded | {_n(excluded)} |",
    ]
    rows += [f"| &nbsp;&nbsp;{_md(k)} | {_n(v)} |" for k, v in reasons.items()]
    return rows


def _reason_list(reasons: Mapping[str, int]) -> str:
    return ", ".join(f"{k}: {_n(v)}" for k, v in reasons.items())


def _off_by(actual: int, expected: int) -> str:
    diff = actual - expected
    word = "more" if diff > 0 else "fewer"
    return f"it is {_n(actual)}, {_n(abs(diff))} {word}"


def _n(value: int) -> str:
    return f"{value:,}"


def _md(text: str) -> str:
    # Names come from the review (databases, reasons, the title): as text, never as markup.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def _count(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be a whole number, got {value!r}")
    return value


def _count_map(value: object, key: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be an object of name -> count, got {value!r}")
    return {str(k): _count(v, f"{key}[{k!r}]") for k, v in value.items()}
