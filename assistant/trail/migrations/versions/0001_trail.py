"""The audit trail: one record per answer, summary or admin action, with its citations.

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
        "records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column("user_name", sa.String(256)),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("groups", sa.JSON, nullable=False),
        sa.Column("question", sa.Text),
        sa.Column("answer", sa.Text),
        sa.Column("refused", sa.Boolean),
        sa.Column("mode", sa.String(16)),
        sa.Column("model", sa.String(256)),
        sa.Column("endpoint", sa.String(512)),
        sa.Column("timings", sa.JSON, nullable=False),
        sa.Column("action", sa.String(64)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_table(
        "citations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "record_id",
            sa.Integer,
            sa.ForeignKey("records.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("doc_id", sa.String(64), nullable=False, index=True),
        sa.Column("file", sa.String(512), nullable=False),
        sa.Column("title", sa.String(512)),
        sa.Column("page", sa.Integer),
        sa.Column("heading", sa.Text),
        sa.Column("chunk_id", sa.String(64), nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("citations")
    op.drop_table("records")
