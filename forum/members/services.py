"""The member directory (by field and by meaning), country pages and members' records.

Security note: every count and every listed thread goes through permissions for the
viewer: a restricted thread's experience, accepted answer or adaptation never counts
towards a member's rank, a country's figures or a profile, for someone who may not see it.
"""
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import Adaptation, Category, Post, Thread, User
from ..names import place_key
from ..searching import similar_threads

RANK_THREADS = 30  # similar threads whose contributors are credited, per query
FIELD_MAX = 100


@dataclass
class MemberCard:
    """A member in the directory: their rank for the query, why, and plain counts."""

    user: User
    score: float = 0.0
    because: list = field(default_factory=list)  # (thread, "accepted answer" | …), best first
    counts: dict = field(default_factory=dict)


def _contains(column, value: str):
    return func.lower(column).contains(value.strip().lower()[:FIELD_MAX], autoescape=True)


def _field_filters(stmt, country: str, organisation: str, expertise: str):
    for column, value in ((User.country, country), (User.organisation, organisation),
                          (User.expertise, expertise)):
        if value.strip():
            stmt = stmt.where(_contains(column, value))
    return stmt


def members_page(viewer, page: int, per_page: int, country: str = "", organisation: str = "",
                 expertise: str = ""):
    """Members (not archive placeholders) matching the field filters, by name."""
    stmt = _field_filters(select(User).where(User.is_placeholder.is_(False)),
                          country, organisation, expertise)
    stmt = stmt.order_by(func.lower(func.coalesce(func.nullif(User.display_name, ""),
                                                  User.username)))
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    counts = contribution_counts(viewer, [u.id for u in pagination.items])
    cards = [MemberCard(u, counts=counts[u.id]) for u in pagination.items]
    return pagination, cards


def _credits(viewer, thread: Thread) -> list[tuple[int, str]]:
    """(member id, what they contributed) on a thread the viewer may see."""
    found = []
    answer = thread.accepted_post
    if answer is not None and not answer.is_deleted and permissions.can_view_post(viewer, answer):
        found.append((answer.author_id, "accepted answer"))
    opening = thread.opening_post
    if thread.kind == "experience" and opening is not None and not opening.is_deleted \
            and permissions.can_view_post(viewer, opening):
        found.append((thread.author_id, "shared this experience"))
    found.extend((a.user_id, "adapted it") for a in db.session.scalars(
        select(Adaptation).where(Adaptation.thread_id == thread.id)))
    return found


def rank_members(viewer, q: str, country: str = "", organisation: str = "",
                 expertise: str = "", limit: int = 20) -> list[MemberCard]:
    """Members ranked by how close their accepted answers, experiences and adaptations are to q.

    The threads come from similar_threads for the viewer, so only what the viewer may see
    is credited; each contribution adds its thread's closeness to the member's score.
    """
    scores: dict[int, float] = {}
    because: dict[int, list] = {}
    for hit in similar_threads(viewer, q, "", limit=RANK_THREADS):
        for user_id, what in _credits(viewer, hit.thread):
            scores[user_id] = scores.get(user_id, 0.0) + hit.score
            because.setdefault(user_id, []).append((hit.thread, what))
    if not scores:
        return []
    stmt = _field_filters(select(User).where(User.id.in_(scores), User.is_placeholder.is_(False)),
                          country, organisation, expertise)
    users = list(db.session.scalars(stmt))
    users.sort(key=lambda u: (-scores[u.id], u.name.lower()))
    users = users[:limit]
    counts = contribution_counts(viewer, [u.id for u in users])
    return [MemberCard(u, round(scores[u.id], 3), because[u.id][:5], counts[u.id]) for u in users]


def _by_user(stmt) -> dict[int, int]:
    return {uid: n for uid, n in db.session.execute(stmt)}


