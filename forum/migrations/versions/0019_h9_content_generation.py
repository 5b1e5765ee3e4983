"""content generation: one counter row that read caches key on (issue 9: read pages fast)

Revision ID: 0019h9
Revises: 0014
Create Date: 2026-12-07 11:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019h9'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    if 'content_generation' in sa.inspect(op.get_bind()).get_table_names():
        return  # made by this version's create_all (which also inserts the row)
    table = op.create_table('content_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_generation'))
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade():
    op.drop_table('content_generation')
