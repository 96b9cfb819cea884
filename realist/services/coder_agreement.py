"""Second-coder check: where two reviewers' codes overlap on the same document, per code.

The measure is the character-level comparison NVivo's coding comparison query makes
(QSR International, NVivo 12 Help, "Coding comparison query",
https://help-nv.qsrinternational.com/12/win/v12.1.90-d3ea61/Content/queries/coding-comparison-query.htm):
every character of the document's full text is a unit, and for one code each coder either coded
it or did not. From the 2x2 table over characters (both, A only, B only, neither):

* percentage agreement = (both + neither) / characters, NVivo's figure;
* Cohen's kappa over the same table (chance-corrected; `realist.agreement.stats.cohen_kappa`);
* Jaccard overlap = both / (both + A only + B only), which ignores the uncoded bulk of the text
  that makes percentage agreement high whenever codes are sparse;
* specific (positive) agreement = 2 both / (2 both + A only + B only), the Dice coefficient.

Rows are per code and document, as NVivo reports them; with several documents a pooled row per
code sums their tables (so its percentage agreement is the size-weighted mean). The overall row
pools every code. With `aggregate=True` a code covers what is coded at it or at any code below
it (NVivo's "aggregate" nodes). Excerpts whose offsets no longer match the current full text
(a new text was attached) are left out and counted in the warnings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from realist.agreement.stats import cohen_kappa, percent_agreement, positive_agreement
from realist.db.models import Document, Excerpt, ExcerptCode, FullText, Reviewer
from realist.errors import InvalidInputError, NotFoundError
from realist.services.codes import CodeTree
from realist.services.context import Workspace
from realist.services.excerpts import drift_of, find_document

Span = tuple[int, int]


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same characters."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def covered(spans: list[Span]) -> int:
    """Characters covered by merged spans."""
    return sum(e - s for s, e in spans)


def overlap(a: list[Span], b: list[Span]) -> int:
    """Characters covered by both lists of merged spans."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


@dataclass(frozen=True)
class CodeAgreement:
    """The character table for one code (on one document, or pooled) and its figures."""

    code_id: int | None  # None for the overall row
    code: str  # the code's path, or "all codes"
    document: str | None  # the document's ref; None for pooled rows
    units: int  # characters compared
    both: int
    a_only: int
    b_only: int
    neither: int

    @property
    def table(self) -> list[list[int]]:
        return [[self.both, self.a_only], [self.b_only, self.neither]]

    @property
    def percent_agreement(self) -> float | None:
        return percent_agreement(self.table)

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.table)

    @property
    def jaccard(self) -> float | None:
        coded = self.both + self.a_only + self.b_only
        return self.both / coded if coded else None

    @property
    def specific_agreement(self) -> float | None:
        return positive_agreement(self.table)


@dataclass
class CoderComparison:
    coder_a: str
    coder_b: str
    documents: list[str] = field(default_factory=list)
    rows: list[CodeAgreement] = field(default_factory=list)  # per code and document
    pooled: list[CodeAgreement] = field(default_factory=list)  # per code over the documents
    overall: CodeAgreement | None = None
    warnings: list[str] = field(default_factory=list)


def _table(
    code_id: int | None, code: str, doc: str | None, n: int, a: list[Span], b: list[Span]
) -> CodeAgreement:
    both = overlap(a, b)
    ca, cb = covered(a), covered(b)
    return CodeAgreement(code_id, code, doc, n, both, ca - both, cb - both, n - ca - cb + both)


def _sum(code_id: int | None, code: str, rows: list[CodeAgreement]) -> CodeAgreement:
    return CodeAgreement(
        code_id,
        code,
        None,
        sum(r.units for r in rows),
        sum(r.both for r in rows),
        sum(r.a_only for r in rows),
        sum(r.b_only for r in rows),
        sum(r.neither for r in rows),
    )


