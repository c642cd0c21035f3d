"""The reported_outcomes table.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reported_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("factory_id", sa.String(128), nullable=False),
        sa.Column("measure_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("implemented_on", sa.Date, nullable=True),
        sa.Column("period_start", sa.Date, nullable=True),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("measured_savings", sa.JSON, nullable=False),
        sa.Column("annual_savings", sa.JSON, nullable=False),
        sa.Column("actual_capex", sa.Float, nullable=True),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reported_outcomes_factory_id", "reported_outcomes", ["factory_id"])
    op.create_index("ix_reported_outcomes_measure_id", "reported_outcomes", ["measure_id"])


def downgrade() -> None:
    op.drop_table("reported_outcomes")
