"""Field cleaners: DOI, year, pages, ISSN, authors, keywords, labels in notes."""

from __future__ import annotations

import pytest

from realist.importing.labels import labels_from_note
from realist.importing.normalize import (
    clean_block,
    clean_text,
    find_doi,
    find_pmid,
    join_pages,
    normalize_doi,
    normalize_issn,
    normalize_pages,
    parse_year,
    split_authors,
    split_keywords,
)


@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("10.1038/S41467-024-48400-3", "10.1038/s41467-024-48400-3"),
        ("https://doi.org/10.1000/ABC", "10.1000/abc"),
        ("http://dx.doi.org/10.1002/cpp.2398", "10.1002/cpp.2398"),
        ("doi:10.1000/xyz.", "10.1000/xyz"),
        ("DOI: 10.1000/xyz", "10.1000/xyz"),
        ("10.1000/a; 10.1000/b", "10.1000/a"),
        ("10.1161/STROKEAHA.118.021126 [doi]", "10.1161/strokeaha.118.021126"),
        ("https://doi.org/10.1038%2Fs41467", "10.1038/s41467"),
        ("not a doi", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(raw: str | None, doi: str | None) -> None:
    assert normalize_doi(raw) == doi


def test_find_doi_in_urls_stops_at_query_strings() -> None:
    assert find_doi("http://dx.doi.org/10.1038/s41467-024-48400-3") == "10.1038/s41467-024-48400-3"
    assert (
        find_doi("https://x.org/link?id=doi:10.1038%2Fs41467-024-48400-3&atitle=Cellular")
        == "10.1038/s41467-024-48400-3"
    )
    assert find_doi("https://example.org/no-doi-here") is None


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("2019///", 2019),
        ("2019/05/01", 2019),
        ("2024/04/03/", 2024),
        ("4/3/2024", 2024),
        ("2018 Apr", 2018),
        ("1 Dec 2024", 2024),
        ("10 15", None),
        ("Publication Year", None),
        ("3000", None),
        (None, None),
    ],
)
def test_parse_year(raw: str | None, year: int | None) -> None:
    assert parse_year(raw) == year


@pytest.mark.parametrize(
    ("raw", "pages"),
    [
        ("283-98", "283-298"),
        ("123--130", "123-130"),
        ("12\u201323", "12-23"),
        ("e0815", "e0815"),
        ("S105-S110", "S105-S110"),
        ("1-5", "1-5"),
        ("", None),
    ],
)
def test_normalize_pages(raw: str, pages: str | None) -> None:
    assert normalize_pages(raw) == pages


def test_join_pages() -> None:
    assert join_pages("123", "30") == "123-130"
    assert join_pages("379", "423") == "379-423"
    assert join_pages("1-5", "5") == "1-5"  # a start page that is already a range
    assert join_pages("39", "39") == "39"
    assert join_pages(None, "423") is None


@pytest.mark.parametrize(
    ("raw", "issn"),
    [
        ("03064530 (ISSN)", "0306-4530"),
        ("1472-6963 (electronic)", "1472-6963"),
        ("2049-906x", "2049-906X"),
        ('="19326203"'.strip('="'), "1932-6203"),
    ],
)
def test_normalize_issn(raw: str, issn: str) -> None:
    assert normalize_issn(raw) == issn


@pytest.mark.parametrize(
    ("raw", "authors"),
    [
        ("Yang, Z.; Jiang, B.; Xu, J.", ["Yang, Z.", "Jiang, B.", "Xu, J."]),
        ("Yang Z., Jiang B., McNamara M.E.", ["Yang Z.", "Jiang B.", "McNamara M.E."]),
        ("Griffin DK, Larkin DM, O'Connor RE.", ["Griffin DK", "Larkin DM", "O'Connor RE"]),
        ("Yang, Z. and Jiang, B.", ["Yang, Z.", "Jiang, B."]),
        ("Alba Vicente|Josep Sanjuan", ["Alba Vicente", "Josep Sanjuan"]),
        ("['Marx, Karl', 'Lindgren, Astrid']", ["Marx, Karl", "Lindgren, Astrid"]),
        ("Barrett, Paul M; Willis, Katherine J; ", ["Barrett, Paul M", "Willis, Katherine J"]),
        ("Curry Rogers, Kristina", ["Curry Rogers, Kristina"]),
        ("Smith, John, Doe, Jane", ["Smith, John", "Doe, Jane"]),
        (
            "Longrich, N.R.\n and Pereda-Suberbiola, X.\n",
            ["Longrich, N.R.", "Pereda-Suberbiola, X."],
        ),
        ("Wilson, Lauren N. (58975547800)", ["Wilson, Lauren N."]),
        ("van den Hoven,null;Smits, Maarten", ["van den Hoven", "Smits, Maarten"]),
        ("World Health Organization", ["World Health Organization"]),
        ("", []),
    ],
)
def test_split_authors(raw: str, authors: list[str]) -> None:
    assert split_authors(raw) == authors


@pytest.mark.parametrize(
    ("raw", "keywords"),
    [
        ("keratin;melanin; animal scales", ["keratin", "melanin", "animal scales"]),
        ("phosphate,Africa,animal", ["phosphate", "Africa", "animal"]),
        ("['Pippi', 'Nordwind']", ["Pippi", "Nordwind"]),
        ("Archipelago|Aptian", ["Archipelago", "Aptian"]),
        ("a; a; b", ["a", "b"]),
    ],
)
def test_split_keywords(raw: str, keywords: list[str]) -> None:
    assert split_keywords(raw) == keywords


def test_clean_text_and_block() -> None:
    assert clean_text("  A  title\n  on two lines ") == "A title on two lines"
    assert clean_text("   ") is None
    assert clean_block("Para one\n\n\n\nPara  two  ") == "Para one\n\nPara two"


def test_find_pmid_in_notes() -> None:
    assert find_pmid("PUBMED 21314913") == "21314913"
    assert find_pmid("PMID: 123") == "123"
    assert find_pmid("Export Date: 05 August 2024") is None


def test_labels_from_note() -> None:
    assert labels_from_note(
        'RAYYAN-INCLUSION: {"A"=>"Included"} | RAYYAN-LABELS: x,y | RAYYAN-EXCLUSION-REASONS: z'
    ) == {
        "RAYYAN-INCLUSION": '{"A"=>"Included"}',
        "RAYYAN-LABELS": "x,y",
        "RAYYAN-EXCLUSION-REASONS": "z",
    }
    assert labels_from_note("Additional notes 1. ASReview_irrelevant. Notes 2.") == {
        "ASReview": "irrelevant"
    }
    assert labels_from_note("An ordinary note") == {}
