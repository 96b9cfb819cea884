"""Field similarities: journal abbreviations, author lists, pages."""

from __future__ import annotations

import pytest

from realist.dedup.normalize import journal_tokens, normalize_pages, parse_authors
from realist.dedup.similarity import (
    abbreviates,
    author_similarity,
    journal_similarity,
    pages_similarity,
)


@pytest.mark.parametrize(
    ("short", "full", "expected"),
    [
        ("j", "journal", True),
        ("rehabil", "rehabilitation", True),
        ("natl", "national", True),
        ("thorac", "thoracic", True),
        ("surg", "surgery", True),
        ("jn", "journal", False),  # two-letter contractions match too much
        ("neurol", "neurosurgery", False),
        ("surgery", "surg", False),
    ],
)
def test_abbreviates(short: str, full: str, expected: bool) -> None:
    assert abbreviates(short, full) is expected


def _journal(a: str, b: str) -> float:
    return journal_similarity(journal_tokens(a), journal_tokens(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Journal of Thoracic and Cardiovascular Surgery", "J Thorac Cardiovasc Surg"),
        ("The Journal of Thoracic & Cardiovascular Surgery", "J. Thorac. Cardiovasc. Surg."),
        ("Archives of Physical Medicine and Rehabilitation", "Arch Phys Med Rehabil"),
        ("Journal of the American College of Surgeons", "J Am Coll Surg"),
        (
            "JPEN: Journal of Parenteral & Enteral Nutrition",
            "JPEN. Journal of parenteral and enteral nutrition",
        ),
        ("BMJ (Online)", "BMJ"),
        ("Journal of the National Cancer Institute", "J Natl Cancer Inst"),
    ],
)
def test_full_names_meet_their_abbreviations(a: str, b: str) -> None:
    assert _journal(a, b) == 1.0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Journal of Neurology", "Journal of Neurosurgery"),
        ("J Neurol", "J Neurosurg"),
        ("Stroke", "Brain"),
        ("Journal of Clinical Oncology", "Journal of Oncology"),
        ("Lancet", "Lancet Neurology"),
    ],
)
def test_different_journals_stay_below_a_match(a: str, b: str) -> None:
    assert _journal(a, b) < 0.9


def test_author_similarity_across_formats() -> None:
    a = parse_authors("Smith JA, Jones B, Okafor C")
    b = parse_authors("Smith, J. A.; Jones, B.; Okafor, C.")
    assert author_similarity(a, b) == (1.0, 1.0)
    c = parse_authors("J. A. Smith and B. Jones")  # truncated list
    assert author_similarity(a, c) == (1.0, 1.0)


def test_author_similarity_tells_people_apart() -> None:
    first, overall = author_similarity(parse_authors("Rosa UW"), parse_authors("Bouros D"))
    assert first < 0.7
    assert overall == 0.0


def test_author_similarity_initials_clash_and_swapped_names() -> None:
    first, _ = author_similarity(parse_authors("Smith JA"), parse_authors("Smith K"))
    assert first == 0.9
    first, overall = author_similarity(
        parse_authors("Kang, S. H. and Kim, D."), parse_authors("Si Hyun, Kang and Kim, Don")
    )
    assert first >= 0.9
    assert overall >= 0.8


def test_author_similarity_tolerates_a_typo() -> None:
    first, _ = author_similarity(
        parse_authors("Constantinidou F"), parse_authors("Constantinidu F")
    )
    assert 0.9 <= first < 1.0


def test_author_similarity_of_empty_lists_is_zero() -> None:
    assert author_similarity((), parse_authors("Smith J")) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("123-130", "123-30", 1.0),
        ("123-130", "123", 1.0),
        ("123-130", "123-131", 0.9),
        ("230-5, 246-51", "246-51, 230-5", 0.8),
        ("e123", "123", 0.8),
        ("123-130", "131-140", 0.0),
    ],
)
def test_pages_similarity(a: str, b: str, expected: float) -> None:
    pa, pb = normalize_pages(a), normalize_pages(b)
    assert pa is not None
    assert pb is not None
    assert pages_similarity(pa, pb) == expected
