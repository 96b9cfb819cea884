"""Textual user interface for Realist Workbench."""
