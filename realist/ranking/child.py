"""Vectorise a corpus in a child process: `python -m realist.ranking.child`.

Reads a pickled list of texts on stdin and writes the pickled `IncrementalRanker` on stdout.
Tokenising 100,000 abstracts holds the interpreter lock for tens of seconds; in a separate
process it cannot make the screen that waits for it stutter. A plain subprocess with pipes is
used rather than `multiprocessing`: the latter starts a resource tracker that passes the
parent's stderr descriptor along, and inside a Textual app stderr is a capture object
without one.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from realist.ranking.model import IncrementalRanker

# The package's parent folder, so the child imports this same code whether or not the project
# is installed.
_ROOT = str(Path(__file__).resolve().parents[2])


class VectoriseChildError(RuntimeError):
    """The child process failed; the message holds the last line it wrote to stderr."""


def vectorise(texts: Sequence[str], seed: int = 0) -> IncrementalRanker:
    """Vectorise `texts` here (the slow step of building a ranker)."""
    return IncrementalRanker(texts, seed=seed)


def vectorise_in_child(texts: Sequence[str], seed: int = 0) -> IncrementalRanker:
    """`vectorise(texts, seed)` in a child Python process; the same model, byte for byte."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    payload = pickle.dumps((list(texts), seed), protocol=pickle.HIGHEST_PROTOCOL)
    done = subprocess.run(
        [sys.executable, "-m", "realist.ranking.child"],
        input=payload,
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else f"exit code {done.returncode}"
        raise VectoriseChildError(f"building the ranking model in a child process failed: {last}")
    model = pickle.loads(done.stdout)  # our own child's output, never outside data
    if not isinstance(model, IncrementalRanker):
        raise VectoriseChildError("the ranking child process returned no model")
    return model


def main() -> None:
    """Child side: texts in on stdin, the model out on stdout."""
    texts, seed = pickle.load(sys.stdin.buffer)
    model = vectorise(texts, seed)
    sys.stdout.buffer.write(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
