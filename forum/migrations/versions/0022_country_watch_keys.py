"""watches: a country watch stores the country's key

Country watches were matched as lower(value), which SQL lowercases in ASCII only: a
watch typed "TÜRKIYE" missed threads in "Türkiye", and the same country typed twice in
two cases made two watches. A country watch now stores forum.names.place_key of what
was typed (case folded, spaces collapsed) and is matched as stored; here the existing
ones are rewritten, and a member's watches of one country in several spellings become
one (kept watching if any of them was).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 02:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    watches = sa.table('watches', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer),
                       sa.column('kind', sa.String), sa.column('value', sa.String),
                       sa.column('level', sa.String))
    rows = bind.execute(sa.select(watches.c.id, watches.c.user_id, watches.c.value,
                                  watches.c.level)
                        .where(watches.c.kind == 'country').order_by(watches.c.id)).all()
    groups = {}  # (user id, key) -> that member's watches of the country
    for row in rows:
        # The rule of forum.names.place_key, copied so that this migration keeps doing
        # what it did when the app changes.
        key = " ".join((row.value or "").split()).casefold()[:100]
        groups.setdefault((row.user_id, key), []).append(row)
    for (_, key), group in groups.items():
        # Keep the row already spelled as the key (the unique constraint forbids a second).
        keep = next((row for row in group if row.value == key), group[0])
        for row in group:
            if row is not keep:
                bind.execute(watches.delete().where(watches.c.id == row.id))
        level = 'watching' if any(row.level == 'watching' for row in group) else keep.level
        if (keep.value, keep.level) != (key, level):
            bind.execute(watches.update().where(watches.c.id == keep.id)
                         .values(value=key, level=level))


def downgrade():
    pass  # the keys are valid values of the old scheme
