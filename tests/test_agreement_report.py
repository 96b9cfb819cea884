"""Rendering agreement reports: JSON parsed back, Markdown checked for the figures."""

from __future__ import annotations

import json

import pytest

from realist.agreement.report import render_json, render_markdown, report_to_dict
from realist.agreement.sample import draw_sample
from realist.agreement.stats import agreement_report

SCREEN2 = ["include", "exclude"]
REQUIRED_KEYS = {
    "n",
    "table",
    "percent_agreement",
    "kappa",
    "kappa_se",
    "kappa_ci_low",
    "kappa_ci_high",
    "pabak",
    "ac1",
    "band",
    "warnings",
    "per_tag",
}


def test_json_round_trip_holds_every_statistic() -> None:
    report = agreement_report([[31, 12], [4, 58]], SCREEN2)
    per_tag = {
        "Race/ethnicity": agreement_report([[6, 1], [1, 4]], ["tagged", "not tagged"]),
        "gap/targeted": agreement_report(
            [[5, 1, 0], [0, 4, 0], [0, 0, 2]], ["gap", "targeted", "neither"]
        ),
    }
    data = json.loads(
        render_json(report, per_tag=per_tag, reviewers=("alice", "bob"), stage="title_abstract")
    )
    assert data.keys() >= REQUIRED_KEYS
    assert data["n"] == 105
    assert data["table"] == [[31, 12], [4, 58]]
    assert data["categories"] == SCREEN2
    for key in (
        "percent_agreement",
        "kappa",
        "kappa_se",
        "kappa_ci_low",
        "kappa_ci_high",
        "pabak",
        "ac1",
        "positive_agreement",
        "negative_agreement",
    ):
        assert data[key] == getattr(report, key), key
    assert data["kappa"] == pytest.approx(0.6756757, abs=5e-8)
    assert data["band"] == "substantial"
    assert data["warnings"] == []
    assert "Fleiss, Cohen & Everitt (1969)" in data["ci_method"]
    assert data["reviewers"] == {"a": "alice", "b": "bob"}
    assert data["stage"] == "title_abstract"
    assert list(data["per_tag"]) == ["Race/ethnicity", "gap/targeted"]
    tag = data["per_tag"]["Race/ethnicity"]
    assert tag["table"] == [[6, 1], [1, 4]]
    assert tag["kappa"] == per_tag["Race/ethnicity"].kappa
    assert tag["warnings"] == per_tag["Race/ethnicity"].warnings
    assert data["per_tag"]["gap/targeted"]["categories"] == ["gap", "targeted", "neither"]


def test_undefined_kappa_is_null_never_nan() -> None:
    report = agreement_report([[0, 0], [0, 25]], SCREEN2)
    text = render_json(report)
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["kappa"] is None and data["kappa_se"] is None
    assert data["kappa_ci_low"] is None and data["kappa_ci_high"] is None
    assert data["band"] is None
    assert data["percent_agreement"] == 1.0
    assert any("undefined" in w for w in data["warnings"])
    assert data["per_tag"] == {}


def test_empty_report_renders_in_both_formats() -> None:
    report = agreement_report([[0, 0], [0, 0]], SCREEN2)
    data = json.loads(render_json(report))
    assert data["n"] == 0 and data["kappa"] is None and data["pabak"] is None
    md = render_markdown(report)
    assert "undefined" in md and "empty" in md


def test_sample_is_embedded() -> None:
    report = agreement_report([[31, 12], [4, 58]], SCREEN2)
    sample = draw_sample(list(range(1, 1051)), 0.1, seed=7)
    data = report_to_dict(report, sample=sample)
    assert data["sample"] == sample.to_dict()
    md = render_markdown(report, sample=sample)
    assert "seed 7" in md and "105 of 1050 records" in md


def test_markdown_holds_the_figures() -> None:
    report = agreement_report([[31, 12], [4, 58]], SCREEN2)
    md = render_markdown(report, reviewers=("alice", "bob"), stage="title/abstract")
    assert "reviewer A (alice)" in md and "reviewer B (bob)" in md
    assert "Stage: title/abstract." in md
    # table: reviewer A rows, reviewer B columns, with totals
    assert "| A \\ B | include | exclude | Total |" in md
    assert "| **include** | 31 | 12 | 43 |" in md
    assert "| **exclude** | 4 | 58 | 62 |" in md
    assert "| **Total** | 35 | 70 | 105 |" in md
    for figure in ("84.8%", "0.676", "0.073", "0.532", "0.820", "0.695", "0.714", "0.795", "0.879"):
        assert figure in md, figure
    assert "substantial" in md
    assert "Fleiss, Cohen & Everitt (1969)" in md
    assert "### Warnings" not in md


def test_markdown_lists_warnings_and_per_tag_table() -> None:
    report = agreement_report([[2, 2], [1, 95]], SCREEN2)
    tag = agreement_report([[3, 1], [0, 2]], ["tagged", "not tagged"])
    md = render_markdown(report, per_tag={"Socioeconomic status": tag})
    assert "### Warnings" in md
    assert "kappa can be low while reviewers almost always agree; see PABAK and AC1" in md
    assert "### Agreement per tag" in md
    row = next(line for line in md.splitlines() if line.startswith("| Socioeconomic status |"))
    assert "| 6 |" in row and "83.3%" in row and f"{tag.kappa:.3f}" in row
    assert "Socioeconomic status: Only 6 records" in md


def test_markdown_3x3_shows_maybe_specific_agreement() -> None:
    report = agreement_report([[8, 2, 2], [1, 70, 3], [1, 3, 10]], ["include", "exclude", "maybe"])
    md = render_markdown(report)
    assert "| **maybe** | 1 | 3 | 10 | 14 |" in md
    assert "Specific agreement (maybe)" in md
    assert f"{20 / 29:.3f}" in md


def test_markdown_undefined_kappa_says_so() -> None:
    report = agreement_report([[0, 0], [0, 25]], SCREEN2)
    md = render_markdown(report)
    assert "| Cohen's kappa | undefined (see warnings) |" in md
    assert "100.0%" in md


def test_pipes_in_names_do_not_break_tables() -> None:
    report = agreement_report([[1, 0], [0, 1]], ["in|clude", "exclude"])
    md = render_markdown(report, per_tag={"a|b": report})
    assert "in\\|clude" in md and "| a\\|b |" in md


def test_reviewers_must_be_a_pair() -> None:
    report = agreement_report([[1, 0], [0, 1]], SCREEN2)
    with pytest.raises(ValueError, match="pair"):
        render_json(report, reviewers=("alice",))
