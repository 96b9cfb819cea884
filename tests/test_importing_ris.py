"""RIS parsing on small fixtures of our own: dialects, structure errors, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.importing import ImportFileError, parse_file

FIX = Path(__file__).parent / "fixtures" / "importing"


def test_embase_dialect_fields() -> None:
    result = parse_file(FIX / "embase.ris")
    assert (result.format, result.dialect, result.encoding) == ("ris", "embase", "utf-8")
    first, second = result.records
    assert first.title == (
        "Context and mechanism in community health worker programmes: a realist review"
    )
    # Embase writes the abstract under N2, keeping its paragraphs.
    assert first.abstract == (
        "Background: Community health worker programmes work differently in different contexts."
        "\nMethods: A realist review of 40 studies."
        "\nResults: Trust and supervision trigger motivation."
    )
    assert first.authors == ["Smith J.A.", "Jones B.", "van der Berg C."]
    assert first.year == 2019  # "2019///"
    assert second.year == 2020  # "2020/05/01"
    assert (first.journal, first.journal_abbrev) == (
        "BMC Health Services Research",
        "BMC Health Serv. Res.",
    )
    assert first.pages == "123-130"  # SP 123, EP 30
    assert first.doi == "10.1186/s12913-019-1234-5"  # "https://doi.org/10.1186/S12913-..."
    assert second.doi == "10.1186/s13012-020-00999-1"  # "doi:10.1186/..."
    assert first.pmid == "31234567"
    assert first.issn == "1472-6963"
    assert first.source_id == "L2011223344"
    assert first.keywords == ["community health worker", "realist review"]
    assert first.extra["M3"] == "Article"
    assert first.extra["DB"] == "Embase\nMedline"
    assert (first.line, second.line) == (1, 28)


def test_ovid_numbering_and_trailing_tags() -> None:
    result = parse_file(FIX / "ovid.ris")
    assert result.dialect == "ovid"
    first, second = result.records
    assert (first.line, second.line) == (2, 24)
    assert first.doi == "10.1002/cpp.2398"  # "http://dx.doi.org/10.1002/cpp.2398"
    assert first.abstract and first.abstract.startswith("Considering that self-criticism")
    # Ovid writes NL after ER; the text lines between records are not part of it.
    assert first.journal_abbrev == "Clin Psychol Psychother"
    assert second.journal_abbrev == "Mindfulness (N Y)"
    assert first.source_id == "2020-11111-001"
    assert first.pages == "214-219"


def test_endnote_crlf_preamble_and_one_value_per_line() -> None:
    result = parse_file(FIX / "endnote_crlf.ris")
    first, second = result.records
    assert first.line == 5 and second.line == 29
    assert first.abstract == "First paragraph of the abstract.\nSecond paragraph of the abstract."
    assert first.keywords == ["article", "biostratigraphy", "Colorado"]
    assert first.extra["DB"] == "Embase\nMedline"
    assert first.extra["N1"] == "L2030246463\n2024-06-24"
    assert first.issn == "1932-8494"
    assert first.journal == "Anatomical Record"  # T2
    assert first.extra["ST"] == "Description of a new specimen"
    assert not any("\r" in v for v in first.extra.values())


def test_bom_tab_and_wide_separators() -> None:
    result = parse_file(FIX / "bom_variants.ris")
    assert result.encoding == "utf-8-sig"
    record = result.records[0]
    assert record.pub_type == "JOUR"  # 'TY  -  JOUR'
    assert record.authors == ["Bywater, T", "Hutchings, J"]  # 'A1<tab>- ' and 'A1  -  '
    assert record.source_id == "CN-00778158"
    assert record.pmid == "21314913"  # 'C3  -  PUBMED 21314913'
    assert record.journal == record.journal_abbrev == "Trials"  # only JA is given


def test_labels_from_rayyan_and_asreview_notes() -> None:
    first, second = parse_file(FIX / "rayyan.ris").records
    assert first.labels == {
        "RAYYAN-INCLUSION": '{"Alice"=>"Included", "Bob"=>"Excluded"}',
        "RAYYAN-LABELS": "mechanism,context",
        "RAYYAN-EXCLUSION-REASONS": "wrong population",
    }
    assert second.labels == {"ASReview": "relevant", "ASReview_prior": "true"}
    assert first.source_id == "rayyan-42924189"


def test_missing_er_names_record_and_line() -> None:
    # Record 2 starts on line 6 and runs into the TY of record 3 on line 10.
    with pytest.raises(ImportFileError) as info:
        parse_file(FIX / "malformed_no_er.ris")
    err = info.value
    assert (err.record, err.line) == (2, 6)
    assert "no ER line before the next TY at line 10" in err.reason
    assert str(err).startswith(f"{FIX / 'malformed_no_er.ris'}: record 2 (line 6): ")
    kept = parse_file(FIX / "malformed_no_er.ris", skip_invalid=True)
    assert [r.title for r in kept.records] == ["First record is fine", "Third record is fine"]
    assert [(p.record, p.line) for p in kept.skipped] == [(2, 6)]
    assert [r.position for r in kept.records] == [1, 3]


def test_record_without_ty_is_refused() -> None:
    with pytest.raises(ImportFileError) as info:
        parse_file(FIX / "orphan_tags.ris")
    assert (info.value.record, info.value.line) == (2, 5)
    assert "tag TI outside a record" in info.value.reason
    kept = parse_file(FIX / "orphan_tags.ris", skip_invalid=True)
    assert [r.title for r in kept.records] == ["First record", "Third record"]


def test_record_with_nothing_to_identify_is_refused_but_abstract_or_doi_suffices() -> None:
    with pytest.raises(ImportFileError) as info:
        parse_file(FIX / "untitled.ris")
    assert (info.value.record, info.value.line) == (2, 5)
    assert "nothing identifies the record" in info.value.reason
    kept = parse_file(FIX / "untitled.ris", skip_invalid=True)
    assert [r.position for r in kept.records] == [1, 3, 4]
    assert kept.records[1].title is None and kept.records[1].abstract
    assert kept.records[2].doi == "10.1000/only-a-doi"
    assert any("1 invalid record(s) skipped" in w for w in kept.warnings)


def test_missing_final_er(tmp_path: Path) -> None:
    path = tmp_path / "cut.ris"
    path.write_text("TY  - JOUR\nTI  - Complete\nER  - \nTY  - JOUR\nTI  - Cut short\n")
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert (info.value.record, info.value.line) == (2, 4)
    assert "before the end of the file" in info.value.reason


def test_continuation_that_starts_like_er_is_text(tmp_path: Path) -> None:
    path = tmp_path / "er.ris"
    path.write_text("TY  - JOUR\nTI  - A title\nN2  - first line,\nER then the rest\nER  -\n")
    record = parse_file(path).records[0]
    assert record.abstract == "first line,\nER then the rest"


def test_prose_that_looks_like_a_tag_with_one_space_is_not_a_tag(tmp_path: Path) -> None:
    path = tmp_path / "prose.ris"
    path.write_text("TY  - JOUR\nTI  - A title\nAB  - We studied\nUS - based cohorts.\nER  -\n")
    record = parse_file(path).records[0]
    assert record.abstract == "We studied\nUS - based cohorts."
    assert "US" not in record.extra


def test_medline_content_with_ris_suffix_is_read_as_medline() -> None:
    result = parse_file(FIX / "pubmed_really_medline.ris")
    assert result.format == "medline"
    assert len(result.records) == 2