def contribution_counts(viewer, user_ids: list[int]) -> dict[int, dict]:
    """Experiences shared, accepted answers and adaptations per member, as the viewer sees them."""
    ids = list(user_ids)
    visible = permissions.visible_threads(viewer)
    shared = _by_user(visible.with_only_columns(Thread.author_id, func.count(Thread.id))
                      .where(Thread.kind == "experience", Thread.author_id.in_(ids))
                      .group_by(Thread.author_id))
    accepted = _by_user(visible.join(Post, Post.id == Thread.accepted_post_id)
                        .with_only_columns(Post.author_id, func.count(Post.id))
                        .where(Post.author_id.in_(ids), Post.deleted_at.is_(None),
                               permissions.post_clause(viewer))
                        .group_by(Post.author_id))
    adapted = _by_user(visible.join(Adaptation, Adaptation.thread_id == Thread.id)
                       .with_only_columns(Adaptation.user_id, func.count(Adaptation.id))
                       .where(Adaptation.user_id.in_(ids)).group_by(Adaptation.user_id))
    return {uid: {"experiences": shared.get(uid, 0), "accepted": accepted.get(uid, 0),
                  "adaptations": adapted.get(uid, 0)} for uid in ids}


@dataclass
class Record:
    """What a member (or the teams of a country) asked, shared and adapted."""

    asked: list = field(default_factory=list)
    shared: list = field(default_factory=list)
    adapted: list = field(default_factory=list)
    members: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when there is nothing to show."""
        return not (self.asked or self.shared or self.adapted or self.members)


def _threads(viewer, where, limit: int) -> list[Thread]:
    stmt = (permissions.visible_threads(viewer).where(*where)
            .options(selectinload(Thread.category), selectinload(Thread.tags))
            .order_by(Thread.created_at.desc(), Thread.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def _adaptations(viewer, where, limit: int) -> list[Adaptation]:
    stmt = (select(Adaptation).join(Thread, Thread.id == Adaptation.thread_id)
            .join(Category, Category.id == Thread.category_id)
            .where(permissions.thread_clause(viewer), *where)
            .options(selectinload(Adaptation.thread), selectinload(Adaptation.user))
            .order_by(Adaptation.created_at.desc(), Adaptation.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def member_record(viewer, user: User, limit: int = 10) -> Record:
    """The member's questions, experiences and adaptations that the viewer may see."""
    mine = Thread.author_id == user.id
    return Record(asked=_threads(viewer, (mine, Thread.kind == "question"), limit),
                  shared=_threads(viewer, (mine, Thread.kind == "experience"), limit),
                  adapted=_adaptations(viewer, (Adaptation.user_id == user.id,), limit))


def country_record(viewer, name: str, limit: int = 30) -> Optional[Record]:
    """What teams from a country asked, shared and adapted; None when the viewer sees nothing."""
    key = place_key((name or "")[:100])
    here = Thread.country_key == key
    record = Record(
        asked=_threads(viewer, (here, Thread.kind == "question"), limit),
        shared=_threads(viewer, (here, Thread.kind == "experience"), limit),
        adapted=_adaptations(viewer, (Adaptation.country_key == key,), limit),
        members=list(db.session.scalars(select(User).where(
            User.country_key == key, User.is_placeholder.is_(False))
            .order_by(User.username).limit(limit))))
    return None if record.empty else record


def countries(viewer) -> list[tuple[str, int, int]]:
    """(country, visible threads, visible adaptations) for every country the viewer may see."""
    threads = {key: (name, n) for key, name, n in db.session.execute(
        permissions.visible_threads(viewer).with_only_columns(
            Thread.country_key, func.min(Thread.country), func.count(Thread.id))
        .where(Thread.country_key != "").group_by(Thread.country_key))}
    adapted = {key: (name, n) for key, name, n in db.session.execute(
        permissions.visible_threads(viewer).join(Adaptation, Adaptation.thread_id == Thread.id)
        .with_only_columns(Adaptation.country_key, func.min(Adaptation.country),
                           func.count(Adaptation.id))
        .where(Adaptation.country_key != "").group_by(Adaptation.country_key))}
    keys = sorted(set(threads) | set(adapted))
    return [((threads.get(k) or adapted[k])[0], threads.get(k, ("", 0))[1],
             adapted.get(k, ("", 0))[1]) for k in keys]
