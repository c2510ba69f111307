"""The live page a cited passage's document was mirrored from (web sources, SharePoint).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("citations") as batch:
        batch.add_column(sa.Column("url", sa.Text))  # None: a file from a folder, or older


def downgrade() -> None:
    with op.batch_alter_table("citations") as batch:
        batch.drop_column("url")
