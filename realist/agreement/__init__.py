"""The dual-screening agreement check: pure statistics, sample drawing and report rendering.

Nothing in this package touches the database or the file system: the services build tables
and id lists from the store and hand them here.
"""

from __future__ import annotations

from realist.agreement.report import render_json, render_markdown, report_to_dict
from realist.agreement.sample import SampleDraw, draw_sample
from realist.agreement.stats import (
    CI_METHOD,
    AgreementReport,
    agreement_report,
    agreement_table,
    cohen_kappa,
    gwet_ac1,
    kappa_ci,
    kappa_se,
    landis_koch_band,
    pabak,
    percent_agreement,
)

__all__ = [
    "CI_METHOD",
    "AgreementReport",
    "SampleDraw",
    "agreement_report",
    "agreement_table",
    "cohen_kappa",
    "draw_sample",
    "gwet_ac1",
    "kappa_ci",
    "kappa_se",
    "landis_koch_band",
    "pabak",
    "percent_agreement",
    "render_json",
    "render_markdown",
    "report_to_dict",
]
