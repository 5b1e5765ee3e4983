"""Accounts, roles and groups."""
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..names import name_key
from ._base import keeps_country_key, utcnow

ROLES = ("member", "moderator", "admin")

group_members = Table(
    "group_members",
    db.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


@keeps_country_key
class User(UserMixin, db.Model):
    """A member of the forum; placeholders (imported authors) cannot log in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    email: Mapped[Optional[str]] = mapped_column(String(254), unique=True)
    # An address waiting for its confirmation link (auth.confirm); not unique, not used.
    pending_email: Mapped[Optional[str]] = mapped_column(String(254))
    password_hash: Mapped[Optional[str]] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    # The look-alike keys of both names (forum.names.name_key), set on every write of the row
    # and re-folded by `init` when the folding data changes: checking that a new name does not
    # pass for another member's is one indexed lookup, not a pass over every member. NULL on
    # rows written before the columns existed, until `init` runs (accounts folds those itself).
    username_key: Mapped[Optional[str]] = mapped_column(Text, index=True)
    display_key: Mapped[Optional[str]] = mapped_column(Text, index=True)
    country: Mapped[str] = mapped_column(String(100), default="")
    country_key: Mapped[str] = mapped_column(Text, default="", index=True)  # keeps_country_key
    organisation: Mapped[str] = mapped_column(String(150), default="")
    expertise: Mapped[str] = mapped_column(String(300), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(String(16), default="member")
    is_placeholder: Mapped[bool] = mapped_column(default=False)
    suspended_until: Mapped[Optional[datetime]] = mapped_column()
    suspended_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    groups: Mapped[list["Group"]] = relationship(
        secondary=group_members, back_populates="members"
    )

    # The key of the login session this object was loaded for (auth.sessions sets it); a
    # plain attribute, never stored on the row.
    session_key = None
    # That session's row, when the object was loaded for it (the same request's last-seen note
    # reuses it).
    login_session = None
    # Rows compare as rows (the identity map), not by get_id() as UserMixin's would: the
    # same member loaded for two sessions is one member.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        """The login session's key: Flask-Login keeps it in the session and remember cookies."""
        if not self.session_key:
            # Security: without a server-side session row nothing could end this sign-in.
            raise RuntimeError("start a login session (auth.sessions.start) before login_user")
        return self.session_key

    @validates("username", "email", "pending_email")
    def _lowercase(self, key: str, value: Optional[str]) -> Optional[str]:
        """Stored lowercase, so sign-in, profiles and mentions find them by index, any case typed."""
        return value.lower() if isinstance(value, str) else value

    def set_password(self, password: str) -> None:
        """Hash the password with scrypt (werkzeug's default modern KDF)."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """True when the password matches; placeholders never match."""
        if self.is_placeholder or not self.password_hash:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def name(self) -> str:
        """The name shown on the page."""
        return self.display_name or self.username

    @property
    def is_moderator(self) -> bool:
        """Moderators and admins moderate."""
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        """Admins manage users, groups and categories."""
        return self.role == "admin"

    @property
    def is_suspended(self) -> bool:
        """True while a suspension is running."""
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def is_active(self) -> bool:
        """Placeholders cannot hold a session (Flask-Login checks this)."""
        return not self.is_placeholder

    def group_ids(self) -> set[int]:
        """Ids of the groups this user belongs to."""
        return {g.id for g in self.groups}

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Group(db.Model):
    """A set of members, e.g. a country team, that can own a restricted category."""

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    members: Mapped[list[User]] = relationship(
        secondary=group_members, back_populates="groups"
    )

    def __repr__(self) -> str:
        return f"<Group {self.name}>"


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _fold_names(mapper, connection, user: User) -> None:
    user.username_key = name_key(user.username)
    user.display_key = name_key(user.display_name or "")
