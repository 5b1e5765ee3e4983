"""site_state: named site-wide values; the first is the version of the name folding

`init` re-folded every member's name keys each time it ran (O(members), ~1.5 s at
100,000 members), only to catch a change of the folding rules or of the confusables
data. The version those keys were made with is now stored (forum.names.fold_version),
and `init` re-folds only when it differs or a key is missing.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 02:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_state',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('value', sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint('name', name=op.f('pk_site_state')))


def downgrade():
    op.drop_table('site_state')
