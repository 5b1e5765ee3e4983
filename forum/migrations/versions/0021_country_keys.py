"""threads, adaptations and users: country_key, the country as compared, indexed

Country pages, country filters and digests compared lower(country), which no index
serves (every country page read the whole threads table) and which SQL lowercases in
ASCII only. The key (forum.names.place_key: case folded, spaces collapsed) is set on
every write of a row; here it is filled for the rows already there.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 00:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TABLES = ('threads', 'adaptations', 'users')
BATCH = 1000


def upgrade():
    bind = op.get_bind()
    for name in TABLES:
        if 'country_key' not in {c['name'] for c in sa.inspect(bind).get_columns(name)}:
            with op.batch_alter_table(name, schema=None) as batch_op:
                batch_op.add_column(sa.Column('country_key', sa.Text(), nullable=False,
                                              server_default=''))
                batch_op.create_index(batch_op.f(f'ix_{name}_country_key'), ['country_key'],
                                      unique=False)
        _fill(bind, name)


def _fill(bind, name):
    """The key of every row that has a country (the rules of forum.names.place_key, copied
    here so that this migration keeps doing what it did when the app changes)."""
    table = sa.table(name, sa.column('id', sa.Integer), sa.column('country', sa.String),
                     sa.column('country_key', sa.Text))
    last = 0
    while True:
        rows = bind.execute(sa.select(table.c.id, table.c.country, table.c.country_key)
                            .where(table.c.id > last, table.c.country != '')
                            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            key = " ".join((row.country or "").split()).casefold()
            if key != row.country_key:
                bind.execute(table.update().where(table.c.id == row.id).values(country_key=key))
        last = rows[-1].id


def downgrade():
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_country_key'))
            batch_op.drop_column('country_key')
