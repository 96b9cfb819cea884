"""Normalisers of realist.dedup: each field in the forms databases export it."""

from __future__ import annotations

import pytest

from realist.dedup.normalize import (
    PageRange,
    analyse_title,
    journal_tokens,
    normalize_doi,
    normalize_issue,
    normalize_pages,
    normalize_pmid,
    normalize_title,
    normalize_volume,
    normalize_year,
    parse_authors,
    strip_annotations,
    title_markers,
    title_numbers,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1000/ABC.123", "10.1000/abc.123"),
        ("https://doi.org/10.1000/abc.123", "10.1000/abc.123"),
        ("http://dx.doi.org/10.1000/abc.123.", "10.1000/abc.123"),
        ("doi: 10.1000/abc.123;", "10.1000/abc.123"),
        ("DOI:10.1000/abc.123 [doi]", "10.1000/abc.123"),
        ("https://doi.org/10.1000%2Fabc.123", "10.1000/abc.123"),
        (
            "S0140-6736(10)60000-1 [pii]; 10.1016/S0140-6736(10)60000-1 [doi]",
            "10.1016/s0140-6736(10)60000-1",
        ),
        ("(doi: 10.1016/0140-6736(92)90001-X).", "10.1016/0140-6736(92)90001-x"),
        ("https://doi.org/10.1000/abc.123)", "10.1000/abc.123"),
        ("not a doi", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw: str | None, expected: str | None) -> None:
    assert normalize_doi(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678", "12345678"),
        ("PMID: 0012345", "12345"),
        (12345, "12345"),
        ("", None),
        (None, None),
        ("n/a", None),
    ],
)
def test_normalize_pmid(raw: str | int | None, expected: str | None) -> None:
    assert normalize_pmid(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (2012, 2012),
        ("2012", 2012),
        ("2012 Mar 4", 2012),
        ("Epub 2019-05-01", 2019),
        ("12345", None),
        (None, None),
        (99, None),
    ],
)
def test_normalize_year(raw: int | str | None, expected: int | None) -> None:
    assert normalize_year(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("18", "18"),
        ("018", "18"),
        ("18 Suppl 1", "18"),
        ("Vol. 7", "7"),
        ("(Jul)", None),
        ("Ph.D.", None),
        (None, None),
    ],
)
def test_normalize_volume(raw: str | None, expected: str | None) -> None:
    assert normalize_volume(raw) == expected


def test_normalize_issue_takes_the_first_number() -> None:
    assert normalize_issue("Suppl 2") == "2"
    assert normalize_issue("4-5") == "4"
    assert normalize_issue("Spring") is None


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("123-130", "123", "130"),
        ("123-30", "123", "130"),
        ("123-3", "123", "123"),  # ends on the first page's last digit group
        ("0123-0125", "123", "125"),
        ("pp. 12-19", "12", "19"),
        ("123", "123", None),
        ("e123", "e123", None),
        ("E48-E49", "e48", "e49"),
        ("e151-4", "e151", "e154"),
        ("S58-63", "s58", "s63"),
        ("1217-24; discussion 1224-5", "1217", "1224"),
        ("12-12", "12", None),
    ],
)
def test_normalize_pages(raw: str, start: str, end: str | None) -> None:
    pages = normalize_pages(raw)
    assert pages is not None
    assert (pages.start, pages.end) == (start, end if end != start else None)


def test_abbreviated_and_full_page_ranges_are_equal() -> None:
    assert normalize_pages("123-30") == normalize_pages("123-130")
    assert normalize_pages("1183-7") == normalize_pages("1183-1187")


@pytest.mark.parametrize("raw", ["215 p", "62 pp.", "08-Aug", "01-Jun", "", None, "xiii"])
def test_pages_that_are_not_pages(raw: str | None) -> None:
    assert normalize_pages(raw) is None


def test_pages_keep_further_ranges_and_first_page_digits() -> None:
    pages = normalize_pages("233-238+230-235+246-251")
    assert pages == PageRange("233", "238", frozenset({"230", "246"}))
    e_page = normalize_pages("e123")
    assert e_page is not None
    assert e_page.start_number == "123"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Effect of Exercise on Stroke.", "effect of exercise on stroke"),
        ("A randomised trial", "randomised trial"),
        ("An RCT: outcomes", "rct outcomes"),
        ("Café au lait: naïve Müller", "cafe au lait naive muller"),
        (
            "The &lt;i&gt;in vitro&lt;/i&gt; effect of &beta;-blockers",
            "in vitro effect of beta blockers",
        ),
        ("<i>In vitro</i> effect of β-blockers", "in vitro effect of beta blockers"),
        ("[Pleural drainage after lung resection].", "pleural drainage after lung resection"),
        ("Efficacy of batroxobin. [Chinese]", "efficacy of batroxobin"),
        ("Efficacy of batroxobin (Article in Chinese)", "efficacy of batroxobin"),
        ('"Quoted title"', "quoted title"),
        (None, ""),
    ],
)
def test_normalize_title(raw: str | None, expected: str) -> None:
    assert normalize_title(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Robot gait training.[Erratum appears in Exp Brain Res. 2010;202(4):943]",
            "Robot gait training",
        ),
        (
            "Memory training... [corrected][published erratum appears in Brain Inj. 2013;27:377]",
            "Memory training",
        ),
        (
            "Chest tube timing.[Erratum appears in J Card Surg. 2011;26:244 Note: Yeshaaiahu, M "
            "[corrected to Yeshayahu, M]]",
            "Chest tube timing",
        ),
        (
            "Decortication in children: a trial.[Erratum appears in J Pediatr Surg. 2009 Sep;44",
            "Decortication in children: a trial",
        ),
        ("Uptake of [18F]FDG in tumours", "Uptake of [18F]FDG in tumours"),
        ("[A translated title]", "[A translated title]"),
    ],
)
def test_strip_annotations(raw: str, expected: str) -> None:
    assert strip_annotations(raw) == expected


