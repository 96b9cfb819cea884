"""Agreement statistics for dual screening: pure functions over a q x q table, no I/O.

Notation (methods.md section 5). The table holds counts ``n_ij``: row ``i`` is reviewer A's
decision, column ``j`` reviewer B's, both in the order of ``categories`` (for screening:
include, exclude[, maybe]). For a 2x2 table ``[[a, b], [c, d]]``: ``a`` both include, ``b`` A
include / B exclude, ``c`` the reverse, ``d`` both exclude. With ``n = sum n_ij``:

* proportions ``p_ij = n_ij / n``; margins ``p_i+`` (row i, reviewer A) and ``p_+j`` (column j,
  reviewer B);
* observed agreement ``p_o = sum_i p_ii`` (reported as ``percent_agreement``, a proportion);
* chance agreement ``p_e = sum_i p_i+ p_+i``; Cohen's kappa ``(p_o - p_e) / (1 - p_e)``;
* the large-sample standard error of Fleiss, Cohen & Everitt (1969), the one statsmodels, SAS
  PROC FREQ, Stata ``kapci`` and R ``statpsych::ci.kappa`` report::

      Var(kappa) = (A + B - C) / (n (1 - p_e)^2)
      A = sum_i p_ii (1 - (p_i+ + p_+i)(1 - kappa))^2
      B = (1 - kappa)^2 sum_{i != j} p_ij (p_+i + p_j+)^2
      C = (kappa - p_e (1 - kappa))^2

  and the Wald interval ``kappa +/- 1.959964 SE`` (not truncated to [-1, 1]);
* PABAK (Byrt, Bishop & Carlin 1993) ``(q p_o - 1) / (q - 1)``, ``2 p_o - 1`` for q = 2;
* Gwet's AC1 (Gwet 2008): ``pi_k = (p_k+ + p_+k) / 2``, ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``,
  ``AC1 = (p_o - p_e) / (1 - p_e)``;
* specific agreement per category ``k`` (Spitzer & Fleiss 1974; Cicchetti & Feinstein 1990):
  ``2 n_kk / (n_k+ + n_+k)``. For a 2x2 table the include category gives positive agreement
  ``2a / (2a + b + c)`` and the exclude category negative agreement ``2d / (2d + b + c)``. With a
  third 'maybe' category the same definition applies unchanged: positive agreement is the
  specific agreement on include, so an include/maybe pair counts as a disagreement about
  include, and 'maybe' gets its own specific agreement.

``q`` is the number of categories offered (the table's size), not the number used: offering
'maybe' changes PABAK and AC1 even when nobody picks it, as in Gwet's and Byrt's definitions.

Nothing here raises on awkward data. Undefined statistics are ``None``, and
``agreement_report`` explains each in ``warnings``. Only malformed input (a table that is not
square, negative counts, an unknown category) raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral

__all__ = [
    "CI_METHOD",
    "HIGH_PREVALENCE_SHARE",
    "MIN_POSITIVE_RECORDS",
    "MIN_RELIABLE_N",
    "PARADOX_GAP",
    "PARADOX_MIN_AGREEMENT",
    "Z_95",
    "AgreementReport",
    "agreement_report",
    "agreement_table",
    "cohen_kappa",
    "expected_agreement",
    "gwet_ac1",
    "kappa_ci",
    "kappa_se",
    "landis_koch_band",
    "negative_agreement",
    "pabak",
    "percent_agreement",
    "positive_agreement",
    "specific_agreement",
]

Table = Sequence[Sequence[int]]

#: Two-sided 95% standard-normal quantile, as statpsych and methods.md use it.
Z_95 = 1.959964

#: Named in every report so that readers know which interval they are looking at.
CI_METHOD = (
    "Wald interval kappa ± 1.959964·SE with the large-sample standard error of "
    "Fleiss, Cohen & Everitt (1969)"
)

#: Fewer records than this and kappa's confidence interval is too wide to mean much.
MIN_RELIABLE_N = 30
#: Fewer records than this marked positive (include) by either reviewer and kappa rests on a
#: handful of records: one changed decision moves it a lot.
MIN_POSITIVE_RECORDS = 5
#: A category holding more than this share of all decisions (both reviewers pooled) is the
#: high-prevalence situation of the kappa paradox (Feinstein & Cicchetti 1990).
HIGH_PREVALENCE_SHARE = 0.90
#: Kappa this far below both PABAK and AC1, while observed agreement is at least
#: PARADOX_MIN_AGREEMENT, signals the same paradox from unbalanced margins even when no
#: category passes HIGH_PREVALENCE_SHARE (Feinstein & Cicchetti's [[80, 10], [5, 5]]).
PARADOX_GAP = 0.20
PARADOX_MIN_AGREEMENT = 0.80

# Float noise below this is treated as zero (negative variances, kappa of -1e-17).
_EPS = 1e-12

_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("0.20"), "slight"),
    (Decimal("0.40"), "fair"),
    (Decimal("0.60"), "moderate"),
    (Decimal("0.80"), "substantial"),
    (Decimal("1.00"), "almost perfect"),
)


# --------------------------------------------------------------------------- building tables


def agreement_table(pairs: Iterable[tuple[str, str]], categories: Sequence[str]) -> list[list[int]]:
    """Cross-tabulate (reviewer A, reviewer B) decision pairs into a q x q count table.

    Row ``i`` counts the records reviewer A put in ``categories[i]``; column ``j`` those
    reviewer B put in ``categories[j]``. Categories nobody used still get a row and a column
    of zeros. Raises ``ValueError`` naming the pair when a decision is not one of
    ``categories``, or when ``categories`` is empty or repeats a name.
    """
    index = _category_index(categories)
    q = len(categories)
    table = [[0] * q for _ in range(q)]
    for pos, pair in enumerate(pairs, start=1):
        if len(pair) != 2:
            raise ValueError(f"pair {pos}: expected (reviewer A, reviewer B), got {pair!r}")
        a, b = pair
        for who, value in (("A", a), ("B", b)):
            if value not in index:
                raise ValueError(
                    f"pair {pos}: reviewer {who}'s decision {value!r} is not one of "
                    f"{', '.join(categories)}"
                )
        table[index[a]][index[b]] += 1
    return table


def _category_index(categories: Sequence[str]) -> dict[str, int]:
    if isinstance(categories, str):
        raise ValueError("categories must be a sequence of names, not a single string")
    if not categories:
        raise ValueError("categories is empty: at least one category is needed")
    index: dict[str, int] = {}
    for i, name in enumerate(categories):
        if name in index:
            raise ValueError(f"category {name!r} is listed twice in categories")
        index[name] = i
    return index


# --------------------------------------------------------------------------- margins


@dataclass(frozen=True)
class _Margins:
    """Counts and proportions shared by every statistic."""

    q: int
    n: int
    rows: tuple[int, ...]  # reviewer A's totals n_i+
    cols: tuple[int, ...]  # reviewer B's totals n_+j
    diag: tuple[int, ...]  # agreements n_ii

    @property
    def p_o(self) -> float:
        return sum(self.diag) / self.n

    @property
    def p_e(self) -> float:
        return sum(r * c for r, c in zip(self.rows, self.cols, strict=True)) / self.n**2

    @property
    def kappa_undefined(self) -> bool:
        # p_e == 1 exactly when both reviewers put every record in one and the same category;
        # tested in integers so float rounding cannot hide or invent the case.
        return sum(r * c for r, c in zip(self.rows, self.cols, strict=True)) == self.n**2


def _margins(table: Table) -> _Margins:
    q = len(table)
    if q == 0:
        raise ValueError("the agreement table is empty: it needs at least one category")
    for i, row in enumerate(table):
        if len(row) != q:
            raise ValueError(
                f"the agreement table must be square: row {i + 1} has {len(row)} cells, "
                f"expected {q}"
            )
        for j, cell in enumerate(row):
            if isinstance(cell, bool) or not isinstance(cell, Integral):
                raise ValueError(
                    f"table cell ({i + 1}, {j + 1}) must be a whole count, got {cell!r}"
                )
            if cell < 0:
                raise ValueError(f"table cell ({i + 1}, {j + 1}) is negative ({cell})")
    rows = tuple(int(sum(row)) for row in table)
    cols = tuple(int(sum(table[i][j] for i in range(q))) for j in range(q))
    diag = tuple(int(table[i][i]) for i in range(q))
    return _Margins(q=q, n=sum(rows), rows=rows, cols=cols, diag=diag)


# --------------------------------------------------------------------------- statistics


def percent_agreement(table: Table) -> float | None:
    """Observed agreement ``p_o = sum_i n_ii / n`` as a proportion in [0, 1]; None when n = 0."""
    m = _margins(table)
    return m.p_o if m.n else None


def expected_agreement(table: Table) -> float | None:
    """Chance agreement of Cohen's kappa, ``p_e = sum_i p_i+ p_+i``; None when n = 0."""
    m = _margins(table)
    return m.p_e if m.n else None


