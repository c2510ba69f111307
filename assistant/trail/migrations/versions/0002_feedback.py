"""Feedback on answers and summaries; whether a question held personal data (masked).

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
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "record_id",
            sa.Integer,
            sa.ForeignKey("records.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),  # 1 thumbs up, 0 thumbs down
        sa.Column("reason", sa.String(32)),
        sa.Column("comment", sa.Text),
    )
    with op.batch_alter_table("records") as batch:
        batch.add_column(
            sa.Column("personal_data", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_column("personal_data")
    op.drop_table("feedback")
