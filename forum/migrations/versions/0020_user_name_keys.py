"""users.username_key and users.display_key: look-alike keys of names, indexed (issue 12);
usernames and e-mail addresses stored lowercase

Checking that a new name does not pass for another member's read and folded every
member's names; the keys make it one indexed lookup. The columns start NULL: `init`
fills them (forum.accounts.refresh_name_keys), and until then the check folds NULL rows
itself, so nothing is missed in between.

Usernames and addresses were looked up as lower(column), which no index serves (every
sign-in read the whole table); they are now stored lowercase (Python's lower(), as the
app compares them) and compared as they are. Only imported authors' names had capitals.

Revision ID: 0020
Revises: 0019h9
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019h9'
branch_labels = None
depends_on = None


def upgrade():
    _lowercase_names()
    if 'username_key' in {c['name'] for c in sa.inspect(op.get_bind()).get_columns('users')}:
        return  # made by this version's create_all
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('display_key', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_username_key'), ['username_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_display_key'), ['display_key'], unique=False)


def _lowercase_names():
    """Lowercase usernames and addresses (a value whose lowercase is another row's is left)."""
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('username', sa.String),
                     sa.column('email', sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.username, users.c.email)).all()
    taken = {'username': {r.username for r in rows}, 'email': {r.email for r in rows}}
    for row in rows:
        values = {}
        for field in ('username', 'email'):
            value = getattr(row, field)
            if value and value != value.lower() and value.lower() not in taken[field]:
                values[field] = value.lower()
                taken[field].add(values[field])
        if values:
            bind.execute(users.update().where(users.c.id == row.id).values(**values))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_display_key'))
        batch_op.drop_index(batch_op.f('ix_users_username_key'))
        batch_op.drop_column('display_key')
        batch_op.drop_column('username_key')
