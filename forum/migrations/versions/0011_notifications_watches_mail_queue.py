"""notifications, watches, mail queue (issue 11)

Notifications stop storing text with thread titles in it: they reference the thread and
post and are rendered when read. Existing rows are converted: the notices the forum wrote
before (flag outcomes, hidden and visible posts and threads, duplicates) become their
structured kinds; anything else stays a "notice" whose text shows only while its thread
(if any) is visible to the member.

Revision ID: 0011
Revises: 0002
Create Date: 2026-11-29 12:49:15.234929

"""
import re

import sqlalchemy as sa
from alembic import op

# The texts of forum/audit.notify before issue 11: (kind, pattern); "detail" is kept.
LEGACY = [
    ("post_auto_hidden", r"Your post in “.*” is hidden until a moderator reviews the flags on it\."),
    ("post_hidden", r"Your post in “.*” was hidden by a moderator: (?P<detail>.*)"),
    ("post_visible", r"Your post in “.*” is visible again\."),
    ("thread_hidden", r"Your thread “.*” was hidden by a moderator: (?P<detail>.*)"),
    ("thread_visible", r"Your thread “.*” is visible again\."),
    ("flag_outcome", r"Thank you for your flag in “.*”: (?P<detail>.*)\."),
    ("duplicate", r"Your thread “.*” was closed as a duplicate of “.*”\."),
]
_URL = re.compile(r"^/threads/(\d+)(?:#post-(\d+))?$")

notifications = sa.table(
    "notifications", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer),
    sa.column("text", sa.String), sa.column("url", sa.String), sa.column("kind", sa.String),
    sa.column("thread_id", sa.Integer), sa.column("post_id", sa.Integer),
    sa.column("detail", sa.String))
threads = sa.table("threads", sa.column("id", sa.Integer), sa.column("author_id", sa.Integer),
                   sa.column("duplicate_of_id", sa.Integer))
posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("thread_id", sa.Integer))


def _exists(conn, table, row_id):
    return row_id is not None and conn.execute(
        sa.select(table.c.id).where(table.c.id == row_id)).first() is not None


def _convert(conn, row):
    """The structured values for one pre-issue-11 notification."""
    match = _URL.match(row.url or "")
    thread_id = int(match.group(1)) if match else None
    post_id = int(match.group(2)) if match and match.group(2) else None
    if thread_id is not None and not _exists(conn, threads, thread_id):
        return None  # its text names a thread nobody can check any more: not kept
    post_id = post_id if _exists(conn, posts, post_id) else None
    for kind, pattern in LEGACY:
        found = re.fullmatch(pattern, row.text or "", re.DOTALL)
        if found is None or thread_id is None:
            continue
        if kind == "duplicate":
            # The old link pointed at the original; the new kind names the member's thread.
            mine = conn.execute(sa.select(threads.c.id).where(
                threads.c.duplicate_of_id == thread_id,
                threads.c.author_id == row.user_id)).scalars().all()
            if len(mine) != 1:
                break
            thread_id, post_id = mine[0], None
        return {"kind": kind, "thread_id": thread_id, "post_id": post_id,
                "detail": (found.groupdict().get("detail") or "")[:1000]}
    return {"kind": "notice", "thread_id": thread_id, "post_id": post_id,
            "detail": (row.text or "")[:1000]}


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('digest_subscriptions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_digest_subscriptions'))
    )
    op.create_table('notification_prefs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('setting', sa.String(length=32), nullable=False),
    sa.Column('web', sa.Boolean(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_prefs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'setting', name=op.f('pk_notification_prefs'))
    )
    op.create_table('watches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_watches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watches')),
    sa.UniqueConstraint('user_id', 'kind', 'value', name='uq_watches_user_target')
    )
    with op.batch_alter_table('watches', schema=None) as batch_op:
        batch_op.create_index('ix_watches_target', ['kind', 'value'], unique=False)

    op.create_table('thread_reads',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('first_read_at', sa.DateTime(), nullable=False),
    sa.Column('last_read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_reads_thread_id_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_thread_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'thread_id', name=op.f('pk_thread_reads'))
    )
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_reads_thread_id'), ['thread_id'], unique=False)

    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('dedup_key', sa.String(length=100), nullable=True),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_mail_outbox_notification_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_mail_outbox_dedup_key'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_outbox_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=False, server_default='notice'))
        batch_op.add_column(sa.Column('thread_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('actor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('detail', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('web', sa.Boolean(), nullable=False, server_default=sa.true()))

    conn = op.get_bind()
    for row in conn.execute(sa.select(notifications.c.id, notifications.c.user_id,
                                      notifications.c.text, notifications.c.url)).all():
        values = _convert(conn, row)
        where = notifications.c.id == row.id
        conn.execute(notifications.delete().where(where) if values is None
                     else notifications.update().where(where).values(**values))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.alter_column('detail', server_default=None)
        batch_op.alter_column('web', server_default=None)
        batch_op.create_index(batch_op.f('ix_notifications_thread_id'), ['thread_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_post_id_posts'), 'posts', ['post_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_notifications_actor_id_users'), 'users', ['actor_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_notifications_thread_id_threads'), 'threads', ['thread_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('text')
        batch_op.drop_column('url')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_posts_reply_to_id_posts'), 'posts', ['reply_to_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_reply_to_id_posts'), type_='foreignkey')
        batch_op.drop_column('reply_to_id')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('url', sa.VARCHAR(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('text', sa.VARCHAR(length=1000), nullable=False, server_default=''))
    # Going back loses the kinds: each row keeps its detail (or its kind) and its link.
    conn = op.get_bind()
    for row in conn.execute(sa.select(notifications.c.id, notifications.c.kind,
                                      notifications.c.detail, notifications.c.thread_id,
                                      notifications.c.post_id)).all():
        url = f"/threads/{row.thread_id}" if row.thread_id else ""
        url += f"#post-{row.post_id}" if url and row.post_id else ""
        conn.execute(notifications.update().where(notifications.c.id == row.id)
                     .values(text=row.detail or row.kind.replace("_", " "), url=url))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('url', server_default=None)
        batch_op.alter_column('text', server_default=None)
        batch_op.drop_constraint(batch_op.f('fk_notifications_thread_id_threads'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_notifications_actor_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_notifications_post_id_posts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notifications_thread_id'))
        batch_op.drop_column('web')
        batch_op.drop_column('detail')
        batch_op.drop_column('actor_id')
        batch_op.drop_column('post_id')
        batch_op.drop_column('thread_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_user_id'))
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_reads_thread_id'))

    op.drop_table('thread_reads')
    with op.batch_alter_table('watches', schema=None) as batch_op:
        batch_op.drop_index('ix_watches_target')

    op.drop_table('watches')
    op.drop_table('notification_prefs')
    op.drop_table('digest_subscriptions')