def cohen_kappa(table: Table) -> float | None:
    """Cohen's (1960) kappa ``(p_o - p_e) / (1 - p_e)``.

    None when undefined: an empty table (n = 0) or ``p_e = 1``, which happens exactly when both
    reviewers put every record in the same single category (then ``p_o = 1`` too and kappa is
    0/0). When only one reviewer used a single category kappa is defined and equals 0.
    """
    m = _margins(table)
    if m.n == 0 or m.kappa_undefined:
        return None
    return _kappa(m)


def _kappa(m: _Margins) -> float:
    p_e = m.p_e
    return (m.p_o - p_e) / (1 - p_e)


def kappa_se(table: Table) -> float | None:
    """Large-sample standard error of kappa (Fleiss, Cohen & Everitt 1969), for intervals.

    ``Var = (A + B - C) / (n (1 - p_e)^2)`` with A, B and C as in the module docstring. This is
    the non-null variance (not the one for testing kappa = 0) and is what statsmodels
    ``cohens_kappa().std_kappa``, SAS's ASE, Stata ``kapci`` and R ``statpsych::ci.kappa``
    report. None when kappa is undefined. It is 0 when agreement is perfect, and very small
    samples can give 0 as well; the interval is then degenerate.
    """
    m = _margins(table)
    if m.n == 0 or m.kappa_undefined:
        return None
    return _kappa_se(table, m, _kappa(m))