def compare_coders(
    ws: Workspace,
    coder_a: str,
    coder_b: str,
    *,
    document: str | int | None = None,
    aggregate: bool = False,
) -> CoderComparison:
    """Per-code character agreement of two coders on one document, or on every document both
    of them coded (when `document` is None)."""
    if coder_a == coder_b:
        raise InvalidInputError("compare two different coders")
    with ws.store.read() as s:
        people = {}
        for name in (coder_a, coder_b):
            person = s.scalars(select(Reviewer).where(Reviewer.name == name)).first()
            if person is None:
                raise NotFoundError(f"no reviewer {name!r} (see `realist reviewer list`)")
            people[name] = person.id
        if document is not None:
            docs = [find_document(s, ws, document)]
        else:
            coded_by: dict[int, set[int]] = defaultdict(set)
            for doc_id, coder_id in s.execute(
                select(Excerpt.document_id, Excerpt.coder_id)
                .join(Document, Document.id == Excerpt.document_id)
                .where(
                    Document.review_id == ws.review_id,
                    Excerpt.coder_id.in_(list(people.values())),
                )
            ):
                if coder_id is not None:
                    coded_by[doc_id].add(coder_id)
            both_ids = [d for d, c in coded_by.items() if len(c) == 2]
            docs = list(
                s.scalars(
                    select(Document)
                    .where(Document.id.in_(both_ids))
                    .order_by(Document.position, Document.id)
                )
            )
            if not docs:
                raise InvalidInputError(
                    f"{coder_a} and {coder_b} have not coded a document in common"
                )
        tree = CodeTree.load(s, ws.review_id)
        result = CoderComparison(coder_a, coder_b)
        per_code: dict[int, list[CodeAgreement]] = defaultdict(list)
        for doc in docs:
            ft = s.scalars(
                select(FullText).where(FullText.document_id == doc.id, FullText.is_current)
            ).first()
            if ft is None:
                result.warnings.append(f"document {doc.ref} has no full text; left out")
                continue
            result.documents.append(doc.ref)
            spans: dict[int, dict[int, list[Span]]] = {
                pid: defaultdict(list) for pid in people.values()
            }
            skipped = 0
            for ex, code_id in s.execute(
                select(Excerpt, ExcerptCode.code_id)
                .join(ExcerptCode, ExcerptCode.excerpt_id == Excerpt.id)
                .where(Excerpt.document_id == doc.id, Excerpt.coder_id.in_(list(people.values())))
            ):
                if drift_of(ex, ft) is not None:
                    skipped += 1
                    continue
                targets = [code_id]
                if aggregate:
                    targets += _ancestors(tree, code_id)
                for target in targets:
                    spans[ex.coder_id or 0][target].append((ex.start, ex.end))
            if skipped:
                result.warnings.append(
                    f"document {doc.ref}: {skipped} coding(s) left out because their excerpt no "
                    "longer matches the current full text (see `realist excerpts drift`)"
                )
            a_spans, b_spans = spans[people[coder_a]], spans[people[coder_b]]
            used = set(a_spans) | set(b_spans)
            for code_id in sorted(used, key=lambda c: tree.path(c).casefold()):
                row = _table(
                    code_id,
                    tree.path(code_id),
                    doc.ref,
                    len(ft.text),
                    union(a_spans.get(code_id, [])),
                    union(b_spans.get(code_id, [])),
                )
                result.rows.append(row)
                per_code[code_id].append(row)
        for code_id in sorted(per_code, key=lambda c: tree.path(c).casefold()):
            result.pooled.append(_sum(code_id, tree.path(code_id), per_code[code_id]))
        if result.rows:
            result.overall = _sum(None, "all codes", result.rows)
        return result


def _ancestors(tree: CodeTree, code_id: int) -> list[int]:
    out = []
    parent = tree.by_id[code_id].parent_id
    while parent is not None and parent not in out:
        out.append(parent)
        parent = tree.by_id[parent].parent_id
    return out
