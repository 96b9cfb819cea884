"""Alembic migrations for the review database (run through `realist.db.migrate`)."""
