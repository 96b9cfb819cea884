"""The user's own settings: `config.yaml` in REALIST_CONFIG_DIR (default ~/.config/realist).

Read with PyYAML's safe loader, only when the file exists. Every key is optional:

    keys:                    # screening keys; a key, "a,b" or a list of keys per action
      include: i
      exclude: e
      next: [n, right]
    tag_keys:                # per tag code, overriding the review's own keys
      race: "2"
    colours:                 # Rich styles for highlighted keywords
      include: bold black on green
      exclude: bold white on red
    screening:
      order: file            # file | random | relevance (most likely relevant first)
      seed: 7                # for the random order (default: the reviewer's id)
    list:
      page_size: 100         # rows per page in the records list

A broken file never stops the program: `load_settings` returns the defaults and one message
naming the file, the line and what is wrong, which the TUI shows as a notification.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from realist.errors import RealistError

CONFIG_ENV = "REALIST_CONFIG_DIR"
CONFIG_FILE = "config.yaml"

# action -> (default keys, description shown in the footer and the help screen)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "include": (("i",), "Include"),
    "exclude": (("e",), "Exclude"),
    "maybe": (("m",), "Maybe"),
    "undo": (("u",), "Undo"),
    "next": (("n", "right"), "Next"),
    "prev": (("p", "left"), "Previous"),
    "skip": (("s",), "Skip"),
    "jump": (("j",), "Jump"),
    "reason": (("r",), "Reason"),
    "note": (("o",), "Note"),
    "criteria": (("c",), "Criteria"),
    "attach": (("f",), "Attach"),
    "not_retrieved": (("x",), "Not retrieved"),
    "label": (("l",), "Label"),
    "stage": (("w",), "Stage"),
    "order": (("O",), "Order"),
    "why": (("Y",), "Why here?"),
    "stopping": (("S",), "Stopping aid"),
}
DEFAULT_COLOURS = {"include": "bold black on green3", "exclude": "bold white on red3"}
KEY_RE = re.compile(r"^(?:(?:ctrl|shift|alt|meta|super|hyper)\+)*(?:[A-Za-z0-9_]+|[^\s,])$")


class SettingsError(RealistError):
    """The config file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Settings:
    """Typed user settings (defaults when there is no config file)."""

    keys: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {a: keys for a, (keys, _) in ACTIONS.items()}
    )
    tag_keys: dict[str, str] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLOURS))
    queue_order: str = "file"
    queue_seed: int | None = None
    page_size: int = 100

    def keys_for(self, action: str) -> tuple[str, ...]:
        """The keys bound to an action (see ACTIONS)."""
        return self.keys.get(action, ACTIONS[action][0])

    @staticmethod
    def description(action: str) -> str:
        """What an action does, in a word or two (footer and help)."""
        return ACTIONS[action][1]


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    path: Path
    problem: str | None = None  # why the file was ignored, when it was


def config_dir() -> Path:
    """REALIST_CONFIG_DIR, else ~/.config/realist."""
    env = os.environ.get(CONFIG_ENV)
    return Path(env).expanduser() if env else Path.home() / ".config" / "realist"


def config_path() -> Path:
    """Where the config file is looked for."""
    return config_dir() / CONFIG_FILE


def load_settings(directory: Path | None = None) -> LoadedSettings:
    """The user's settings, or the defaults (with the reason) when the file is broken."""
    path = (directory or config_dir()) / CONFIG_FILE
    if not path.is_file():
        return LoadedSettings(Settings(), path)
    try:
        return LoadedSettings(read_settings(path), path)
    except SettingsError as exc:
        return LoadedSettings(Settings(), path, f"{exc}; using the default settings")


