"""The code tree: add, rename, move without cycles, merge without duplicate codings, delete with
re-coding, paths, roles and optimistic concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from realist.db.models import Code, ExcerptCode
from realist.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from realist.services.codes import (
    add_code,
    conflict_guard,
    delete_code,
    edit_code,
    get_code,
    list_codes,
    merge_codes,
    move_code,
    rename_code,
)
from realist.services.context import Actor, Workspace
from realist.services.excerpts import list_excerpts
from tests.factories_coding import attach_pages, code_phrase, demo_copy, seed_codes


@pytest.fixture
def demo_ws(tmp_path: Path) -> Workspace:
    """The example review as LLJ (conftest's fixture, copied from a template to save time)."""
    return demo_copy(tmp_path)


def paths(ws: Workspace) -> list[str]:
    return [c.path for c in list_codes(ws)]


def test_tree_is_listed_depth_first_with_paths_and_origins(demo_ws: Workspace) -> None:
    seed_codes(demo_ws)
    codes = list_codes(demo_ws)
    assert [c.path for c in codes] == [
        "Values",
        "Values > Equity as core",
        "Resources",
        "Resources > Time",
        "Resources > Training",
        "Data",
    ]
    assert [c.depth for c in codes] == [0, 1, 0, 1, 1, 0]
    by_path = {c.path: c for c in codes}
    assert by_path["Resources > Time"].origin == "deductive"
    assert by_path["Resources > Training"].origin == "inductive"
    assert by_path["Resources"].children == (
        by_path["Resources > Time"].id,
        by_path["Resources > Training"].id,
    )


def test_codes_are_found_by_path_name_or_id(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    add_code(demo_ws, "Time", parent_id=ids["Data"])  # a second "Time", elsewhere
    assert get_code(demo_ws, "Resources > Time").id == ids["Time"]
    assert get_code(demo_ws, "resources > time").id == ids["Time"]
    assert get_code(demo_ws, f"#{ids['Training']}").name == "Training"
    assert get_code(demo_ws, "Training").id == ids["Training"]  # unique name
    with pytest.raises(InvalidInputError, match="2 codes are named 'Time'"):
        get_code(demo_ws, "Time")
    with pytest.raises(NotFoundError, match="no code 'Staffing'"):
        get_code(demo_ws, "Staffing")


def test_sibling_names_are_unique_and_names_are_checked(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    with pytest.raises(InvalidInputError, match="already exists under 'Resources'"):
        add_code(demo_ws, "time", parent_id=ids["Resources"])
    add_code(demo_ws, "Time")  # same name at another level is fine
    with pytest.raises(InvalidInputError, match="separates the levels"):
        add_code(demo_ws, "Staff > Time")
    with pytest.raises(InvalidInputError, match="needs a name"):
        add_code(demo_ws, "   ")
    with pytest.raises(InvalidInputError, match="origin must be one of"):
        add_code(demo_ws, "X", origin="abductive")
    assert add_code(demo_ws, "  Two   words ").name == "Two words"


def test_rename_and_describe(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    info = rename_code(demo_ws, ids["Time"], "Protected time")
    assert info.path == "Resources > Protected time"
    with pytest.raises(InvalidInputError, match="already exists"):
        rename_code(demo_ws, ids["Training"], "protected time")
    info = edit_code(demo_ws, ids["Time"], description="Time set aside", origin="inductive")
    assert (info.description, info.origin) == ("Time set aside", "inductive")
    assert edit_code(demo_ws, ids["Time"], description="").description is None


def test_move_keeps_the_subtree_and_refuses_cycles(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    moved = move_code(demo_ws, ids["Resources"], ids["Values"])
    assert moved.path == "Values > Resources"
    assert "Values > Resources > Time" in paths(demo_ws)
    with pytest.raises(InvalidInputError, match="cannot sit below itself"):
        move_code(demo_ws, ids["Values"], ids["Time"])
    with pytest.raises(InvalidInputError, match="cannot sit below itself"):
        move_code(demo_ws, ids["Values"], ids["Values"])
    assert move_code(demo_ws, ids["Resources"], None).path == "Resources"
    add_code(demo_ws, "Time")
    with pytest.raises(InvalidInputError, match="already exists at the top level"):
        move_code(demo_ws, ids["Time"], None)


def test_merge_moves_excerpts_without_duplicates_and_adopts_children(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    both = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Time"], ids["Training"]])
    only = code_phrase(demo_ws, doc, "Without training", [ids["Training"]])
    sub = add_code(demo_ws, "On the job", parent_id=ids["Training"])
    result = merge_codes(demo_ws, ids["Training"], ids["Time"])
    assert result.excerpts_moved == 2 and result.children_moved == 1
    assert result.source_path == "Resources > Training"
    assert "Resources > Time > On the job" in paths(demo_ws)
    assert get_code(demo_ws, sub.id).path == "Resources > Time > On the job"
    with demo_ws.store.read() as s:
        assert s.get(Code, ids["Training"]) is None
        rows = s.execute(select(ExcerptCode.excerpt_id, ExcerptCode.code_id)).all()
    assert sorted(rows) == sorted([(both.id, ids["Time"]), (only.id, ids["Time"])])
    with pytest.raises(InvalidInputError, match="sits below it"):
        merge_codes(demo_ws, ids["Resources"], ids["Time"])
    with pytest.raises(InvalidInputError, match="into itself"):
        merge_codes(demo_ws, ids["Time"], ids["Time"])


def test_delete_refuses_while_used_unless_recoded_and_lifts_children(
    demo_ws: Workspace, tmp_path: Path
) -> None:
    ids = seed_codes(demo_ws)
    doc = attach_pages(demo_ws, "24", tmp_path).document_id
    ex = code_phrase(demo_ws, doc, "Staff lacked protected time", [ids["Resources"]])
    with pytest.raises(InvalidInputError, match="used by 1 excerpt"):
        delete_code(demo_ws, ids["Resources"])
    assert "Resources" in paths(demo_ws)  # nothing changed
    result = delete_code(demo_ws, ids["Resources"], recode_to=ids["Data"])
    assert (result.recoded, result.children_lifted) == (1, 2)
    assert paths(demo_ws) == ["Values", "Values > Equity as core", "Data", "Time", "Training"]
    assert [e.id for e in list_excerpts(demo_ws, code_id=ids["Data"])] == [ex.id]
    assert delete_code(demo_ws, ids["Training"]).recoded == 0


def test_stale_versions_raise_conflict_and_change_nothing(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    seen = get_code(demo_ws, ids["Time"])
    rename_code(demo_ws, ids["Time"], "Staff time", expected_version=seen.version)
    with pytest.raises(ConflictError, match="changed by someone else"):
        rename_code(demo_ws, ids["Time"], "Clinic time", expected_version=seen.version)
    with pytest.raises(ConflictError):
        move_code(demo_ws, ids["Time"], None, expected_version=seen.version)
    with pytest.raises(ConflictError):
        delete_code(demo_ws, ids["Time"], expected_version=seen.version)
    assert get_code(demo_ws, ids["Time"]).path == "Resources > Staff time"


def test_roles(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    observer = demo_ws.with_actor(
        Actor(demo_ws.actor.id if demo_ws.actor else 0, "OBS", "observer")
    )
    with pytest.raises(PermissionDeniedError, match="may not add codes"):
        add_code(observer, "X")
    coder = demo_ws.with_actor(Actor(demo_ws.actor.id if demo_ws.actor else 0, "COD", "coder"))
    add_code(coder, "Inductive idea")
    with pytest.raises(PermissionDeniedError, match="may not merge codes"):
        merge_codes(coder, ids["Time"], ids["Training"])
    with demo_ws.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Code)) == 7


def test_a_concurrent_write_during_the_save_is_a_conflict_too(demo_ws: Workspace) -> None:
    ids = seed_codes(demo_ws)
    with (
        pytest.raises(ConflictError, match="while you were saving"),
        conflict_guard("code #1"),
        demo_ws.store.transaction() as s,
    ):
        code = s.get(Code, ids["Time"])
        assert code is not None
        # Another session commits a change between our read and our write.
        s.execute(
            update(Code)
            .where(Code.id == code.id)
            .values(version_id=Code.version_id + 1)
            .execution_options(synchronize_session=False)
        )
        code.name = "Clinic time"
        s.flush()
    assert get_code(demo_ws, ids["Time"]).name == "Time"
