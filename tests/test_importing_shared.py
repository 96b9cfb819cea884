"""Every real export under ../shared/data/formats imports with its verified count, or is refused.

Expected counts come from ../shared/data/SOURCES.md (ER / PMID / rows / at_entries columns), read
with judgement where that table counts something else than records; each such case says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from realist.importing import ImportFileError, ParseResult, parse_file

pytestmark = pytest.mark.shared


@dataclass(frozen=True)
class Refused:
    """A file that is refused by default, with what --skip-invalid still imports."""

    reason: str
    record: int
    line: int
    kept: int
    skipped: int


NOTHING = "no title, abstract, DOI or PMID"

CSV = "asreview-citation-file-formatting/CSV/"
RIS = "asreview-citation-file-formatting/RIS/"
DEMO = "asreview-demo-data/"

EXPECTED: dict[str, int | Refused] = {
    CSV + "_baseline.csv": 100,
    CSV + "_baseline.tsv": 100,
    # SOURCES says rows=11: pandas counts the divider line 'citations that are not yet labeled
    # by anyone' between the labelled and unlabelled sections. The file has 10 records.
    CSV + "_baseline_abstrackr.csv": 10,
    CSV + "_baseline_cinahl.csv": 10,
    CSV + "_baseline_cochrane.csv": 3,
    CSV + "_baseline_covidence.csv": 10,
    # ParserError in SOURCES: a '"SEARCH QUERY","dinosaur:ti"' preamble, a dashed line and a blank
    # line come before the header (line 4); 10 records follow.
    CSV + "_baseline_embase.csv": 10,
    # ParserError in SOURCES: the same export saved by Excel: BOM, semicolons, preamble padded
    # with empty cells; header on line 4, 10 records.
    CSV + "_baseline_excel.csv": 10,
    CSV + "_baseline_googlescholar.csv": 10,
    CSV + "_baseline_openalex.csv": 9,
    CSV + "_baseline_pubmed.csv": 10,
    CSV + "_baseline_rayyan.csv": 10,
    CSV + "_baseline_refworks.tsv": 100,
    CSV + "_baseline_scopus.csv": 10,
    CSV + "_baseline_zotero.csv": 10,
    RIS + "_baseline.ris": 100,
    RIS + "_baseline_cinahl.ris": 9,
    RIS + "_baseline_citavi.ris": 100,
    RIS + "_baseline_cochrane_endnote.ris": 3,
    RIS + "_baseline_cochrane_procite.ris": 3,
    RIS + "_baseline_cochrane_refman.ris": 3,
    RIS + "_baseline_covidence_endnote.ris": 10,
    RIS + "_baseline_covidence_mendeley.ris": 10,
    RIS + "_baseline_covidence_refworks.ris": 10,
    RIS + "_baseline_covidence_zotero.ris": 10,
    RIS + "_baseline_embase.ris": 10,
    RIS + "_baseline_endnote.ris": 10,
    RIS + "_baseline_eppireviewer.ris": 10,
    RIS + "_baseline_eric_ovid.ris": 10,
    RIS + "_baseline_googlescholar.ris": 10,
    RIS + "_baseline_mdpi.ris": 11,
    RIS + "_baseline_mendeley.ris": 10,
    RIS + "_baseline_openalex.ris": 9,
    RIS + "_baseline_psychInfo_ovid.ris": 10,
    # ER=0 in SOURCES: despite the suffix this is PubMed MEDLINE text; PMID count 50.
    RIS + "_baseline_pubmed.ris": 50,
    RIS + "_baseline_rayyan.ris": 10,
    RIS + "_baseline_refworks.ris": 10,
    RIS + "_baseline_scopus.ris": 10,
    RIS + "_baseline_webofscience.ris": 10,
    RIS + "_baseline_zotero.ris": 10,
    DEMO + "_baseline.ris": 100,
    # Records 2 and 4 have no title but an abstract (N2): screenable, so imported.
    DEMO + "baseline_empty_values.ris": 4,
    # 61 records that hold only a reference type and a note (the first not even a type): there is
    # nothing to screen or identify, so the file is refused; --skip-invalid keeps none.
    DEMO + "baseline_reference_types.ris": Refused(NOTHING, 1, 1, 0, 61),
    # A notes test: 11 of its 12 records are only N1 notes; the one titled record survives.
    DEMO + "baseline_tag-notes.ris": Refused(NOTHING, 2, 6, 1, 11),
    DEMO + "baseline_tag-notes_labels.ris": 32,
    DEMO + "baseline_tag-notes_zotero.ris": 4,
    # ER=2 but TY=1: after 'ER  - End of Reference' comes 'UK  - Unknown Tag' and a second ER,
    # a record without TY. Truly malformed RIS; --skip-invalid keeps the one real record.
    DEMO + "baseline_tag_and_field_definitions.ris": Refused(
        "tag UK outside a record", 2, 65, 1, 1
    ),
    # One record of authors, keywords and notes only: nothing to screen or identify.
    DEMO + "baseline_tag_and_field_definitions_lists.ris": Refused(NOTHING, 1, 1, 0, 1),
    DEMO + "baseline_zotero.ris": 100,
    # Rows 11-14 have no title or abstract but a DOI-like value: kept (identifiable).
    DEMO + "duplicate_records.csv": 14,
    DEMO + "embase.csv": 6,
    DEMO + "embase.ris": 6,
    DEMO + "embase_newpage.csv": 6,
    DEMO + "faulty_year.ris": 1,
    DEMO + "generic.csv": 2,
    DEMO + "generic_bad_record_id.csv": 6,
    DEMO + "generic_column_names_with_spaces.csv": 2,
    DEMO + "generic_labels.csv": 6,
    DEMO + "generic_labels_no_abs.csv": 6,
    DEMO + "generic_labels_no_title.csv": 6,
    DEMO + "generic_partial_labels.csv": 6,
    DEMO + "generic_semicolon.csv": 2,
    DEMO + "generic_tab.csv": 2,
    DEMO + "generic_tab.tab": 2,
    DEMO + "generic_tab.tsv": 2,
    DEMO + "missing_values.csv": 4,
    DEMO + "ovid_psycinfo.ris": 6,
    DEMO + "ovid_zotero.ris": 6,
    DEMO + "proquest.ris": 6,
    DEMO + "pubmed_endnote.txt": 6,
    DEMO + "pubmed_zotero.ris": 6,
    DEMO + "record_id.csv": 10,
    DEMO + "ris_issue_1099.txt": 7,
    DEMO + "ris_issue_992.txt": 19,
    DEMO + "ris_many_authors.ris": 1,
    DEMO + "scopus.ris": 6,
    DEMO + "web_of_science.txt": 10,
    # at_entries=2 counts the @comment block; there is one @ARTICLE entry (bibtexparser: 1).
    "bibtexparser-tests/bibtex.bib": 1,
    "bibtexparser-tests/gbk_test.bib": 1,
    "nbib-tests/pmc_medlars.txt": 5,
    "nbib-tests/pubmed-balloongui-set.nbib": 75,
    "nbib-tests/single.nbib": 1,
    "rispy-tests/example_basic.ris": 1,
    # Only a DOI: identifiable, kept.
    "rispy-tests/example_bom.ris": 1,
    # Two authors and three ISSNs, no title, abstract or DOI.
    "rispy-tests/example_custom_list_tags.ris": Refused(NOTHING, 1, 2, 0, 1),
    "rispy-tests/example_empty_tag.ris": 1,
    "rispy-tests/example_extraneous_data.ris": 2,
    "rispy-tests/example_full.ris": 2,
    "rispy-tests/example_full_without_whitespace.ris": 2,
    "rispy-tests/example_full_write.ris": 2,
    "rispy-tests/example_multi_unknown_tags.ris": 1,
    # No titles, but every record has an N2 abstract.
    "rispy-tests/example_multiline.ris": 3,
    "rispy-tests/example_single_unknown_tag.ris": 1,
    "rispy-tests/example_starting_newlines.ris": 1,
    "rispy-tests/example_urls.ris": 4,
    "rispy-tests/example_utf_chars.ris": 1,
    # ER=0 in SOURCES: Web of Science plain text ('PT J' ... 'ER'), two records.
    "rispy-tests/example_wos.ris": 2,
}


def _formats(shared: Path) -> Path:
    return shared / "formats"


def test_every_shared_export_has_an_expectation(shared_data: Path) -> None:
    files = {
        str(p.relative_to(_formats(shared_data)))
        for p in _formats(shared_data).rglob("*")
        if p.is_file() and p.suffix != ".md"
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_export_imports_with_verified_count(shared_data: Path, name: str) -> None:
    path = _formats(shared_data) / name
    expected = EXPECTED[name]
    if isinstance(expected, Refused):
        with pytest.raises(ImportFileError) as info:
            parse_file(path)
        err = info.value
        assert expected.reason in err.reason
        assert (err.record, err.line) == (expected.record, expected.line)
        assert str(path) in str(err) and f"record {expected.record} (line {expected.line})" in str(
            err
        )
        kept = parse_file(path, skip_invalid=True)
        assert len(kept.records) == expected.kept
        assert len(kept.skipped) == expected.skipped
        return
    result = parse_file(path)
    assert len(result.records) == expected
    assert result.skipped == []
    assert [r.position for r in result.records] == list(range(1, expected + 1))


def _load(shared: Path, name: str) -> ParseResult:
    return parse_file(_formats(shared) / name)


def _ris_oracle(text: str) -> tuple[int, int]:
    """(records with a TI/T1 title, records with an AB/N2 abstract), by plain regexes."""
    titles = abstracts = 0
    for block in re.split(r"^ER {2}-.*$", text, flags=re.M):
        if not re.search(r"^\ufeff?TY {2}-", block, flags=re.M):
            continue
        titles += bool(re.search(r"^(?:TI|T1) {2}- *\S", block, flags=re.M))
        abstracts += bool(re.search(r"^(?:AB|N2) {2}- *\S", block, flags=re.M))
    return titles, abstracts


RIS_FILES = sorted(
    n
    for n, e in EXPECTED.items()
    if isinstance(e, int) and n.endswith(".ris") and "pubmed.ris" not in n and "wos" not in n
)


@pytest.mark.parametrize("name", RIS_FILES)
def test_titles_and_abstracts_present_where_the_ris_file_has_them(
    shared_data: Path, name: str
) -> None:
    path = _formats(shared_data) / name
    titles, abstracts = _ris_oracle(path.read_text(encoding="utf-8-sig", errors="replace"))
    result = parse_file(path)
    assert sum(r.title is not None for r in result.records) >= titles
    assert sum(r.abstract is not None for r in result.records) == abstracts


DIALECTS = {
    RIS + "_baseline.ris": "lens",
    RIS + "_baseline_cinahl.ris": "ebsco",
    RIS + "_baseline_citavi.ris": "citavi",
    RIS + "_baseline_cochrane_refman.ris": "cochrane",
    RIS + "_baseline_covidence_zotero.ris": "covidence",
    RIS + "_baseline_embase.ris": "embase",
    RIS + "_baseline_eppireviewer.ris": "eppi",
    RIS + "_baseline_eric_ovid.ris": "ovid",
    RIS + "_baseline_pubmed.ris": "pubmed",
    RIS + "_baseline_rayyan.ris": "rayyan",
    RIS + "_baseline_refworks.ris": "refworks",
    RIS + "_baseline_scopus.ris": "scopus",
    RIS + "_baseline_webofscience.ris": "wos",
    DEMO + "proquest.ris": "proquest",
    DEMO + "pubmed_endnote.txt": "pubmed",
    CSV + "_baseline.csv": "lens",
    CSV + "_baseline_abstrackr.csv": "abstrackr",
    CSV + "_baseline_cochrane.csv": "cochrane",
    CSV + "_baseline_covidence.csv": "covidence",
    CSV + "_baseline_embase.csv": "embase",
    CSV + "_baseline_openalex.csv": "openalex",
    CSV + "_baseline_pubmed.csv": "pubmed",
    CSV + "_baseline_rayyan.csv": "rayyan",
    CSV + "_baseline_refworks.tsv": "refworks",
    CSV + "_baseline_scopus.csv": "scopus",
    CSV + "_baseline_zotero.csv": "zotero",
    DEMO + "generic_labels.csv": "asreview",
    "rispy-tests/example_wos.ris": "wos",
}


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_dialect_guess(shared_data: Path, name: str) -> None:
    assert _load(shared_data, name).dialect == DIALECTS[name]


def test_embase_ris_abstract_from_n2_and_ids(shared_data: Path) -> None:
    result = _load(shared_data, RIS + "_baseline_embase.ris")
    assert result.dialect == "embase"
    first = result.records[0]
    assert first.abstract and first.abstract.startswith("Fossil feathers have transformed")
    assert first.authors == ["Yang, Z.", "Jiang, B.", "Xu, J.", "McNamara, M.E."]
    assert first.year == 2024
    assert first.journal == "Nature Communications"
    assert first.journal_abbrev == "Nat. Commun."
    assert first.doi == "10.1038/s41467-024-48400-3"
    assert first.pmid == "38773066"  # Embase puts the PubMed id in C5
    assert first.source_id == "L2029880245"  # and its own accession number in U2


def test_ovid_ris_doi_url_normalised_and_abstract_from_n2(shared_data: Path) -> None:
    result = _load(shared_data, RIS + "_baseline_psychInfo_ovid.ris")
    assert result.dialect == "ovid"
    first = result.records[0]
    assert first.doi == "10.1186/s11689-021-09396-9"  # given as https://dx.doi.org/...
    assert first.abstract and first.abstract.startswith("Background: Anxiety disorders")
    assert first.source_id == "2021-94054-001"
    assert first.year == 2021  # from "2021//"


def test_ovid_journal_abbreviation_written_after_er_is_kept(shared_data: Path) -> None:
    result = _load(shared_data, DEMO + "ovid_psycinfo.ris")
    assert result.records[0].journal_abbrev == "Clin Psychol Psychother"
    assert any("after their ER" in w for w in result.warnings)


def test_covidence_via_endnote_abstract_is_under_n2(shared_data: Path) -> None:
    result = _load(shared_data, RIS + "_baseline_covidence_endnote.ris")
    assert result.dialect == "covidence"
    assert result.records[0].abstract and "Fossil feathers" in result.records[0].abstract


def test_scopus_ris_pmid_from_c2_and_eid_as_id(shared_data: Path) -> None:
    first = _load(shared_data, RIS + "_baseline_scopus.ris").records[0]
    assert first.pmid == "38580657"
    assert first.source_id == "2-s2.0-85189760133"
    assert first.journal_abbrev == "Nat. Commun."


def test_cochrane_ids_and_pubmed_note(shared_data: Path) -> None:
    first = _load(shared_data, RIS + "_baseline_cochrane_endnote.ris").records[0]
    assert first.source_id == "CN-00778158"
    assert first.pmid == "21314913"  # from 'C3  -  PUBMED 21314913'
    assert first.title and first.title.startswith("The Incredible Years")


def test_wos_ris_accession_number_is_the_id(shared_data: Path) -> None:
    result = _load(shared_data, RIS + "_baseline_webofscience.ris")
    assert result.dialect == "wos"
    assert result.records[0].source_id == "WOS:000282053100002"


def test_endnote_continuation_lines_are_separate_keywords(shared_data: Path) -> None:
    first = _load(shared_data, RIS + "_baseline_endnote.ris").records[0]
    assert first.keywords[:3] == ["article", "biostratigraphy", "Colorado"]
    assert first.source_id == "889"


def test_rayyan_ris_and_csv_carry_the_screening_decision(shared_data: Path) -> None:
    for name in (RIS + "_baseline_rayyan.ris", CSV + "_baseline_rayyan.csv"):
        result = _load(shared_data, name)
        assert result.dialect == "rayyan"
        assert result.records[0].source_id == "rayyan-42924189"
        assert result.records[0].labels == {"RAYYAN-INCLUSION": '{"Emily"=>"Included"}'}
        decisions = [r.labels.get("RAYYAN-INCLUSION") for r in result.records]
        assert sorted(d for d in decisions if d) == sorted(
            ['{"Emily"=>"Included"}', '{"Emily"=>"Excluded"}', '{"Emily"=>"Maybe"}'] * 2
        )


def test_asreview_notes_labels(shared_data: Path) -> None:
    records = _load(shared_data, DEMO + "baseline_tag-notes_labels.ris").records
    assert records[0].labels == {"ASReview": "relevant", "ASReview_prior": "true"}
    assert records[1].labels == {"ASReview": "irrelevant", "ASReview_prior": "true"}
    assert records[2].labels == {"ASReview": "not_seen"}
    assert records[3].labels == {}


def test_asreview_csv_labels_and_record_ids(shared_data: Path) -> None:
    records = _load(shared_data, DEMO + "generic_partial_labels.csv").records
    assert [r.labels.get("label_included") for r in records] == ["1", "0", None, None, "1", "0"]
    assert records[0].authors == ["Marx, Karl", "Lindgren, Astrid"]
    assert records[0].year == 2014  # "2014//"
    ids = _load(shared_data, DEMO + "record_id.csv").records
    assert [r.source_id for r in ids[:3]] == ["12", "11", "10"]


def test_medline_fields(shared_data: Path) -> None:
    result = _load(shared_data, "nbib-tests/pmc_medlars.txt")
    first = result.records[0]
    assert result.format == "medline"
    assert first.pmid == first.source_id == "30042925"
    assert first.pages == "283-298"  # PubMed's '283-98'
    assert first.doi == "10.1016/j.mex.2018.03.007"
    assert first.authors[0] == "Takeuchi, Yuichi"
    assert first.title == (
        "A method package for electrophysiological evaluation of reconstructed or "
        "regenerated facial nerves in rodents."
    )


def test_crlf_medline(shared_data: Path) -> None:
    records = _load(shared_data, "nbib-tests/pubmed-balloongui-set.nbib").records
    assert not any("\r" in (r.title or "") + (r.abstract or "") for r in records)
    assert records[0].title and records[0].title.endswith("Thrombectomy Registry.")


def test_wos_plain_text(shared_data: Path) -> None:
    result = _load(shared_data, "rispy-tests/example_wos.ris")
    assert result.format == "wos"
    first = result.records[0]
    assert first.source_id == "WOS:000221807500019"
    assert first.pmid == "15170338"
    assert first.doi == "10.1021/bi049798f"
    assert first.authors == ["Parkes-Loach, PS", "Majeed, AP", "Law, CJ", "Loach, PA"]


def test_gbk_bibtex_decodes_to_the_right_chinese_text(shared_data: Path) -> None:
    result = _load(shared_data, "bibtexparser-tests/gbk_test.bib")
    assert result.encoding == "gb18030"
    record = result.records[0]
    assert record.source_id == "凯撒2013"
    assert record.authors == ["凯撒"]
    assert record.journal == "测试期刊"


def test_csv_dialects_map_their_columns(shared_data: Path) -> None:
    scopus = _load(shared_data, CSV + "_baseline_scopus.csv").records[0]
    assert scopus.source_id == "2-s2.0-85189760133"
    assert scopus.authors[0] == "Wilson L.N."
    assert scopus.pmid == "38580657"
    pubmed = _load(shared_data, CSV + "_baseline_pubmed.csv").records[0]
    assert pubmed.authors == ["Griffin DK", "Larkin DM", "O'Connor RE"]
    assert (pubmed.volume, pubmed.issue, pubmed.pages) == ("63", "2", "103640")
    openalex = _load(shared_data, CSV + "_baseline_openalex.csv").records[0]
    assert openalex.doi == "10.1016/j.cretres.2023.105752"
    assert openalex.authors[:2] == ["Alba Vicente", "Josep Sanjuan"]
    covidence = _load(shared_data, CSV + "_baseline_covidence.csv").records[0]
    assert covidence.source_id == "#1"
    cinahl = _load(shared_data, CSV + "_baseline_cinahl.csv").records[0]
    assert cinahl.issn == "1932-6203"  # Excel-escaped '="19326203"'
    assert cinahl.year == 2024  # '="4/3/2024"'
    embase = _load(shared_data, DEMO + "embase.csv").records[0]
    assert embase.journal == "Endoscopic Ultrasound"  # parsed from Embase's 'Source' citation
    assert (embase.year, embase.volume, embase.issue, embase.pages) == (2014, "3", "3", "152-160")


def test_preamble_and_semicolon_csv_find_the_real_header(shared_data: Path) -> None:
    embase = _load(shared_data, CSV + "_baseline_embase.csv")
    excel = _load(shared_data, CSV + "_baseline_excel.csv")
    assert excel.encoding == "utf-8-sig"
    assert [r.title for r in embase.records] == [r.title for r in excel.records]
    assert embase.records[0].line == 5  # header on line 4
    assert embase.records[0].source_id == "L2029880245"  # Embase PUI
    assert embase.records[0].authors == ["Yang Z.", "Jiang B.", "Xu J.", "McNamara M.E."]


def test_abstrackr_labels_and_divider_line(shared_data: Path) -> None:
    result = _load(shared_data, CSV + "_baseline_abstrackr.csv")
    assert result.records[0].labels == {"consensus": "o", "Anonymous": "1"}
    assert any("not a record" in w for w in result.warnings)
    assert result.records[-1].authors == ["Brownstein, C.D."]


@pytest.mark.parametrize(
    ("name", "count"),
    [("stroke", 1292), ("respiratory", 1988), ("special_cases", 12)],
)
def test_dedup_benchmark_tables_import(shared_data: Path, name: str, count: int) -> None:
    # The labelled de-duplication sets (bib-dedupe layout) go through the same CSV importer.
    result = parse_file(shared_data / "dedup" / name / "records_pre_merged.csv")
    assert len(result.records) == count
    first = result.records[0]
    assert first.source_id == "id_0000001"
    assert first.pub_type in ("article", "inproceedings")
    assert len({r.source_id for r in result.records}) == count
