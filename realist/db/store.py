"""The unit of work: one transaction per user action, rolled back whole on any error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from realist.db.engine import is_sqlite, make_engine, resolve_url, sqlite_path


class SchemaMissingError(RuntimeError):
    """The database has no Realist Workbench schema (run `realist init`)."""


class Store:
    """A handle on one review database.

    `transaction()` is the only way services write: everything inside commits together or not at
    all. `read()` is for queries that change nothing.
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.url = resolve_url(url) if engine is None else str(engine.url)
        self.engine = engine if engine is not None else make_engine(self.url)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        reader_engine = self.engine.execution_options(sqlite_deferred=True)
        self._reader = sessionmaker(reader_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any exception."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; anything written is rolled back."""
        with self._reader() as session:
            try:
                yield session
            finally:
                session.rollback()

    def has_schema(self) -> bool:
        """Whether the tables exist (the database was initialised).

        A SQLite file that does not exist has none, and asking must not create it: a mistyped
        `--db` would otherwise leave an empty database file behind.
        """
        path = sqlite_path(self.url)
        if path is not None and not path.exists():
            return False
        return inspect(self.engine).has_table("reviews")

    def require_schema(self) -> None:
        if not self.has_schema():
            raise SchemaMissingError(
                f"no review database at {self.display_url()}; create one with `realist init` "
                "or try the example with `realist demo`"
            )

    def display_url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()
