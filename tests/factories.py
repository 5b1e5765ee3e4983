"""Explicit test factories: plain functions that add rows and commit (call inside an app context)."""
from typing import Optional

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from forum.extensions import db
from forum.models import (
    Adaptation, Bookmark, Category, ExperienceDetails, FeaturedPractice, Group, Post, Tag,
    Thread, User, Vote,
)
from forum.models._base import utcnow
from forum.threads.importer import slugify

PASSWORD = "correct-horse-42"


def make_user(name: str, role: str = "member", password: Optional[str] = PASSWORD, *,
              email: Optional[str] = None, placeholder: bool = False, **profile) -> User:
    """A member (or a placeholder, which has no password and cannot log in)."""
    user = User(username=name, email=email, role=role, is_placeholder=placeholder, **profile)
    if password and not placeholder:
        # Tests only: a cheap hash; the app itself always uses scrypt (User.set_password).
        user.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
    db.session.add(user)
    db.session.commit()
    return user


def make_group(name: str, members=()) -> Group:
    """A group with these members."""
    group = Group(name=name, members=list(members))
    db.session.add(group)
    db.session.commit()
    return group


def make_category(name: str, visibility: str = "public", group: Optional[Group] = None) -> Category:
    """A category; visibility is public, members or group (then pass the group)."""
    category = Category(name=name, slug=slugify(name), visibility=visibility, group=group)
    db.session.add(category)
    db.session.commit()
    return category


def make_thread(author: User, category: Category, title: str = "How did you set up a pooled fund?",
                body: str = "We are starting one next year.", *, kind: str = "question",
                country: str = "", tags=(), hidden: bool = False, deleted: bool = False,
                **fields) -> Thread:
    """A thread with its opening post, bypassing the services' permission checks."""
    thread = Thread(title=title, kind=kind, country=country, category=category, author=author,
                    is_hidden=hidden, tags=[_tag(t) for t in tags], **fields)
    thread.posts.append(Post(body=body, author=author, is_opening=True))
    if deleted:
        thread.deleted_at = thread.posts[0].deleted_at = utcnow()
    db.session.add(thread)
    db.session.commit()
    return thread


def make_reply(author: User, thread: Thread, body: str = "Here is what we did.", *,
               hidden: bool = False, deleted: bool = False, accepted: bool = False) -> Post:
    """A reply; `accepted` marks it as the thread's accepted answer."""
    post = Post(body=body, author=author, thread=thread, is_hidden=hidden,
                deleted_at=utcnow() if deleted else None)
    db.session.add(post)
    thread.reply_count = (thread.reply_count or 0) + (0 if deleted else 1)
    db.session.flush()
    if accepted:
        thread.accepted_post_id, thread.status = post.id, "solved"
    db.session.commit()
    return post


def make_vote(user: User, post: Post) -> Vote:
    """A helpful vote by `user` on `post`."""
    vote = Vote(user_id=user.id, post_id=post.id)
    db.session.add(vote)
    db.session.commit()
    return vote


def make_bookmark(user: User, thread: Thread) -> Bookmark:
    """`user` saves `thread`."""
    bookmark = Bookmark(user_id=user.id, thread=thread)
    db.session.add(bookmark)
    db.session.commit()
    return bookmark


def make_featured(thread: Thread, by: User, summary: str = "What worked, in short.") -> FeaturedPractice:
    """Feature `thread` in the practice library."""
    practice = FeaturedPractice(thread=thread, featured_by=by, summary=summary)
    db.session.add(practice)
    db.session.commit()
    return practice


def make_experience(thread: Thread, outcome: Optional[str] = "worked", *, theme: str = "",
                    start_year: Optional[int] = None, end_year: Optional[int] = None,
                    **fields) -> ExperienceDetails:
    """Structured details on an experience thread (no revision: the services make those)."""
    period = fields.pop("period", "" if start_year is None else
                        f"{start_year}" + (f"-{end_year}" if end_year else ""))
    details = ExperienceDetails(thread=thread, outcome=outcome, theme=theme, period=period,
                                start_year=start_year, end_year=end_year, **fields)
    db.session.add(details)
    db.session.commit()
    return details


def make_adaptation(thread: Thread, user: User, country: str = "Kenya",
                    outcome: Optional[str] = None, **fields) -> Adaptation:
    """`user`'s team adapted `thread` in `country`."""
    adaptation = Adaptation(thread_id=thread.id, user_id=user.id, country=country,
                            outcome=outcome, **fields)
    db.session.add(adaptation)
    db.session.commit()
    return adaptation


def _tag(name: str) -> Tag:
    return db.session.scalar(select(Tag).where(Tag.name == name)) or Tag(name=name)
