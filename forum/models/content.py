"""Categories, threads, tags, posts and their revisions."""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import keeps_country_key, utcnow
from .users import Group, User

KINDS = ("question", "experience")
STATUSES = ("open", "solved", "closed")
VISIBILITIES = ("public", "members", "group")

thread_tags = Table(
    "thread_tags",
    db.metadata,
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Category(db.Model):
    """A theme; its visibility decides who may read the threads in it."""

    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("groups.id"))
    position: Mapped[int] = mapped_column(default=0)

    group: Mapped[Optional[Group]] = relationship()
    threads: Mapped[list["Thread"]] = relationship(back_populates="category")

    @property
    def visibility_label(self) -> str:
        """Human words for the visibility."""
        if self.visibility == "group" and self.group is not None:
            return f"group: {self.group.name}"
        return self.visibility

    def __repr__(self) -> str:
        return f"<Category {self.name}>"


class Tag(db.Model):
    """A free label on threads, lowercase and hyphenated."""

    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, index=True)


@keeps_country_key
class Thread(db.Model):
    """A question or an experience, opened by its first post."""

    __tablename__ = "threads"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="question")
    country: Mapped[str] = mapped_column(String(100), default="", index=True)
    country_key: Mapped[str] = mapped_column(Text, default="", index=True)  # keeps_country_key
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    external_id: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reply_count: Mapped[int] = mapped_column(default=0)
    # Moderation state
    is_hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    deleted_at: Mapped[Optional[datetime]] = mapped_column()
    pinned_scope: Mapped[Optional[str]] = mapped_column(String(16))  # "category" | "site"
    pinned_until: Mapped[Optional[datetime]] = mapped_column()
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("threads.id"))
    accepted_post_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("posts.id", use_alter=True, ondelete="SET NULL")
    )
    # When the answer was accepted in the forum (None for archive imports): follow-ups ask
    # the asker whether it worked some time after this (issue 10).
    accepted_at: Mapped[Optional[datetime]] = mapped_column()

    category: Mapped[Category] = relationship(back_populates="threads")
    author: Mapped[User] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=thread_tags, order_by="Tag.name")
    posts: Mapped[list["Post"]] = relationship(
        back_populates="thread", foreign_keys="Post.thread_id", order_by="Post.id"
    )
    # The first post alone, so lists of threads can preload bodies without every reply.
    opening: Mapped[Optional["Post"]] = relationship(
        primaryjoin="and_(Post.thread_id == Thread.id, Post.is_opening.is_(True))",
        viewonly=True, uselist=False,
    )
    accepted_post: Mapped[Optional["Post"]] = relationship(foreign_keys=[accepted_post_id])
    duplicate_of: Mapped[Optional["Thread"]] = relationship(remote_side=[id])

    @property
    def opening_post(self) -> Optional["Post"]:
        """The first post, which carries the thread's body."""
        if "posts" not in inspect(self).unloaded:  # loaded (or being built): no query
            return self.posts[0] if self.posts else None
        return self.opening

    @property
    def is_deleted(self) -> bool:
        """Soft-deleted threads stay in the database for moderators."""
        return self.deleted_at is not None

    @property
    def is_pinned(self) -> bool:
        """Pinned now (an expired pin no longer counts)."""
        return self.pinned_scope is not None and (
            self.pinned_until is None or self.pinned_until > utcnow()
        )

    @property
    def tag_names(self) -> list[str]:
        """Tag names in order."""
        return [t.name for t in self.tags]

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title[:30]!r}>"


class Post(db.Model):
    """A Markdown post; edits keep revisions, deletes are soft."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    is_opening: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column()
    deleted_at: Mapped[Optional[datetime]] = mapped_column()
    deleted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    is_hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    # The post this one answers ("Reply" or "Quote" on a post): its author is notified.
    reply_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship(back_populates="posts", foreign_keys=[thread_id])
    reply_to: Mapped[Optional["Post"]] = relationship(remote_side=[id], foreign_keys=[reply_to_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    revisions: Mapped[list["PostRevision"]] = relationship(
        back_populates="post", order_by="PostRevision.id", cascade="all, delete-orphan"
    )

    @property
    def is_deleted(self) -> bool:
        """Soft-deleted posts are restorable by moderators."""
        return self.deleted_at is not None


class PostRevision(db.Model):
    """An earlier version of a post (and of the thread title, for opening posts)."""

    __tablename__ = "post_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    title: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions")
    editor: Mapped[User] = relationship()


class Vote(db.Model):
    """One member's "helpful" mark on a post."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bookmark(db.Model):
    """A thread a member saved for later."""

    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[Thread] = relationship()
