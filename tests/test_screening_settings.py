"""User settings (config.yaml in REALIST_CONFIG_DIR): typed, checked, never fatal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from realist.services.screening import TagInfo
from realist.settings import (
    ACTIONS,
    Settings,
    SettingsError,
    config_path,
    load_settings,
    read_settings,
)
from tui.screens.screening import build_bindings


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(body)
    return path


def test_tests_use_their_own_config_dir() -> None:
    assert config_path().parent == Path(os.environ["REALIST_CONFIG_DIR"])


def test_no_file_means_defaults(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path)
    assert loaded.problem is None and loaded.settings == Settings()
    assert loaded.settings.keys_for("include") == ("i",)
    assert loaded.settings.keys_for("next") == ("n", "right")


def test_a_full_config(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
keys:
  include: y
  exclude: "d,k"
  next: [j, down]
  jump: g
tag_keys:
  race: "5"
  religion: "%"
colours:
  include: bold blue on white
screening:
  order: random
  seed: 42
list:
  page_size: 250
""",
    )
    s = read_settings(path)
    assert s.keys_for("include") == ("y",) and s.keys_for("exclude") == ("d", "k")
    assert s.keys_for("next") == ("j", "down") and s.keys_for("jump") == ("g",)
    assert s.tag_keys == {"race": "5", "religion": "%"}
    assert (
        s.colours["include"] == "bold blue on white"
        and s.colours["exclude"] == "bold white on red3"
    )
    assert (s.queue_order, s.queue_seed, s.page_size) == ("random", 42, 250)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("keys:\n  include: [i\n", 3, "not valid YAML"),
        ("keys:\n  inclde: y\n", 2, "unknown action 'inclde'"),
        ("keys:\n  include: e\n", 2, "key 'e' is bound to both"),
        ("keys:\n  skip: 'two words'\n", 2, "is not a key name"),
        ("tag_keys:\n  race: i\n", 2, "already bound to include"),
        ("colours:\n  include: not-a-colour-at-all\n", 2, "is not a style"),
        ("screening:\n  order: random\n  seed: many\n", 3, "seed is a whole number"),
        ("list:\n  page_size: 5\n", 2, "page_size is a number from 10 to 1000"),
        ("- just\n- a list\n", 1, "expected a mapping"),
        ("themes: dark\n", 1, "unknown setting 'themes'"),
    ],
)
def test_mistakes_name_the_file_and_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(SettingsError) as err:
        read_settings(path)
    assert f"{path}:{line}:" in str(err.value) and message in str(err.value)
    loaded = load_settings(tmp_path)
    assert loaded.settings == Settings() and loaded.problem is not None
    assert (
        loaded.problem.startswith(f"{path}:{line}:")
        and "using the default settings" in loaded.problem
    )


def test_every_action_has_a_default_key_and_no_two_share_one() -> None:
    keys = [k for keys, _ in ACTIONS.values() for k in keys]
    assert len(keys) == len(set(keys))


def test_tag_keys_that_clash_with_actions_are_reported() -> None:
    tags = (
        TagInfo("race", "Race", "progress", "2", None),
        TagInfo("odd", "Odd", "custom", "i", None),  # 'i' includes
    )
    bindings, warnings = build_bindings(Settings(), tags)
    actions = {b.action for b in bindings}
    assert "tag('race')" in actions and "tag('odd')" not in actions
    assert len(warnings) == 1 and "'Odd'" in warnings[0] and "include" in warnings[0]
