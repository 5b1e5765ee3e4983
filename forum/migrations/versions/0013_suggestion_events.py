"""suggestion events, daily counts and opt-outs (issue 13: suggestion quality measured in production)

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29 13:05:20.315598

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def _exists(name: str) -> bool:
    """A database made by this version's create_all (stamped at 0001) already has the table."""
    return name in sa.inspect(op.get_bind()).get_table_names()


def upgrade():
    if _exists('suggestion_events'):
        return
    op.create_table('suggestion_daily',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_daily')),
    sa.UniqueConstraint('day', 'kind', 'rank', name=op.f('uq_suggestion_daily_day'))
    )
    op.create_table('suggestion_opt_outs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_suggestion_opt_outs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_suggestion_opt_outs'))
    )
    op.create_table('suggestion_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('session', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('new_thread_id', sa.Integer(), nullable=True),
    sa.Column('draft_digest', sa.String(length=32), nullable=False),
    sa.Column('draft_length', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['new_thread_id'], ['threads.id'], name=op.f('fk_suggestion_events_new_thread_id_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_suggestion_events_thread_id_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_suggestion_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_events'))
    )
    with op.batch_alter_table('suggestion_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_events_new_thread_id'), ['new_thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_events_session'), ['session'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_events_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_events_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('suggestion_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_events_thread_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_events_session'))
        batch_op.drop_index(batch_op.f('ix_suggestion_events_new_thread_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_events_created_at'))

    op.drop_table('suggestion_events')
    op.drop_table('suggestion_opt_outs')
    op.drop_table('suggestion_daily')
