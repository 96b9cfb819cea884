"""Reading a file as text: BOMs, UTF-8 first, charset detection otherwise, explicit override."""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from realist.importing.model import ImportFileError

HEAD_BYTES = 64 * 1024
_CHUNK = 1 << 20

# Magic numbers of binary files people pick by mistake, with what to tell them.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "this is an old Excel/Word (.xls/.doc) file; save it as .xlsx or CSV first",
    ),
    (b"%PDF-", "this is a PDF, not a reference export"),
    (b"\x1f\x8b", "this is a gzip archive; unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "this is a 7-Zip archive; unpack it first"),
    (b"Rar!", "this is a RAR archive; unpack it first"),
    (b"SQLite format 3\x00", "this is an SQLite database, not a reference export"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# When several legacy encodings decode a file equally well, prefer the ones reference exports
# actually use (Windows-1252 from Western tools, GB18030/GBK from Chinese databases, ...).
_PRIOR = (
    "cp1252",
    "latin_1",
    "iso8859_15",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "big5hkscs",
    "shift_jis",
    "cp932",
    "euc_jp",
    "cp949",
    "euc_kr",
    "cp1251",
    "koi8_r",
    "cp1250",
    "iso8859_2",
    "cp1253",
    "cp1254",
    "cp1257",
    "cp1255",
    "cp1256",
    "mac_roman",
)
_COMMON_SYMBOLS = frozenset(
    "\u00a0\u2009\u2002\u2003\u202f–—‘’‚“”„…•·°±×÷§©®™€£¥¢«»¿¡µ¶′″‰†‡¹²³½¼¾ª º"
)
_VALID_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


@dataclass
class TextSource:
    """A file ready to be read as text with a known encoding."""

    path: Path
    size: int
    encoding: str
    head: str
    """The decoded start of the file (about 64 KB), for format detection."""
    _text: str | None = None

    def open(self) -> TextIO:
        """A fresh text stream over the whole file with newlines translated to '\\n'."""
        if self._text is not None:
            return io.StringIO(self._text)
        return open(self.path, encoding=self.encoding, errors="strict", newline=None)

    def read(self) -> str:
        """The whole file as one string (for parsers that need it, e.g. BibTeX)."""
        if self._text is not None:
            return self._text
        with self.open() as fh:
            return fh.read()


def read_head(path: Path) -> tuple[int, bytes]:
    """File size and first bytes; unreadable files raise ImportFileError."""
    try:
        if path.is_dir():
            raise ImportFileError(path, "is a directory, not a file")
        size = path.stat().st_size
        with open(path, "rb") as fh:
            return size, fh.read(HEAD_BYTES)
    except OSError as exc:
        raise ImportFileError(path, f"cannot read the file: {exc.strerror or exc}") from exc


def binary_refusal(head: bytes) -> str | None:
    """Why a file that is plainly binary cannot be imported, or None for text/XLSX."""
    for magic, reason in _MAGIC:
        if head.startswith(magic):
            return reason
    return None


def _looks_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for BOM-less UTF-16 text (every other byte NUL)."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    odd = sample[1::2]
    even = sample[0::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _head_is_utf8(head: bytes) -> bool:
    """True when the first bytes are UTF-8 (a character cut at the end of the sample is fine)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
    return True


def _plausibility(text: str) -> float:
    """Share of non-ASCII characters that are letters or everyday punctuation."""
    odd = [c for c in text if ord(c) > 127]
    if not odd:
        return 1.0
    good = sum(1 for c in odd if unicodedata.category(c)[0] in "LM" or c in _COMMON_SYMBOLS)
    return good / len(odd)


def _prior(encoding: str) -> int:
    name = encoding.lower().replace("-", "_")
    return _PRIOR.index(name) if name in _PRIOR else len(_PRIOR)


def detect_encoding(data: bytes, path: Path) -> str:
    """Pick a legacy encoding for bytes that are not UTF-8, or raise ImportFileError.

    charset-normalizer proposes candidates; among those that decode the bytes about as cleanly as
    the best one, prefer text made of letters, then language coherence, then common encodings.
    """
    from charset_normalizer import from_bytes

    results = list(from_bytes(data))
    hint = "pass the right one with --encoding (e.g. --encoding cp1252 or --encoding gb18030)"
    if not results:
        raise ImportFileError(path, f"cannot tell which text encoding this file uses; {hint}")
    best_chaos = min(m.chaos for m in results)
    pool = [m for m in results if m.chaos <= best_chaos + 0.1]
    scored = []
    for m in pool:
        sample = str(m)[:50_000]
        scored.append((round(_plausibility(sample), 1), round(m.coherence, 1), m))
    scored.sort(key=lambda t: (-t[0], -t[1], _prior(t[2].encoding), t[2].chaos))
    plaus, _coh, chosen = scored[0]
    if chosen.chaos > 0.3 or plaus < 0.8:
        raise ImportFileError(
            path,
            f"the text encoding is unclear (best guess {chosen.encoding}, but the text looks "
            f"garbled); {hint}",
        )
    return str(chosen.encoding)


def _decode_all(data: bytes, encoding: str, path: Path, *, explicit: bool) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        how = "the given encoding" if explicit else "the detected encoding"
        raise ImportFileError(
            path,
            f"cannot be decoded with {how} {encoding!r} (byte {exc.start}); "
            "pass another one with --encoding",
            line=_line_of(data, exc.start),
        ) from exc
    except LookupError as exc:
        raise ImportFileError(path, f"unknown encoding {encoding!r}") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def open_text(path: Path, size: int, head: bytes, encoding: str | None) -> TextSource:
    """Decide the encoding of a text file and return a reader for it.

    Order: an explicit encoding always wins; then a BOM; then UTF-8 (checked on the first 64 KB
    here and on the rest while the parser streams it, see parse_file); otherwise charset
    detection. Failures raise ImportFileError with a hint about --encoding.
    """
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as exc:
            raise ImportFileError(path, f"unknown encoding {encoding!r}") from exc
        if codec == "utf-8" and head.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        data = path.read_bytes()
        text = _decode_all(data, codec, path, explicit=True)
        return TextSource(path, size, codec, text[:HEAD_BYTES], text)

    for bom, codec in _BOMS:
        if head.startswith(bom):
            if codec == "utf-8-sig":
                break
            text = _decode_all(path.read_bytes(), codec, path, explicit=False)
            return TextSource(path, size, codec, text[:HEAD_BYTES], text)

    utf16 = _looks_utf16(head)
    if utf16:
        text = _decode_all(path.read_bytes(), utf16, path, explicit=False)
        return TextSource(path, size, utf16, text[:HEAD_BYTES], text)
    if b"\x00" in head:
        raise ImportFileError(path, "this is a binary file, not a text reference export")

    if _head_is_utf8(head):
        # Tentatively UTF-8: the parsers stream the file, and parse_file falls back to
        # decode_legacy() if an invalid byte turns up later (no second pass over big files).
        codec = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        head_text = head.decode("utf-8", errors="ignore")
        if head_text.startswith("\ufeff"):
            head_text = head_text[1:]
        return TextSource(path, size, codec, head_text.replace("\r\n", "\n").replace("\r", "\n"))
    return decode_legacy(path, size)


def decode_legacy(path: Path, size: int) -> TextSource:
    """Read a file that is not valid UTF-8: refuse damaged UTF-8, else detect the encoding."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    else:  # pragma: no cover - only called after a decoding error
        return TextSource(path, size, "utf-8", data[:HEAD_BYTES].decode("utf-8", "ignore"))
    line = _line_of(data, offset)
    # Mostly valid UTF-8 with a few stray bytes is a damaged UTF-8 file, not a legacy encoding:
    # guessing an 8-bit codec would garble every other accented letter.
    valid = _VALID_UTF8_MULTIBYTE.findall(data)
    covered = sum(len(v) for v in valid)
    non_ascii = len(data.translate(None, bytes(range(128))))
    if len(valid) >= 3 and covered >= 10 * (non_ascii - covered):
        raise ImportFileError(
            path,
            f"the file is mostly UTF-8 but has an invalid byte at offset {offset} (mixed "
            "encodings); fix that line or pass --encoding to read the whole file another way",
            line=line,
        )
    codec = detect_encoding(data, path)
    text = _decode_all(data, codec, path, explicit=False)
    return TextSource(path, size, codec, text[:HEAD_BYTES], text)