def test_bilingual_titles_give_variants() -> None:
    info = analyse_title(
        "Derrame pleural maligno: abordagem individualizada; Malignant pleural effusion: "
        "individual management according to presentation"
    )
    assert "malignant pleural effusion individual management according to presentation" in (
        info.variants
    )
    original = analyse_title(
        "Antibiotic prophylaxis in thoracic surgery. A randomized study. <ORIGINAL> "
        "PROPHYLAXIE ANTIBIOTIQUE EN CHIRURGIE THORACIQUE"
    )
    assert "antibiotic prophylaxis in thoracic surgery a randomized study" in original.variants
    assert analyse_title("Stroke and aphasia; a review").variants == ()  # parts too short


@pytest.mark.parametrize(
    ("raw", "marker"),
    [
        ("Erratum: Home-based cardiac rehabilitation", "erratum"),
        ("Correction to: Vitamin D and fractures", "erratum"),
        ("Corrigendum to 'Exercise in COPD'", "erratum"),
        ("Retraction: Ileal-lymphoid-nodular hyperplasia", "retraction"),
        ("Re: Antibiotic prophylaxis", "comment"),
        ("Comment on: Antibiotic prophylaxis", "comment"),
        ("Antibiotic prophylaxis: authors' reply", "comment"),
        ("Reply to Smith et al.", "comment"),
        ("Study protocol for the PLEASANT trial", "protocol"),
        ("Rationale and design of the COPPS trial", "protocol"),
        ("Abstracts of the 12th European Stroke Conference", "abstract"),
        ("Outcome measures: part 2", "part 2"),
        ("Outcome measures. Part II", "part 2"),
    ],
)
def test_title_markers(raw: str, marker: str) -> None:
    stripped = strip_annotations(raw)
    assert marker in title_markers(stripped, normalize_title(raw))


def test_no_markers_on_ordinary_titles_and_annotations() -> None:
    for raw in (
        "Re-evaluation of stroke units",
        "Effects of exercise on mood",
        "Robot gait training.[Erratum appears in Exp Brain Res. 2010;202(4):943]",
    ):
        assert analyse_title(raw).markers == frozenset(), raw


def test_title_numbers_read_roman_parts() -> None:
    assert title_numbers(normalize_title("A phase II trial")) == frozenset({"2"})
    assert title_numbers(normalize_title("A phase 2 trial")) == frozenset({"2"})
    assert title_numbers(normalize_title("12-month outcomes")) == frozenset({"12"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Smith, J.A.", [("smith", "ja")]),
        ("Smith JA", [("smith", "ja")]),
        ("J. A. Smith", [("smith", "ja")]),
        ("SMITH J", [("smith", "j")]),
        ("John A. Smith", [("smith", "ja")]),
        ("Smith, John Adam", [("smith", "ja")]),
        ("Zhai, Q. J. and Yue, X. Y. and Hong, Z.", [("zhai", "qj"), ("yue", "xy"), ("hong", "z")]),
        ("Smith JA, Jones B, van der Berg C", [("smith", "ja"), ("jones", "b"), ("berg", "c")]),
        ("Smith, J., Jones, B.", [("smith", "j"), ("jones", "b")]),
        ("SMITH JA; JONES B", [("smith", "ja"), ("jones", "b")]),
        ("P Nazzaro; M Manzari", [("nazzaro", "p"), ("manzari", "m")]),
        ("Smith J, Jones B, et al.", [("smith", "j"), ("jones", "b")]),
        ("Bowling, Mark and Chin, Robert, Jr.", [("bowling", "m"), ("chin", "r")]),
        ("Müller, K.; Schäfer, L.", [("muller", "k"), ("schafer", "l")]),
        ("Daniel Marchi dos Anjos", [("anjos", "dm")]),
        ("Si Hyun Kang, null", [("kang", "sh")]),
        ("", []),
        (None, []),
    ],
)
def test_parse_authors(raw: str | None, expected: list[tuple[str, str]]) -> None:
    assert [(a.surname, a.initials) for a in parse_authors(raw)] == expected


def test_parse_authors_accepts_lists_and_keeps_twelve() -> None:
    names = [f"Author{i}, A." for i in range(30)]
    parsed = parse_authors(names)
    assert len(parsed) == 12
    assert parsed[0].surname == "author0"
    assert [a.surname for a in parse_authors(["Smith, J.", "J. Jones"])] == ["smith", "jones"]


def test_swapped_name_parts_keep_all_name_words() -> None:
    (a,) = parse_authors("Si Hyun, Kang")
    assert "kang" in a.words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Annals of Thoracic Surgery", ("annals", "thoracic", "surgery")),
        (
            "Journal of Thoracic & Cardiovascular Surgery",
            ("journal", "thoracic", "cardiovascular", "surgery"),
        ),
        ("BMJ (Clinical research ed.)", ("bmj",)),
        ("J. Neurol. Neurosurg. Psychiatry", ("j", "neurol", "neurosurg", "psychiatry")),
        (None, ()),
    ],
)
def test_journal_tokens(raw: str | None, expected: tuple[str, ...]) -> None:
    assert journal_tokens(raw) == expected


@pytest.mark.parametrize(
    ("raw", "generic"),
    [
        ("Editorial", True),
        ("Letter to the editor", True),
        ("Book reviews", True),
        ("Stroke rehabilitation", True),
        ("Effects of exercise on mood", False),
        ("Email for clinical communication between healthcare professionals", False),
    ],
)
def test_generic_titles(raw: str, generic: bool) -> None:
    assert analyse_title(raw).generic is generic
