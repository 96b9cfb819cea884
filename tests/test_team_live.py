"""Several sessions on one review see each other's progress: the change mark moves with every
commit, and the home screen recounts on its own after the refresh interval."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from textual.widgets import Static

from realist.db.store import Store
from realist.errors import NotFoundError
from realist.services import live, screening
from realist.services.context import Workspace
from tests.factories_team import as_reviewer, setup_review
from tui.app import RealistApp
from tui.screens.home import HomeScreen

TA = "title_abstract"


@pytest.fixture
def two_sessions(db_url: str) -> Iterator[tuple[Workspace, Workspace]]:
    """Reviewer A and reviewer B, each with their own store (connection pool) on one review."""
    owner = Store(db_url)
    lead = setup_review(owner, records=5)
    a_store, b_store = Store(db_url), Store(db_url)
    yield as_reviewer(a_store, lead.review_id, "A"), as_reviewer(b_store, lead.review_id, "B")
    for st in (owner, a_store, b_store):
        st.dispose()


def records_of(ws: Workspace) -> list[int]:
    with ws.store.read() as s:
        return list(s.scalars(text("SELECT id FROM records ORDER BY id")))


def test_the_change_mark_moves_with_every_commit_of_any_session(
    two_sessions: tuple[Workspace, Workspace],
) -> None:
    a, b = two_sessions
    watcher = live.Watcher(a)
    assert watcher.changed() is False  # the first look only primes
    assert watcher.changed() is False
    rec = records_of(a)
    screening.decide(b, rec[0], TA, "include")
    assert watcher.changed() is True
    assert watcher.changed() is False
    screening.toggle_tag(b, rec[0], "race", TA)
    assert watcher.changed() is True
    # A refused action commits nothing and moves nothing.
    with pytest.raises(NotFoundError, match="no record"):
        screening.decide(b, 10_000_000, TA, "include")
    assert watcher.changed() is False


def status_of(app: RealistApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


def prisma_of(app: RealistApp) -> str:
    return str(app.screen.query_one("#prisma", Static).render())


async def test_home_screen_shows_another_sessions_decisions_without_restarting(
    two_sessions: tuple[Workspace, Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two_sessions
    monkeypatch.setattr(HomeScreen, "REFRESH_SECONDS", 0.1)
    rec = records_of(a)
    app = RealistApp(a)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert re.search(r"Decisions\s+0\b", status_of(app))
        assert "screened 0" in prisma_of(app)
        # B, in another session, screens two records.
        screening.decide(b, rec[0], TA, "include")
        screening.decide(b, rec[1], TA, "exclude")
        await pilot.pause(0.5)
        assert re.search(r"Decisions\s+2\b", status_of(app)), status_of(app)
        assert "screened 2" in prisma_of(app) and "excluded 1" in prisma_of(app)
        # ... and A's own progress line follows A's decisions made elsewhere (another terminal).
        other_a = as_reviewer(Store(a.store.url), a.review_id, "A")
        screening.decide(other_a, rec[2], TA, "maybe")
        other_a.store.dispose()
        await pilot.pause(0.5)
        assert re.search(r"A: title/abstract 1/5", prisma_of(app)), prisma_of(app)


async def test_screening_screen_shows_another_reviewers_decision_on_the_record_in_view(
    two_sessions: tuple[Workspace, Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.screens.screening import ScreeningScreen, screening_screen

    a, b = two_sessions
    monkeypatch.setattr(live, "REFRESH_SECONDS", 0.1)
    rec = records_of(a)
    app = RealistApp(a)
    async with app.run_test(size=(140, 45)) as pilot:
        app.push_screen(screening_screen(a, TA, record_id=rec[0]))
        await pilot.pause()
        assert isinstance(app.screen, ScreeningScreen)
        record = str(app.screen.query_one("#record", Static).render())
        assert "Your decision none yet" in record and "B exclude" not in record
        screening.decide(b, rec[0], TA, "exclude", note="wrong population")
        await pilot.pause(0.5)
        record = str(app.screen.query_one("#record", Static).render())
        assert "B exclude · wrong population" in record, record