def _kappa_se(table: Table, m: _Margins, kappa: float) -> float | None:
    n, q = m.n, m.q
    p_row = [r / n for r in m.rows]
    p_col = [c / n for c in m.cols]
    p_e = m.p_e
    a_term = sum((m.diag[i] / n) * (1 - (p_row[i] + p_col[i]) * (1 - kappa)) ** 2 for i in range(q))
    b_term = (1 - kappa) ** 2 * sum(
        (table[i][j] / n) * (p_col[i] + p_row[j]) ** 2 for i in range(q) for j in range(q) if i != j
    )
    c_term = (kappa - p_e * (1 - kappa)) ** 2
    var = (a_term + b_term - c_term) / (n * (1 - p_e) ** 2)
    if var < 0:
        # Mathematically a variance (a delta-method quadratic form) and so never negative;
        # anything below zero is rounding.
        if var > -_EPS:
            return 0.0
        return None
    return math.sqrt(var)


def kappa_ci(table: Table, z: float = Z_95) -> tuple[float, float] | None:
    """Wald interval ``kappa +/- z * SE`` (95% by default); None when kappa is undefined.

    The limits are not truncated to [-1, 1], so that they match the published software.
    """
    m = _margins(table)
    if m.n == 0 or m.kappa_undefined:
        return None
    kappa = _kappa(m)
    se = _kappa_se(table, m, kappa)
    if se is None:
        return None
    return kappa - z * se, kappa + z * se


def pabak(table: Table) -> float | None:
    """Prevalence- and bias-adjusted kappa ``(q p_o - 1) / (q - 1)`` (Byrt et al. 1993).

    Equals ``2 p_o - 1`` for two categories and always lies in [-1, 1]. ``q`` is the number of
    categories offered (the table's size). None when n = 0 or the table has one category.
    """
    m = _margins(table)
    if m.n == 0 or m.q < 2:
        return None
    return (m.q * m.p_o - 1) / (m.q - 1)


def gwet_ac1(table: Table) -> float | None:
    """Gwet's (2008) first-order agreement coefficient AC1.

    ``pi_k = (p_k+ + p_+k) / 2``; ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)``;
    ``AC1 = (p_o - p_e) / (1 - p_e)``. Since ``p_e <= 1/q`` it is defined for every non-empty
    table with at least two categories; None otherwise.
    """
    m = _margins(table)
    if m.n == 0 or m.q < 2:
        return None
    pis = [(r + c) / (2 * m.n) for r, c in zip(m.rows, m.cols, strict=True)]
    p_e = sum(pi * (1 - pi) for pi in pis) / (m.q - 1)
    return (m.p_o - p_e) / (1 - p_e)


