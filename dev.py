#!/usr/bin/env python3
"""Set up what is missing, then run the demo or the whole test suite.

    python3 dev.py demo    # install what is missing, open the TUI on the bundled example review
    python3 dev.py test    # install what is missing, run ruff, mypy and pytest

Only python3 (with venv or pip) is assumed. Python packages go into ./.venv, reinstalled when
pyproject.toml changes. The Graphviz `dot` binary is installed with apt-get where apt is available
(with Pango, for PDFs) and we are root or have password-less sudo; otherwise a message says how.
Extra arguments after `test` are passed to pytest; after `demo`, to `realist demo`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".realist-installed"


def _say(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(cmd: list[str], **kw: object) -> int:
    return subprocess.call(cmd, cwd=ROOT, **kw)  # type: ignore[call-overload,no-any-return]


def ensure_venv() -> Path:
    """Create .venv if it is missing; return its python."""
    py = _venv_python()
    if py.exists():
        return py
    _say(f"creating virtual environment in {VENV}")
    if _run([sys.executable, "-m", "venv", str(VENV)]) != 0 or not py.exists():
        # Debian's python3 without python3-venv: fall back to virtualenv from pip.
        shutil.rmtree(VENV, ignore_errors=True)
        _say("python3 -m venv failed; trying virtualenv")
        if _run([sys.executable, "-m", "pip", "install", "--user", "--quiet", "virtualenv"]) != 0:
            sys.exit("[dev] cannot create a virtual environment: install python3-venv")
        if _run([sys.executable, "-m", "virtualenv", str(VENV)]) != 0:
            sys.exit("[dev] virtualenv failed to create .venv")
    return py


def ensure_packages(py: Path) -> None:
    """pip install -e .[dev] when pyproject.toml changed since the last install."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    _say("installing Python packages (pip install -e '.[dev]')")
    rc = _run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    rc = rc or _run([str(py), "-m", "pip", "install", "--quiet", "-e", ".[dev]"])
    if rc != 0:
        sys.exit("[dev] pip install failed; see the messages above")
    STAMP.write_text(digest)


def _missing_system_packages() -> dict[str, str]:
    """Debian packages the project needs that this machine lacks: {package: what needs it}."""
    import ctypes.util

    missing: dict[str, str] = {}
    if not shutil.which("dot"):
        missing["graphviz"] = "rendering diagrams (SVG/PNG/PDF)"
    if ctypes.util.find_library("pango-1.0") is None:
        missing["libpango-1.0-0"] = "the printable PDF of the PPI pack (WeasyPrint)"
        missing["libpangoft2-1.0-0"] = "the printable PDF of the PPI pack (WeasyPrint)"
    return missing


def ensure_system_packages() -> None:
    """Install Graphviz (and Pango for PDFs) where apt is available; otherwise explain."""
    missing = _missing_system_packages()
    if not missing:
        return
    apt = shutil.which("apt-get")
    prefix: list[str] = []
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    can_sudo = bool(shutil.which("sudo")) and not is_root
    if apt and can_sudo and subprocess.call(["sudo", "-n", "true"], stderr=subprocess.DEVNULL) == 0:
        prefix = ["sudo", "-n"]
    if apt and (is_root or prefix):
        names = sorted(missing)
        _say(f"installing system packages: {' '.join(names)} (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        quiet = {"stdout": subprocess.DEVNULL, "env": env}
        if _run([*prefix, apt, "install", "-y", "-q", *names], **quiet) != 0:
            _run([*prefix, apt, "update", "-q"], **quiet)
            _run([*prefix, apt, "install", "-y", "-q", *names], **quiet)
    for package, why in _missing_system_packages().items():
        _say(
            f"system package {package} is missing; it is needed for {why}. "
            f"Install it with `sudo apt-get install {package}` (Debian/Ubuntu)"
            + (
                ", `brew install graphviz` (macOS) or https://graphviz.org/download/"
                if package == "graphviz"
                else ""
            )
            + ". Everything else works without it."
        )


def setup() -> Path:
    py = ensure_venv()
    ensure_packages(py)
    ensure_system_packages()
    return py


def run_tests(py: Path, extra: list[str]) -> int:
    bindir = py.parent
    steps: list[tuple[str, list[str]]] = [
        ("ruff", [str(bindir / "ruff"), "check", "."]),
        ("mypy", [str(py), "-m", "mypy"]),
        ("pytest", [str(py), "-m", "pytest", *extra]),
    ]
    for name, cmd in steps:
        _say(f"running {name}")
        rc = _run(cmd)
        if rc != 0:
            _say(f"{name} failed (exit {rc})")
            return rc
    _say("all checks passed")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    py = setup()
    if argv[0] == "setup":
        return 0
    if argv[0] == "test":
        return run_tests(py, argv[1:])
    realist = py.parent / "realist"
    os.execv(str(realist), [str(realist), "demo", *argv[1:]])
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
