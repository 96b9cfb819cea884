"""Screening labels that tools write into free-text notes (Rayyan, ASReview)."""

from __future__ import annotations

import re

# Rayyan: 'RAYYAN-INCLUSION: {"Alice"=>"Included"} | RAYYAN-LABELS: a,b'
# (and RAYYAN-EXCLUSION-REASONS), one key per '|'-separated part.
_RAYYAN = re.compile(r"(RAYYAN-[A-Z-]+)\s*:\s*(.*?)\s*(?=\|\s*RAYYAN-|$)", re.DOTALL)
# ASReview writes its decision into the notes: 'ASReview_relevant', 'ASReview_prior'...
_ASREVIEW = re.compile(r"\bASReview_(relevant|irrelevant|not_seen|prior)\b")


def labels_from_note(note: str) -> dict[str, str]:
    """Labels embedded in one note, raw key -> raw value; empty when there are none."""
    found: dict[str, str] = {}
    if "RAYYAN-" in note:
        for key, value in _RAYYAN.findall(note):
            found[key] = value.strip()
    if "ASReview_" in note:
        for word in _ASREVIEW.findall(note):
            if word == "prior":
                found["ASReview_prior"] = "true"
            else:
                found["ASReview"] = word
    return found


def labels_from_notes(notes: list[str]) -> dict[str, str]:
    """Labels from every note of a record (later notes win on the same key)."""
    found: dict[str, str] = {}
    for note in notes:
        found.update(labels_from_note(note))
    return found
