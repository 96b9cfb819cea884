"""Text encodings: UTF-8 first, BOMs, legacy encodings detected, explicit encodings obeyed."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.importing import ImportFileError, parse_file

FIX = Path(__file__).parent / "fixtures" / "importing"
RIS = "TY  - JOUR\nTI  - {title}\nER  - \n"


def test_latin1_file_is_detected_and_decoded_right() -> None:
    result = parse_file(FIX / "latin1.ris")
    # Windows-1252 is Latin-1 plus a few printable characters in 0x80-0x9F.
    assert result.encoding in ("cp1252", "latin_1", "iso8859_15")
    record = result.records[0]
    assert record.title == "Étude sur la santé des élèves à l'école primaire"
    assert record.authors == ["Müller, Jürgen", "François, Anaïs"]
    assert result.warnings[0].startswith("the file is not UTF-8")


def test_gbk_file_is_detected_and_decoded_right() -> None:
    result = parse_file(FIX / "gbk.bib")
    assert result.encoding == "gb18030"
    record = result.records[0]
    assert (record.source_id, record.title, record.journal) == (
        "凯撒2013",
        "测试标题：真实性评估",
        "测试期刊",
    )


@pytest.mark.parametrize(
    ("title", "codec"),
    [
        ("Состояние рецепторного аппарата эндометрия и метаболизм эстрогенов", "cp1251"),
        ("日本語の論文のタイトルです。医療と健康についての研究", "shift_jis"),
        ("한국어 논문 제목입니다. 건강과 의료에 관한 연구", "euc-kr"),
    ],
)
def test_other_legacy_encodings(tmp_path: Path, title: str, codec: str) -> None:
    path = tmp_path / "refs.ris"
    path.write_bytes(RIS.format(title=title).encode(codec))
    assert parse_file(path).records[0].title == title


def test_explicit_encoding_always_wins(tmp_path: Path) -> None:
    forced = parse_file(FIX / "latin1.ris", encoding="latin-1")
    assert forced.encoding == "iso8859-1"
    assert forced.warnings == []
    path = tmp_path / "utf8.ris"
    path.write_text(RIS.format(title="Café"), encoding="utf-8")
    # A wrong but explicit encoding is obeyed: the user asked for it.
    assert parse_file(path, encoding="cp1252").records[0].title == "CafÃ©"


def test_explicit_encoding_that_cannot_decode(tmp_path: Path) -> None:
    path = tmp_path / "refs.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - ok\nER  - \nTY  - JOUR\nTI  - Caf\xe9\nER  - \n")
    with pytest.raises(ImportFileError) as info:
        parse_file(path, encoding="utf-8")
    assert "cannot be decoded with the given encoding 'utf-8'" in info.value.reason
    assert info.value.line == 5


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = tmp_path / "refs.ris"
    path.write_text(RIS.format(title="x"))
    with pytest.raises(ImportFileError) as info:
        parse_file(path, encoding="klingon-8")
    assert "unknown encoding 'klingon-8'" in info.value.reason


def test_mostly_utf8_with_a_stray_byte_is_refused_with_its_line(tmp_path: Path) -> None:
    good = RIS.format(title="Café naïve résumé élève").encode()
    path = tmp_path / "mixed.ris"
    path.write_bytes(good * 5 + b"TY  - JOUR\nTI  - Caf\xe9\nER  - \n")
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "mostly UTF-8" in info.value.reason and "--encoding" in info.value.reason
    assert info.value.line == 17


def test_undetectable_encoding_suggests_the_option(tmp_path: Path) -> None:
    path = tmp_path / "noise.ris"
    path.write_bytes(b"TY  - JOUR\nTI  - " + bytes(range(0x80, 0x100)) * 4 + b"\nER  - \n")
    with pytest.raises(ImportFileError) as info:
        parse_file(path)
    assert "--encoding" in info.value.reason


def test_legacy_bytes_after_the_first_64_kb(tmp_path: Path) -> None:
    # The head looks like UTF-8; the Latin-1 byte only appears later, during the streaming parse.
    filler = RIS.format(title="An ASCII title of some length") * 2500
    path = tmp_path / "late.ris"
    path.write_bytes(filler.encode() + RIS.format(title="Caf\xe9 cr\xe8me").encode("latin-1"))
    assert path.stat().st_size > 64 * 1024
    result = parse_file(path)
    assert result.encoding == "cp1252"
    assert result.records[-1].title == "Café crème"
    assert len(result.records) == 2501


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "wide.ris"
    path.write_bytes(RIS.format(title="Ünïcode title here").encode(codec))
    assert parse_file(path).records[0].title == "Ünïcode title here"


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfTitle,Abstract\r\nA title,An abstract\r\n")
    result = parse_file(path)
    assert result.encoding == "utf-8-sig"
    assert [(r.title, r.abstract, r.line) for r in result.records] == [
        ("A title", "An abstract", 2)
    ]
