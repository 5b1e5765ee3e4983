"""A forum with the same content in a public, a members-only and a group category (issue 12).

Everything in a restricted category carries that category's marker string, in every field
that can carry text: titles, bodies, replies, tags, experience cards, adaptations, featured
summaries, consolidated replies, flag reasons. A role that may not read the category must
never see its marker in any answer.

Roles: guest, member (the author, in the group), other (a member outside the group),
grouped (another group member), moderator, admin, suspended.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from forum.extensions import db
from forum.models import (
    ConsolidatedReply, ConsolidatedRevision, Flag, Followup, Notification, User,
)
from forum.models._base import utcnow
from tests.factories import (
    make_adaptation, make_category, make_experience, make_featured, make_group, make_reply,
    make_thread, make_user,
)

ROLES = ("guest", "member", "other", "grouped", "moderator", "admin", "suspended")
SCOPES = ("public", "members", "group")
MARKERS = {"members": "zzmembersonlyzz", "group": "zzgrouponlyzz"}
# A word each scope's content also carries, to search with: searching for the marker itself
# would see it echoed back in the query box.
WORDS = {"public": "pelican", "members": "wombat", "group": "quokka"}
# Who may read each scope's content.
READERS = {
    "public": set(ROLES),
    "members": set(ROLES) - {"guest"},
    "group": {"member", "grouped", "moderator", "admin"},
}
COUNTRY = "Atlantis"  # every scope's threads share it: /countries/Atlantis lists them all


@dataclass
class Scope:
    """The ids of one category's content."""

    category: int
    slug: str
    thread: int
    opening: int
    reply: int
    experience: int
    practice: int
    adaptation: int
    followup: int


@dataclass
class World:
    """Ids and names the matrix fills URLs from."""

    scopes: dict[str, Scope] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    group: int = 0

    def markers_hidden_from(self, role: str) -> list[str]:
        """The markers of the scopes this role may not read."""
        return [MARKERS[s] for s in MARKERS if role not in READERS[s]]


def build_world(app) -> World:
    """Create the users, the three categories and their content; returns their ids."""
    world = World()
    with app.app_context():
        member = make_user("member", display_name="Member Author", country=COUNTRY)
        other, grouped = make_user("other"), make_user("grouped")
        make_user("moderator", role="moderator")
        make_user("admin", role="admin")
        make_user("suspended", suspended_until=utcnow() + timedelta(days=7),
                  suspended_reason="cooling off")
        team = make_group("Team", [member, grouped])
        cats = {"public": make_category("Open room"),
                "members": make_category("Lounge", "members"),
                "group": make_category("Team room", "group", team)}
        for scope, cat in cats.items():
            mark = f"{MARKERS.get(scope, 'open')} {WORDS[scope]}"
            world.scopes[scope] = _fill(cat, member, other, grouped, mark, WORDS[scope])
        # A mention of `other` in the group thread: stored, but never shown to them.
        for scope in ("members", "group"):
            s = world.scopes[scope]
            db.session.add(Notification(user_id=other.id, kind="mention", thread_id=s.thread,
                                        post_id=s.reply, actor_id=member.id))
        db.session.commit()
        world.users = {u.username: u.id for u in db.session.scalars(select(User))}
        world.group = team.id
        db.session.remove()
    return world


def _fill(cat, member, other, grouped, mark: str, word: str) -> Scope:
    """One category's content, every text field carrying `mark`."""
    thread = make_thread(member, cat, f"Question {mark} on pooled funds",
                         f"Body of the question {mark}.", country=COUNTRY, tags=[word, "funds"])
    reply = make_reply(grouped, thread, f"Reply {mark} with the answer. @other")
    experience = make_thread(member, cat, f"Experience {mark} with cash transfers",
                             f"What we tried {mark}.", kind="experience", country=COUNTRY,
                             tags=[word])
    make_experience(experience, "worked", theme=f"theme {mark}", start_year=2023,
                    tried=f"tried {mark}", lessons=f"lessons {mark}", region=f"region {mark}")
    adaptation = make_adaptation(experience, member, country=COUNTRY, team=f"team {mark}",
                                 changes=f"changes {mark}")
    practice = make_featured(experience, member, summary=f"Featured summary {mark}.")
    consolidated = ConsolidatedReply(thread_id=thread.id, body=f"Consolidated {mark}.",
                                     started_by_id=member.id, published_at=utcnow(),
                                     published_by_id=member.id)
    consolidated.revisions.append(ConsolidatedRevision(editor_id=member.id, published=True,
                                                       body=f"Consolidated {mark}."))
    followup = Followup(user_id=member.id, subject="adaptation", subject_id=adaptation.id,
                        thread_id=experience.id)
    db.session.add_all([consolidated, followup,
                        Flag(post_id=reply.id, flagger_id=other.id, reason="spam",
                             text=f"flag reason {mark}")])
    db.session.commit()
    return Scope(category=cat.id, slug=cat.slug, thread=thread.id,
                 opening=thread.opening_post.id, reply=reply.id, experience=experience.id,
                 practice=practice.id, adaptation=adaptation.id, followup=followup.id)