def specific_agreement(table: Table) -> list[float | None]:
    """Specific agreement per category ``2 n_kk / (n_k+ + n_+k)``, in table order.

    The share of one category's uses on which the other reviewer agreed (Spitzer & Fleiss
    1974). None for a category neither reviewer used.
    """
    m = _margins(table)
    out: list[float | None] = []
    for k in range(m.q):
        uses = m.rows[k] + m.cols[k]
        out.append(2 * m.diag[k] / uses if uses else None)
    return out


def positive_agreement(table: Table, index: int = 0) -> float | None:
    """Positive agreement: specific agreement on the include category (``index``, default 0).

    ``2a / (2a + b + c)`` for a 2x2 table. None when neither reviewer used the category.
    """
    return _specific_at(table, index)


def negative_agreement(table: Table, index: int = 1) -> float | None:
    """Negative agreement: specific agreement on the exclude category (``index``, default 1).

    ``2d / (2d + b + c)`` for a 2x2 table. None when neither reviewer used the category.
    """
    return _specific_at(table, index)


def _specific_at(table: Table, index: int) -> float | None:
    values = specific_agreement(table)
    if not 0 <= index < len(values):
        raise ValueError(f"category index {index} is outside a {len(values)}-category table")
    return values[index]


def landis_koch_band(kappa: float | None) -> str | None:
    """Landis & Koch (1977) label for a kappa value; None when kappa is None.

    Bands: < 0 poor; 0.00-0.20 slight; 0.21-0.40 fair; 0.41-0.60 moderate; 0.61-0.80
    substantial; 0.81-1.00 almost perfect. The published table is written at two decimals,
    so boundaries are handled the way a reader applies it to a rounded value: a kappa below
    zero is 'poor'; any other kappa is rounded half-up to two decimals (from its shortest
    decimal form, so 0.205 is 0.21 and not the binary 0.2049999...) and looked up with each
    band closed at both printed ends. Thus 0.2049 is 'slight', 0.205 'fair', 0.80 'substantial'
    and 0.805 'almost perfect'. Values within 1e-12 of zero count as zero.
    """
    if kappa is None or math.isnan(kappa):
        return None
    if kappa < -_EPS:
        return "poor"
    rounded = Decimal(repr(max(kappa, 0.0))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for upper, label in _BANDS:
        if rounded <= upper:
            return label
    return "almost perfect"


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class AgreementReport:
    """Everything the agreement check reports for one table, ready to render.

    ``percent_agreement`` and ``expected_agreement`` are proportions (0.85, not 85).
    Statistics that are undefined are None and ``warnings`` says why. ``table`` rows are
    reviewer A, columns reviewer B, both in ``categories`` order. ``specific_agreement`` maps
    each category to its specific agreement; ``positive_agreement`` and
    ``negative_agreement`` are the entries for ``positive_category`` and
    ``negative_category``. ``prevalence_index`` ``(a - d) / n`` and ``bias_index``
    ``(b - c) / n`` (Byrt et al. 1993) accompany PABAK for 2x2 tables and are None otherwise.
    """

    n: int
    categories: list[str]
    table: list[list[int]]
    percent_agreement: float | None
    expected_agreement: float | None
    kappa: float | None
    kappa_se: float | None
    kappa_ci_low: float | None
    kappa_ci_high: float | None
    pabak: float | None
    ac1: float | None
    positive_agreement: float | None
    negative_agreement: float | None
    band: str | None
    positive_category: str | None = None
    negative_category: str | None = None
    specific_agreement: dict[str, float | None] = field(default_factory=dict)
    prevalence_index: float | None = None
    bias_index: float | None = None
    ci_level: float = 0.95
    ci_method: str = CI_METHOD
    warnings: list[str] = field(default_factory=list)


def agreement_report(
    table: Table,
    categories: Sequence[str],
    *,
    positive: str | None = None,
    negative: str | None = None,
) -> AgreementReport:
    """Compute every statistic for ``table`` and explain whatever is undefined or unstable.

    ``categories`` names the rows and columns in order. The negative category (for negative
    agreement) is ``negative`` if given, else 'exclude' when offered, else the second
    category; the positive one (for positive agreement and the few-includes warning) is
    ``positive`` if given, else 'include' when offered, else the first category other than the
    negative one. A one-category table has neither unless they are named or usual.

    Warnings (never exceptions) cover: an empty table; kappa undefined because both reviewers
    used one category (p_o and the table are still reported); a reviewer who used one
    category only (kappa is then 0 by construction); fewer than ``MIN_RELIABLE_N`` records;
    fewer than ``MIN_POSITIVE_RECORDS`` records marked positive by either reviewer; one
    category above ``HIGH_PREVALENCE_SHARE`` of all decisions, or kappa ``PARADOX_GAP`` or
    more below both PABAK and AC1 while p_o >= ``PARADOX_MIN_AGREEMENT`` (the kappa paradox);
    an undefined or zero SE; and a CI reaching beyond [-1, 1].
    """
    index = _category_index(categories)
    m = _margins(table)
    if m.q != len(categories):
        raise ValueError(
            f"the table has {m.q} rows and columns but {len(categories)} categories were named"
        )
    neg_name = _pick(negative, "exclude", categories, None, index, "negative")
    pos_name = _pick(positive, "include", categories, neg_name, index, "positive")
    if pos_name is not None and pos_name == neg_name:
        raise ValueError(f"the positive and negative categories are both {pos_name!r}")
    table_copy = [[int(cell) for cell in row] for row in table]

    if m.n == 0:
        return AgreementReport(
            n=0,
            categories=list(categories),
            table=table_copy,
            percent_agreement=None,
            expected_agreement=None,
            kappa=None,
            kappa_se=None,
            kappa_ci_low=None,
            kappa_ci_high=None,
            pabak=None,
            ac1=None,
            positive_agreement=None,
            negative_agreement=None,
            band=None,
            positive_category=pos_name,
            negative_category=neg_name,
            specific_agreement={c: None for c in categories},
            warnings=[
                "The table is empty: no record was decided by both reviewers, so no agreement "
                "statistic can be computed."
            ],
        )

    warnings: list[str] = []
    p_o = m.p_o
    p_e = m.p_e
    kappa: float | None = None
    se: float | None = None
    if m.kappa_undefined:
        only = categories[next(i for i, r in enumerate(m.rows) if r)]
        warnings.append(
            f"Cohen's kappa is undefined (chance agreement p_e = 1): both reviewers put all "
            f"{m.n} records in '{only}'. Observed agreement is {p_o:.1%}; report it with the "
            f"table. The SE and confidence interval are undefined too."
        )
    else:
        kappa = _kappa(m)
        se = _kappa_se(table, m, kappa)
        warnings.extend(_single_category_warnings(m, categories))
    ci = (kappa - Z_95 * se, kappa + Z_95 * se) if kappa is not None and se is not None else None
    if kappa is not None and se is None:
        warnings.append(
            "The standard error of kappa is undefined for this table (rounding gave a negative "
            "variance), so no confidence interval is reported."
        )
    elif se is not None and se < 1e-9 and kappa is not None:
        warnings.append(
            f"The standard error of kappa is 0 (kappa = {kappa:.3f} on {m.n} records): the "
            "large-sample interval collapses to a point and does not show the real "
            "uncertainty of so small or so uniform a sample."
        )
    elif ci is not None and (ci[0] < -1 or ci[1] > 1):
        warnings.append(
            f"The large-sample 95% CI ({ci[0]:.3f} to {ci[1]:.3f}) reaches beyond the range "
            "of kappa [-1, 1]: the normal approximation is poor here; read the limits as "
            "truncated at -1 and 1."
        )

    pabak_value = (m.q * p_o - 1) / (m.q - 1) if m.q >= 2 else None
    ac1_value = gwet_ac1(table)
    if m.n < MIN_RELIABLE_N:
        warnings.append(
            f"Only {m.n} records were compared (fewer than {MIN_RELIABLE_N}): kappa and its "
            "confidence interval are unstable; treat them as indicative only."
        )
    if pos_name is not None:
        k = index[pos_name]
        flagged = m.rows[k] + m.cols[k] - m.diag[k]
        if flagged == 0:
            warnings.append(
                f"No record was marked '{pos_name}' by either reviewer: the comparison says "
                f"nothing about agreement on '{pos_name}'; consider a stratified sample that "
                f"oversamples '{pos_name}'."
            )
        elif flagged < MIN_POSITIVE_RECORDS:
            warnings.append(
                f"Only {flagged} record{'s' if flagged != 1 else ''} "
                f"{'were' if flagged != 1 else 'was'} marked '{pos_name}' by either reviewer "
                f"(fewer than {MIN_POSITIVE_RECORDS}): kappa rests on a handful of records and "
                f"one changed decision moves it a lot; consider a larger or stratified sample "
                f"that oversamples '{pos_name}'."
            )
    warnings.extend(_paradox_warnings(m, categories, kappa, pabak_value, ac1_value))

    specific = specific_agreement(table)
    prevalence_index = bias_index = None
    if m.q == 2:
        (a, b), (c, d) = table_copy
        prevalence_index = (a - d) / m.n
        bias_index = (b - c) / m.n
    return AgreementReport(
        n=m.n,
        categories=list(categories),
        table=table_copy,
        percent_agreement=p_o,
        expected_agreement=p_e,
        kappa=kappa,
        kappa_se=se,
        kappa_ci_low=ci[0] if ci else None,
        kappa_ci_high=ci[1] if ci else None,
        pabak=pabak_value,
        ac1=ac1_value,
        positive_agreement=specific[index[pos_name]] if pos_name is not None else None,
        negative_agreement=specific[index[neg_name]] if neg_name is not None else None,
        band=landis_koch_band(kappa),
        positive_category=pos_name,
        negative_category=neg_name,
        specific_agreement=dict(zip(categories, specific, strict=True)),
        prevalence_index=prevalence_index,
        bias_index=bias_index,
        warnings=warnings,
    )


def _pick(
    explicit: str | None,
    usual: str,
    categories: Sequence[str],
    other: str | None,
    index: dict[str, int],
    role: str,
) -> str | None:
    """The named category, else ``usual`` if offered, else the first one not taken by ``other``
    (for the negative role: the second category, as include/exclude tables list it second)."""
    if explicit is not None:
        if explicit not in index:
            raise ValueError(
                f"the {role} category {explicit!r} is not one of {', '.join(categories)}"
            )
        return explicit
    if usual in index:
        return usual
    if len(categories) < 2:
        return None
    if role == "negative":
        return categories[1]
    return next(c for c in categories if c != other)


def _single_category_warnings(m: _Margins, categories: Sequence[str]) -> list[str]:
    out = []
    for who, totals in (("A", m.rows), ("B", m.cols)):
        used = [i for i, t in enumerate(totals) if t]
        if len(used) == 1:
            out.append(
                f"Reviewer {who} put every record in '{categories[used[0]]}': kappa is 0 by "
                "construction whatever the agreement; look at percent agreement and the table."
            )
    return out


def _paradox_warnings(
    m: _Margins,
    categories: Sequence[str],
    kappa: float | None,
    pabak_value: float | None,
    ac1_value: float | None,
) -> list[str]:
    shares = [(r + c) / (2 * m.n) for r, c in zip(m.rows, m.cols, strict=True)]
    top = max(range(m.q), key=lambda i: shares[i])
    if kappa is None or m.q < 2:
        return []
    if shares[top] > HIGH_PREVALENCE_SHARE:
        return [
            f"High prevalence: '{categories[top]}' makes up {shares[top]:.1%} of all decisions "
            f"(above {HIGH_PREVALENCE_SHARE:.0%}), so kappa can be low while reviewers almost "
            "always agree; see PABAK and AC1 (the kappa paradox, Feinstein & Cicchetti 1990)."
        ]
    if (
        pabak_value is not None
        and ac1_value is not None
        and m.p_o >= PARADOX_MIN_AGREEMENT
        and min(pabak_value, ac1_value) - kappa >= PARADOX_GAP
    ):
        return [
            f"Kappa ({kappa:.3f}) is well below PABAK ({pabak_value:.3f}) and AC1 "
            f"({ac1_value:.3f}) because the decisions are unevenly spread ('{categories[top]}' "
            f"makes up {shares[top]:.1%}): kappa can be low while reviewers almost always "
            "agree; see PABAK and AC1 (the kappa paradox, Feinstein & Cicchetti 1990)."
        ]
    return []
