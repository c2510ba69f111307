"""The tables as the code reads and writes them; the migrations create them.

A test compares this metadata with a migrated database, so the two cannot drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False, index=True),  # answer, summary, action
    sa.Column("user_id", sa.String(128), nullable=False, index=True),
    sa.Column("user_name", sa.String(256)),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("groups", sa.JSON, nullable=False),
    sa.Column("question", sa.Text),  # personal numbers masked
    sa.Column("answer", sa.Text),
    sa.Column("refused", sa.Boolean),
    sa.Column("mode", sa.String(16)),
    sa.Column("model", sa.String(256)),
    sa.Column("endpoint", sa.String(512)),
    sa.Column("timings", sa.JSON, nullable=False),
    sa.Column("action", sa.String(64)),  # sync, eval_run, export, audit_export, purge
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("personal_data", sa.Boolean, nullable=False, server_default=sa.false()),
)

citations = sa.Table(
    "citations",
    metadata,
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
    sa.Column("url", sa.Text),  # the live page of a document mirrored from a web source
)

feedback = sa.Table(
    "feedback",
    metadata,
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
