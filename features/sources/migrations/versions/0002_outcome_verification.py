"""The baseline fit behind a verified outcome: a nullable JSON column ``verification``.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reported_outcomes", sa.Column("verification", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reported_outcomes") as batch:  # SQLite drops columns by copy
        batch.drop_column("verification")
