"""learning what works (issue 10): experience details, adaptations, follow-ups, consolidated
replies, and when an answer was accepted

Revision ID: 0010
Revises: 0013
Create Date: 2026-11-29 12:40:33.614370

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consolidated_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_consolidated_replies_published_by_id_users')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_consolidated_replies_started_by_id_users')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_consolidated_replies_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consolidated_replies')),
    sa.UniqueConstraint('thread_id', name=op.f('uq_consolidated_replies_thread_id'))
    )
    with op.batch_alter_table('consolidated_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consolidated_replies_published_at'), ['published_at'], unique=False)

    op.create_table('experience_details',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.Column('setting', sa.String(length=100), nullable=False),
    sa.Column('scale', sa.String(length=100), nullable=False),
    sa.Column('period', sa.String(length=100), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=True),
    sa.Column('end_year', sa.Integer(), nullable=True),
    sa.Column('tried', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('lessons', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_experience_details_thread_id_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_experience_details_updated_by_id_users')),
    sa.PrimaryKeyConstraint('thread_id', name=op.f('pk_experience_details'))
    )
    with op.batch_alter_table('experience_details', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_details_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_experience_details_start_year'), ['start_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_experience_details_theme'), ['theme'], unique=False)

    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_followups_thread_id_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_followups_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups')),
    sa.UniqueConstraint('user_id', 'subject', 'subject_id', name=op.f('uq_followups_user_id'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_user_id'), ['user_id'], unique=False)

    op.create_table('adaptations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=100), nullable=False),
    sa.Column('team', sa.String(length=150), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('adapted_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_adaptations_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_adaptations_thread_id_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_adaptations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adaptations')),
    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_adaptations_thread_id'))
    )
    with op.batch_alter_table('adaptations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adaptations_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_adaptations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_adaptations_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adaptations_user_id'), ['user_id'], unique=False)

    op.create_table('consolidated_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reply_id', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_consolidated_revisions_editor_id_users')),
    sa.ForeignKeyConstraint(['reply_id'], ['consolidated_replies.id'], name=op.f('fk_consolidated_revisions_reply_id_consolidated_replies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consolidated_revisions'))
    )
    with op.batch_alter_table('consolidated_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consolidated_revisions_reply_id'), ['reply_id'], unique=False)

    op.create_table('experience_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_experience_revisions_editor_id_users')),
    sa.ForeignKeyConstraint(['thread_id'], ['experience_details.thread_id'], name=op.f('fk_experience_revisions_thread_id_experience_details'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experience_revisions'))
    )
    with op.batch_alter_table('experience_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experience_revisions_thread_id'), ['thread_id'], unique=False)

    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_column('accepted_at')

    with op.batch_alter_table('experience_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_revisions_thread_id'))

    op.drop_table('experience_revisions')
    with op.batch_alter_table('consolidated_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consolidated_revisions_reply_id'))

    op.drop_table('consolidated_revisions')
    with op.batch_alter_table('adaptations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adaptations_user_id'))
        batch_op.drop_index(batch_op.f('ix_adaptations_thread_id'))
        batch_op.drop_index(batch_op.f('ix_adaptations_created_at'))
        batch_op.drop_index(batch_op.f('ix_adaptations_country'))

    op.drop_table('adaptations')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followups_user_id'))
        batch_op.drop_index(batch_op.f('ix_followups_thread_id'))

    op.drop_table('followups')
    with op.batch_alter_table('experience_details', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experience_details_theme'))
        batch_op.drop_index(batch_op.f('ix_experience_details_start_year'))
        batch_op.drop_index(batch_op.f('ix_experience_details_outcome'))

    op.drop_table('experience_details')
    with op.batch_alter_table('consolidated_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consolidated_replies_published_at'))

    op.drop_table('consolidated_replies')
