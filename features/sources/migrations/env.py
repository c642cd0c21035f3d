"""Alembic environment of the outcomes store: runs the migrations online against the URL the
caller set (``features.sources.outcome_store.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine


def run() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no sqlalchemy.url set for the outcomes store migrations")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table="outcomes_alembic_version")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
