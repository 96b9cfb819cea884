"""Accuracy on labelled sets: the bar of issue 3, and the evaluation helpers themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from realist.dedup import CandidatePair, DedupResult, find_duplicates
from realist.dedup.evaluation import (
    LabelledSetError,
    evaluate,
    evaluate_clusters,
    load_labelled_set,
)

# bib-dedupe 0.11 on the same files (../shared/data/SOURCES.md): the bar to meet or beat.
BAR = {"stroke": 0.994, "respiratory": 0.936, "special_cases": 1.0}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(BAR))
def test_accuracy_bar_on_the_shared_labelled_sets(shared_data: Path, name: str) -> None:
    folder = shared_data / "dedup" / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    labelled = load_labelled_set(folder)
    accuracy = evaluate(find_duplicates(labelled.records), labelled)
    assert accuracy.false_positives == 0, accuracy.summary()
    # bib-dedupe's figure is rounded to 3 places: compare at that precision
    assert round(accuracy.sensitivity, 3) >= BAR[name], accuracy.summary()
    # the review queue holds what was not merged, not the whole set
    assert accuracy.uncertain_pairs <= len(labelled.records) / 4


def _write_set(folder: Path, records: str, groups: str) -> Path:
    folder.mkdir()
    (folder / "records_pre_merged.csv").write_text(records, encoding="utf-8")
    (folder / "merged_record_ids.csv").write_text(groups, encoding="utf-8")
    return folder


def test_load_labelled_set_maps_columns_and_groups(tmp_path: Path) -> None:
    folder = _write_set(
        tmp_path / "mini",
        '"ID","title","year","author","pages","volume","number","journal","doi"\n'
        '"a","Title one",2010,"Smith, J.","1-5","3","2","J Test","10.1000/x1"\n'
        '"b","Title one.",2010,"Smith J","1-5","3","2","Journal of Test",\n'
        '"c","Other",2011,"Lee, K.",,,,,\n',
        'merged_ids\n"a;b"\n',
    )
    labelled = load_labelled_set(folder)
    assert [r.id for r in labelled.records] == [1, 2, 3]
    assert labelled.groups == [[1, 2]]
    assert labelled.removable == 1
    first = labelled.records[0]
    assert (first.issue, first.doi, first.year, first.authors) == (
        "2",
        "10.1000/x1",
        2010,
        "Smith, J.",
    )
    assert labelled.records[2].pages is None
    assert labelled.source_ids[3] == "c"


def test_load_labelled_set_reports_unknown_ids(tmp_path: Path) -> None:
    folder = _write_set(tmp_path / "bad", '"ID","title"\n"a","T"\n', 'merged_ids\n"a;zz"\n')
    with pytest.raises(LabelledSetError, match=r"merged_record_ids\.csv, line 2: unknown IDs"):
        load_labelled_set(folder)


def test_load_labelled_set_reports_missing_files(tmp_path: Path) -> None:
    with pytest.raises(LabelledSetError, match="file not found"):
        load_labelled_set(tmp_path)


def test_evaluate_clusters_counts_removals_and_false_merges() -> None:
    groups = [[1, 2, 3], [4, 5]]
    assert evaluate_clusters([[1, 2, 3], [4, 5]], groups) == (3, 0)
    assert evaluate_clusters([[1, 2]], groups) == (1, 0)
    # 1-2-3 merged with 4: 2 correct removals, 4 is a false positive
    assert evaluate_clusters([[1, 2, 3, 4]], groups) == (2, 1)
    # two singletons merged: nothing correct, one false positive
    assert evaluate_clusters([[6, 7]], groups) == (0, 1)


def test_evaluate_counts_the_review_queue(tmp_path: Path) -> None:
    folder = _write_set(
        tmp_path / "q",
        '"ID","title"\n"a","T"\n"b","T"\n"c","U"\n"d","V"\n',
        'merged_ids\n"a;b"\n"c;d"\n',
    )
    labelled = load_labelled_set(folder)
    result = DedupResult(
        pairs=[
            CandidatePair(1, 2, 0.99, "certain", {}, ""),
            CandidatePair(3, 4, 0.7, "uncertain", {}, ""),
            CandidatePair(2, 3, 0.6, "uncertain", {}, ""),
        ],
        clusters=[[1, 2]],
    )
    accuracy = evaluate(result, labelled)
    assert accuracy.sensitivity == 0.5
    assert (accuracy.uncertain_pairs, accuracy.uncertain_true) == (2, 1)
    assert accuracy.missed == 0
    assert "sensitivity 0.500" in accuracy.summary()
