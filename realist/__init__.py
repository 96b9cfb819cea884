"""Realist Workbench: the domain, storage, services and CLI of a realist review."""

__version__ = "0.1.0"
