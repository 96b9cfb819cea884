"""MEDLINE, Web of Science, BibTeX, CSV/TSV and XLSX parsing, and format detection."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from realist.importing import ImportFileError, detect_format, parse_file

FIX = Path(__file__).parent / "fixtures" / "importing"


# --- MEDLINE -------------------------------------------------------------------------------------


def test_medline_fields_and_continuations() -> None:
    result = parse_file(FIX / "pubmed.nbib")
    assert (result.format, result.dialect) == ("medline", "pubmed")
    first, second = result.records
    assert (first.line, second.line) == (1, 30)
    assert first.title == (
        "Impact of balloon guide catheter on technical and clinical outcomes: a systematic "
        "review and meta-analysis."
    )
    assert first.abstract and first.abstract.endswith("critical to optimizing patient outcomes.")
    assert first.authors == ["Brinjikji, Waleed", "Pereira, Vitor M"]  # FAU over AU
    assert first.year == 2018  # "2018 Apr"
    assert first.pages == "335-339"  # "335-39"
    assert first.doi == "10.1136/neurintsurg-2017-013179"
    assert first.pmid == first.source_id == "28754806"
    assert first.issn == "1759-8486"
    assert (first.journal, first.journal_abbrev) == (
        "Journal of neurointerventional surgery",
        "J Neurointerv Surg",
    )
    assert first.pub_type == "Journal Article; Meta-Analysis"
    assert first.keywords == [
        "mechanical thrombectomy",
        "Brain Ischemia/diagnostic imaging/*surgery",
    ]
    # The group author (CN) is kept; the empty AB gives no abstract.
    assert second.authors == ["Nguyen TN", "STRATIS Investigators"]
    assert second.abstract is None
    assert second.doi == "10.1161/strokeaha.118.021126"


def test_medline_stray_line_makes_the_record_invalid(tmp_path: Path) -> None:
    path = tmp_path / "bad.nbib"
    path.write_text(
        "PMID- 1\nTI  - Fine\n\nPMID- 2\nTI  - Broken\nthis line is not MEDLINE\n\nPMID- 3\n"
        "TI  - Fine too\n"
    )
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert (info.value.record, info.value.line) == (2, 4)
    assert "line 6 is neither a MEDLINE tag line" in info.value.reason
    kept = parse_file(path, skip_invalid=True)
    assert [r.pmid for r in kept.records] == ["1", "3"]


def test_medline_records_without_blank_lines_split_on_pmid(tmp_path: Path) -> None:
    path = tmp_path / "packed.nbib"
    path.write_text("PMID- 11\nTI  - One\nPMID- 22\nTI  - Two\n")
    assert [r.title for r in parse_file(path).records] == ["One", "Two"]


# --- Web of Science ------------------------------------------------------------------------------


def test_wos_plain_text_fields() -> None:
    result = parse_file(FIX / "savedrecs.ciw")
    assert (result.format, result.dialect) == ("wos", "wos")
    first, second = result.records
    assert (first.line, second.line) == (3, 30)
    assert first.title == (
        "Interactions stabilizing the structure of the core light-harvesting complex of "
        "photosynthetic bacteria"
    )
    assert first.authors == ["Parkes-Loach, Pamela S.", "Majeed, Aaron P."]  # AF over AU
    assert first.abstract == (
        "Reconstitution experiments with a chemically synthesized beta-polypeptide analogue."
    )
    assert (first.journal, first.journal_abbrev) == ("BIOCHEMISTRY", "Biochemistry")
    assert (first.year, first.volume, first.issue, first.pages) == (2004, "43", "22", "7003-7016")
    assert (first.doi, first.pmid, first.source_id) == (
        "10.1021/bi049798f",
        "15170338",
        "WOS:000221807500019",
    )
    assert first.keywords == [
        "light harvesting",
        "bacteriochlorophyll",
        "CHEMICALLY SYNTHESIZED POLYPEPTIDES",
        "IN-VITRO RECONSTITUTION",
    ]
    assert second.pages == "e12292"  # article number when there are no pages


def test_wos_record_without_er(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_text(
        "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI One\nER\n\nPT J\nTI Two\n"
    )
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert (info.value.record, info.value.line) == (2, 7)


# --- BibTeX --------------------------------------------------------------------------------------


def test_bibtex_fields_latex_and_string_macros() -> None:
    result = parse_file(FIX / "refs.bib")
    assert result.format == "bibtex"
    first, second = result.records
    assert first.source_id == "smith2019context"
    assert first.line == 5
    assert first.title == "Context and Mechanism in café-based interventions: 50% of cases"
    # 'and' inside braces is part of an organisation's name, not a separator.
    assert first.authors == [
        "Müller, Jörg",
        "Department of Health and Social Care",
        "Smith, John A.",
    ]
    assert first.journal == "BMC Health Services Research"  # @string macro resolved
    assert (first.year, first.volume, first.issue, first.pages) == (2019, "19", "1", "123-130")
    assert first.doi == "10.1186/s12913-019-1234-5"
    assert first.keywords == ["realist review", "CMO"]
    assert first.labels == {"RAYYAN-INCLUSION": '{"Alice"=>"Included"}'}
    assert first.extra["month"] == "jan"
    assert first.pub_type == "article"
    assert second.journal == "Proceedings of the Realist Conference"
    assert second.year == 2020  # from 'date'
    assert second.pmid == "32123456"  # eprinttype = pubmed


def test_bibtex_failed_block_is_reported_with_its_line() -> None:
    with pytest.raises(ImportFileError) as info:
        parse_file(FIX / "broken.bib")
    assert (info.value.record, info.value.line) == (2, 6)
    assert "BibTeX syntax error" in info.value.reason
    kept = parse_file(FIX / "broken.bib", skip_invalid=True)
    assert [r.source_id for r in kept.records] == ["ok2019", "after2021"]


def test_bibtex_duplicate_keys_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "dup.bib"
    path.write_text("@article{a, title={One}}\n@article{a, title={Two}}\n")
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "duplicate entry key" in info.value.reason
    assert (info.value.record, info.value.line) == (2, 2)


# --- CSV / TSV -----------------------------------------------------------------------------------


def test_asreview_csv_labels_list_literals_and_ids() -> None:
    result = parse_file(FIX / "asreview_labels.csv")
    assert (result.format, result.dialect) == ("csv", "asreview")
    first, _, third = result.records
    assert first.source_id == "12"  # record_id
    assert first.authors == ["Marx, Karl", "Lindgren, Astrid"]
    assert first.keywords == ["Pippi", "Nordwind"]
    assert first.year == 2014
    assert first.doi == "10.1000/abc.1"
    assert [r.labels for r in result.records] == [
        {"label_included": "1"},
        {"label_included": "0"},
        {},
    ]
    assert third.authors == []


def test_semicolon_bom_crlf_preamble_csv() -> None:
    result = parse_file(FIX / "embase_preamble_semicolon.csv")
    assert (result.format, result.encoding) == ("csv", "utf-8-sig")
    first, second = result.records
    assert first.line == 5  # the header is on line 4, after the search-query preamble
    assert first.title == "Cellular structure of dinosaur scales; a study"
    assert first.authors == ["Yang Z.", "Jiang B.", "McNamara M.E."]
    assert first.journal == "Nature Communications"
    assert (first.pmid, first.source_id) == ("38773066", "38773066")
    assert second.authors == ["Smith J."]


def test_rayyan_csv_notes_become_labels() -> None:
    first, second = parse_file(FIX / "rayyan.csv").records
    assert first.labels == {
        "RAYYAN-INCLUSION": '{"Emily"=>"Included"}',
        "RAYYAN-EXCLUSION-REASONS": "wrong outcome",
    }
    assert first.authors == ["Yang, Z.", "Jiang, B."]  # BibTeX-style ' and '
    assert first.keywords == ["keratin", "melanin"]
    assert first.pmid == "38773066"
    assert second.labels == {"RAYYAN-INCLUSION": '{"Emily"=>"Maybe"}'}


def test_multiline_cells_and_a_row_with_too_many_fields() -> None:
    path = FIX / "multiline_wrong_fields.csv"
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    # Records 1 and 2 span lines 2-3 and 4-6; record 3 on line 7 has a fourth field.
    assert (info.value.record, info.value.line) == (3, 7)
    assert "4 fields but the header has 3" in info.value.reason
    kept = parse_file(path, skip_invalid=True)
    assert [(r.position, r.line) for r in kept.records] == [(1, 2), (2, 4), (4, 8)]
    assert kept.records[1].abstract == "Line one\nline two\nline three"
    assert kept.records[1].title == "Another, with a comma"


def test_covidence_tsv() -> None:
    result = parse_file(FIX / "covidence.tsv")
    assert (result.format, result.dialect) == ("tsv", "covidence")
    first, second = result.records
    assert first.source_id == "#1"
    assert first.labels == {"Tags": "include; mechanism"}
    assert first.authors == ["Yang, Z.", "Jiang, B."]
    assert second.pages == "14316-14320"


def test_table_without_reference_columns_is_not_recognised() -> None:
    with pytest.raises(ImportFileError) as info:
        parse_file(FIX / "not_references.csv")
    assert "not a recognised reference format" in info.value.reason


def test_known_header_without_core_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "refs.csv"
    path.write_text("title\n")  # a header and no rows
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "no records found" in info.value.reason
    path.write_text("Authors,Year,Volume\nSmith J.,2020,3\n")
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "no title, abstract, DOI or PMID column" in info.value.reason


def test_excel_sep_hint_line(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\nTitle;Year\nA title, with a comma;2020\n")
    records = parse_file(path).records
    assert [(r.title, r.year, r.line) for r in records] == [("A title, with a comma", 2020, 3)]


def test_wos_tab_delimited_uses_tag_columns(tmp_path: Path) -> None:
    path = tmp_path / "savedrecs.txt"
    path.write_text(
        "PT\tAU\tAF\tTI\tSO\tDE\tID\tAB\tPY\tDI\tUT\n"
        "J\tLaw, CJ\tLaw, Christopher J.\tA title\tPLOS ONE\tcmo; context\tKEYWORD PLUS\t"
        "An abstract\t2010\t10.1371/journal.pone.0012292\tWOS:000282053100002\n"
    )
    result = parse_file(path)
    assert (result.format, result.dialect) == ("tsv", "wos")
    record = result.records[0]
    assert record.source_id == "WOS:000282053100002"  # UT, not the Keywords-Plus 'ID'
    assert record.authors == ["Law, Christopher J."]
    assert record.keywords == ["cmo", "context", "KEYWORD PLUS"]


# --- XLSX ----------------------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Scopus export of 2024-05-01"])
    ws.append([])
    ws.append(["Title", "Authors", "Year", "DOI", "PubMed ID", "Included", "EID"])
    ws.append(
        [
            "A realist review",
            "Smith J.; Doe K.",
            2020,
            "https://doi.org/10.1/ABC",
            123456,
            1,
            "2-s2.0-1",
        ]
    )
    ws.append(["Second", "Roe R.", 2021.0, None, None, 0, "2-s2.0-2"])
    ws.append([None] * 7)
    ws.append(["Third", None, datetime.datetime(2022, 3, 1), None, None, None, None])
    wb.save(path)
    return path


def test_xlsx_with_preamble_rows(tmp_path: Path) -> None:
    result = parse_file(_workbook(tmp_path / "export.xlsx"))
    assert (result.format, result.encoding, result.dialect) == ("xlsx", "xlsx", "scopus")
    first, second, third = result.records
    assert [r.line for r in result.records] == [4, 5, 7]  # worksheet row numbers
    assert first.authors == ["Smith J.", "Doe K."]
    assert (first.year, first.doi, first.pmid, first.source_id) == (
        2020,
        "10.1/abc",
        "123456",
        "2-s2.0-1",
    )
    assert first.labels == {"Included": "1"}
    assert second.year == 2021 and second.authors == ["Roe R."]
    assert third.year == 2022
    assert result.warnings == []


def test_xlsx_content_wins_over_suffix(tmp_path: Path) -> None:
    renamed = _workbook(tmp_path / "export.xlsx").rename(tmp_path / "export.csv")
    assert parse_file(renamed).format == "xlsx"


def test_damaged_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "not a readable XLSX workbook" in info.value.reason


def test_xlsx_without_a_header(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "name"])
    ws.append([1, "apple"])
    path = tmp_path / "fruit.xlsx"
    wb.save(path)
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "no worksheet has a header row" in info.value.reason


# --- detection -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "suffix", "expected"),
    [
        ("1.\nTY  - JOUR\nTI  - x\nER  - \n", ".txt", "ris"),
        ("PMID- 1\nTI  - x\n", ".txt", "medline"),
        ("\nPMC - PMC1\nPMID- 1\nTI  - x\n", ".ris", "medline"),
        ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI x\nER\n", ".ris", "wos"),
        ("% comment\n@Article{key,\n title={x}}\n", ".txt", "bibtex"),
        ("title,abstract\nx,y\n", ".txt", "csv"),
        ("Title;Abstract\nx;y\n", ".csv", "csv"),
        ("title\tabstract\nx\ty\n", ".csv", "tsv"),
        ("PK\x03\x04rest", ".csv", "xlsx"),
        # A table whose cell quotes RIS text is still a table.
        ('title,notes\nx,"see\nTY  - JOUR\nER  - "\n', ".csv", "csv"),
    ],
)
def test_detect_format_from_content(head: str, suffix: str, expected: str) -> None:
    assert detect_format(Path("file" + suffix), head) == expected


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("%0 Journal Article\n%T A title\n", "EndNote tagged format"),
        ("<?xml version='1.0'?><xml><records/></xml>", "XML"),
        ('{"items": []}', "JSON"),
        ("just some words\nand more\n", "not a recognised reference format"),
        ("\x00\x01\x02\x03binary\x04\x05\x06\x07" * 20, "binary"),
    ],
)
def test_detect_format_refusals(head: str, reason: str) -> None:
    with pytest.raises(ImportFileError) as info:
        detect_format(Path("x.txt"), head)
    assert reason in info.value.reason


def test_unclosed_quote_in_csv_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('Title,Year\nFine,2020\n"Never closed,2021\nNext,2022\n')
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "broken quoting" in info.value.reason
    assert info.value.line == 3


def test_unquoted_tsv_keeps_quote_characters(tmp_path: Path) -> None:
    path = tmp_path / "wos.txt"
    path.write_text(
        'PT\tTI\tSO\tPY\tUT\nJ\t"Quoted" words open this title\tNATURE\t2020\tWOS:1\n'
        "J\tSecond\tNATURE\t2021\tWOS:2\n"
    )
    records = parse_file(path).records
    assert [r.title for r in records] == ['"Quoted" words open this title', "Second"]


def test_missing_file_directory_empty_and_binary(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as info:
        parse_file(tmp_path / "nope.ris")
    assert "cannot read the file" in info.value.reason
    with pytest.raises(ImportFileError) as info:
        parse_file(tmp_path)
    assert "is a directory" in info.value.reason
    empty = tmp_path / "empty.ris"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError) as info:
        parse_file(empty)
    assert info.value.reason == "the file is empty"
    pdf = tmp_path / "paper.ris"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(ImportFileError) as info:
        parse_file(pdf)
    assert "PDF" in info.value.reason


def test_first_row_with_one_title_column_is_a_header(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("Title,My rating,My comment\nA paper,5,good\n")
    record = parse_file(path).records[0]
    assert record.title == "A paper"
    assert record.extra == {"My rating": "5", "My comment": "good"}


def test_localised_column_names(tmp_path: Path) -> None:
    path = tmp_path / "citavi.csv"
    path.write_text(
        'Autoren;Titel;Jahr;Zeitschrift\n"Müller, J.; Roe, K.";Ein Titel;2019;Gesundheit\n'
    )
    record = parse_file(path).records[0]
    assert record.authors == ["Müller, J.", "Roe, K."]
    assert (record.title, record.year, record.journal) == ("Ein Titel", 2019, "Gesundheit")


def test_a_row_with_only_a_title_is_a_record(tmp_path: Path) -> None:
    path = tmp_path / "titles.csv"
    path.write_text("Title,Abstract,Year\nOnly a title\nFull,Row,2020\n")
    result = parse_file(path)
    assert [r.title for r in result.records] == ["Only a title", "Full"]
    assert any("fewer fields than the header" in w for w in result.warnings)


def test_short_row_before_a_later_source_column(tmp_path: Path) -> None:
    # Found by fuzzing: the journal comes from 'Source title' while the row stops before the
    # later 'Source' column that Embase uses for its citation string.
    path = tmp_path / "scopus.csv"
    path.write_text("Title,Source title,Year,Source\nA title,Nature\n")
    record = parse_file(path).records[0]
    assert (record.title, record.journal) == ("A title", "Nature")