def read_settings(path: Path) -> Settings:
    """Parse and check one config file; SettingsError ('file:line: what') when it is wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read ({exc})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SettingsError(f"{path}{line}: not valid YAML ({exc.problem or exc})") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML ({exc})") from None
    return _Checker(path, root).settings(data)


class _Checker:
    def __init__(self, path: Path, root: yaml.Node | None) -> None:
        self.path = path
        self.root = root

    def _line(self, *where: str | int) -> int:
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1
        for key in where:
            if isinstance(node, yaml.MappingNode):
                match = next((kv for kv in node.value if kv[0].value == key), None)
                if match is None:
                    break
                line, node = match[0].start_mark.line + 1, match[1]
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(key, int)
                and key < len(node.value)
            ):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def fail(self, message: str, *where: str | int) -> SettingsError:
        dotted = ".".join(str(w) for w in where)
        return SettingsError(
            f"{self.path}:{self._line(*where)}: {dotted + ': ' if dotted else ''}{message}"
        )

    def mapping(self, value: Any, *where: str | int) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"expected a mapping of names to values, got {value!r}", *where)
        return value

    def only(self, data: dict[str, Any], allowed: set[str], *where: str | int) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    f"unknown setting {key!r}; known: {', '.join(sorted(allowed))}", *where, key
                )

    def key_list(self, value: Any, *where: str | int) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        keys: list[str] = []
        for item in items:
            if isinstance(item, int) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                raise self.fail(f"a key is a string such as 'i' or 'ctrl+d', not {item!r}", *where)
            for key in item.split(",") if len(item) > 1 else [item]:
                key = key.strip()
                if not key or not KEY_RE.match(key):
                    raise self.fail(
                        f"{key!r} is not a key name (e.g. 'i', 'right', 'ctrl+d')", *where
                    )
                keys.append(key)
        if not keys:
            raise self.fail("give at least one key", *where)
        return tuple(keys)

    def settings(self, data: Any) -> Settings:
        top = self.mapping(data)
        self.only(top, {"keys", "tag_keys", "colours", "colors", "screening", "list"})
        keys = {a: k for a, (k, _) in ACTIONS.items()}
        owner: dict[str, str] = {}
        given = self.mapping(top.get("keys"), "keys")
        for action, value in given.items():
            if action not in ACTIONS:
                raise self.fail(
                    f"unknown action {action!r}; actions: {', '.join(ACTIONS)}", "keys", action
                )
            keys[action] = self.key_list(value, "keys", action)
        for action, ks in keys.items():
            for k in ks:
                if k in owner:
                    where = ("keys", action) if action in given else ("keys", owner[k])
                    raise self.fail(f"key {k!r} is bound to both {owner[k]} and {action}", *where)
                owner[k] = action
        tag_keys: dict[str, str] = {}
        for code, value in self.mapping(top.get("tag_keys"), "tag_keys").items():
            ks = self.key_list(value, "tag_keys", code)
            if len(ks) != 1:
                raise self.fail("give one key per tag", "tag_keys", code)
            if ks[0] in owner:
                raise self.fail(
                    f"key {ks[0]!r} is already bound to {owner[ks[0]]}", "tag_keys", code
                )
            owner[ks[0]] = f"tag {code}"
            tag_keys[str(code)] = ks[0]
        colours = dict(DEFAULT_COLOURS)
        name = "colours" if "colours" in top else "colors"
        for kind, value in self.mapping(top.get(name), name).items():
            if kind not in DEFAULT_COLOURS:
                raise self.fail(f"unknown colour {kind!r}; known: include, exclude", name, kind)
            if not isinstance(value, str) or not _valid_style(value):
                raise self.fail(
                    f"{value!r} is not a style (e.g. 'bold green', 'black on yellow')", name, kind
                )
            colours[kind] = value
        screening = self.mapping(top.get("screening"), "screening")
        self.only(screening, {"order", "seed"}, "screening")
        order = screening.get("order", "file")
        if not isinstance(order, str) or not order.strip():
            raise self.fail(
                f"order is a name such as file or random, not {order!r}", "screening", "order"
            )
        seed = screening.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise self.fail(f"seed is a whole number, not {seed!r}", "screening", "seed")
        listing = self.mapping(top.get("list"), "list")
        self.only(listing, {"page_size"}, "list")
        page = listing.get("page_size", 100)
        if isinstance(page, bool) or not isinstance(page, int) or not 10 <= page <= 1000:
            raise self.fail(
                f"page_size is a number from 10 to 1000, not {page!r}", "list", "page_size"
            )
        return Settings(keys, tag_keys, colours, order.strip(), seed, page)


def _valid_style(value: str) -> bool:
    try:
        from rich.style import Style
    except ImportError:  # rich comes with the TUI; without it nothing renders styles anyway
        return True
    try:
        Style.parse(value)
    except Exception:
        return False
    return True
