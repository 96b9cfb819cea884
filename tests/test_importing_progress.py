"""Progress reporting and a larger synthetic file (record counts, not timings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.importing import parse_file

FIX = Path(__file__).parent / "fixtures" / "importing"


def _big_ris(tmp_path: Path, copies: int) -> Path:
    # Real-looking records of several dialects, repeated.
    blocks = [
        (FIX / name).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        for name in ("embase.ris", "ovid.ris", "endnote_crlf.ris", "rayyan.ris")
    ]
    path = tmp_path / "big.ris"
    path.write_text("\n".join(blocks) * copies, encoding="utf-8")
    return path


def test_progress_is_monotonic_and_ends_at_total(tmp_path: Path) -> None:
    path = _big_ris(tmp_path, 2000)
    calls: list[tuple[int, int]] = []
    result = parse_file(path, progress=lambda done, total: calls.append((done, total)))
    assert len(result.records) == 8 * 2000
    assert len(calls) > 20
    dones = [d for d, _ in calls]
    assert dones == sorted(dones)
    assert all(0 <= d <= t for d, t in calls)
    assert calls[-1][0] == calls[-1][1] == path.stat().st_size
    # Record numbers and lines keep counting across the whole file.
    assert result.records[-1].position == 8 * 2000
    assert result.records[-1].line > result.records[-2].line


@pytest.mark.parametrize("name", ["pubmed.nbib", "savedrecs.ciw", "rayyan.csv", "refs.bib"])
def test_progress_for_other_formats(name: str) -> None:
    calls: list[tuple[int, int]] = []
    parse_file(FIX / name, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
