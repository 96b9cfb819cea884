"""Read YAML safely and keep line numbers, so every error can say file and line.

Only PyYAML's SafeLoader is used: tags such as `!!python/object` are refused. Duplicate keys, which
PyYAML would silently collapse, are refused too: a file must never lose data quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class YamlError(ValueError):
    """A problem in a YAML file: one readable message naming the file and line."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {message}")


@dataclass
class YamlDocument:
    """A parsed YAML file with the line of every value, addressed by its path."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of the value at `path`, or of its nearest parent."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def error(self, path: Path_, message: str) -> YamlError:
        return YamlError(
            self.file, self.line(path), f"{format_path(path)}: {message}" if path else message
        )


def format_path(path: Path_) -> str:
    """`cmocs[3].direction` style rendering of a path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise YamlError(file, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            seen.add(key)
            _walk(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, file)


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document with the safe loader, keeping line numbers."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # control characters are refused before parsing
        where = text[: exc.position].count("\n") + 1
        raise YamlError(
            file, where, f"character U+{exc.character:04X} is not allowed in a YAML file"
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise YamlError(file, None, "the file is empty")
        lines: dict[Path_, int] = {}
        _walk(node, (), lines, file)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            tag = problem.split("for the tag")[-1].strip()
            problem = f"unsupported tag {tag} (only plain YAML is accepted)"
        else:
            column = f" at column {mark.column + 1}" if mark else ""
            hint = " (often a wrong indentation)" if "block" in problem else ""
            problem = f"invalid YAML{column}: {problem}{hint}"
        raise YamlError(file, line, problem) from None
    except yaml.YAMLError as exc:
        raise YamlError(file, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return YamlDocument(file=file, data=data, lines=lines)


def read_yaml(path: Path) -> YamlDocument:
    """Read and parse a YAML file; unreadable or non-UTF-8 files get a clear error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(str(path), None, f"cannot read the file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(str(path), line, "not UTF-8 text") from None
    return parse_yaml(text, str(path))
