"""Demo state of issue 10: experience outcomes, adaptations, a published consolidated reply and
pending follow-ups, so that `make run` shows the whole loop.

Idempotent: details, adaptations and the consolidated reply are only added when missing, and
follow-ups are unique per member and subject. Dates are relative to the day of loading, so
the follow-ups that are due on the first load stay due.
"""
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Callable, Optional

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..learning import adaptations, consolidated, experiences, followups
from ..models import Adaptation, ConsolidatedReply, ConsolidatedRevision, Thread, User
from ..models._base import utcnow

HERE = Path(__file__).parent
# (thread:EXT), (thread:EXT#reply:N), (thread:EXT#opening), (thread:EXT#experience)
_LINK = re.compile(r"\(thread:([\w-]+)(?:#(reply:(\d+)|opening|experience))?\)")


class LearningDemo:
    """The loaded demo's members by username and threads by external id."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.users = {u.username: u for u in db.session.scalars(
            select(User).where(User.is_placeholder.is_(False)))}
        self.threads = {t.external_id: t for t in db.session.scalars(
            select(Thread).where(Thread.external_id.like("demo-%")))}

    def reply(self, external_id: str, n: int):
        """The n-th reply (0-based) of a demo thread, or None."""
        replies = [p for p in self.threads[external_id].posts if not p.is_opening]
        return replies[n] if n < len(replies) else None

    def link(self, match) -> str:
        """A placeholder link made real."""
        thread = self.threads.get(match.group(1))
        if thread is None:
            return "(/featured)"
        if match.group(3) is not None:
            post = self.reply(thread.external_id, int(match.group(3)))
            return f"(/threads/{thread.id}#post-{post.id})" if post else f"(/threads/{thread.id})"
        if match.group(2) == "opening":
            return f"(/threads/{thread.id}#post-{thread.opening_post.id})"
        return f"(/threads/{thread.id}" + ("#experience)" if match.group(2) else ")")


def _experiences(demo: LearningDemo) -> int:
    done = 0
    for spec in demo.spec["experiences"]:
        thread = demo.threads.get(spec["thread"])
        if thread is None:
            continue
        if thread.experience is None:
            fields = {k: v for k, v in spec.items() if k != "thread"}
            experiences.save_experience(thread.author, thread, country=thread.country, **fields)
        done += 1
    return done


def _adaptations(demo: LearningDemo) -> int:
    now, done = utcnow(), 0
    for spec in demo.spec["adaptations"]:
        thread, user = demo.threads.get(spec["thread"]), demo.users.get(spec["by"])
        if thread is None or user is None:
            continue
        if adaptations.own_adaptation(user, thread) is None:
            answer = demo.reply(spec["thread"], spec["answer"]) if "answer" in spec else None
            when = now - timedelta(days=spec["days_ago"])
            record = adaptations.record_adaptation(
                user, thread, country=spec["country"], team=spec["team"],
                changes=spec["changes"], adapted_on=(when - timedelta(days=20)).date(),
                outcome=spec["outcome"], post_id=answer.id if answer else None)
            # Recorded in the past, so that the follow-ups of the older ones are due.
            record.created_at = record.updated_at = when
            db.session.commit()
        done += 1
    return done


def _accepted(demo: LearningDemo) -> None:
    """Answers accepted in the forum some weeks ago (archive imports carry no such date)."""
    for spec in demo.spec["accepted"]:
        thread = demo.threads.get(spec["thread"])
        if thread is not None and thread.accepted_post_id and thread.accepted_at is None:
            thread.accepted_at = utcnow() - timedelta(days=spec["days_ago"])
    db.session.commit()


def _consolidated(demo: LearningDemo) -> Optional[ConsolidatedReply]:
    """The extractive draft, then the moderator's edited version, published (feeds the library)."""
    spec = demo.spec["consolidated"]
    thread, editor = demo.threads.get(spec["thread"]), demo.users.get(spec["by"])
    if thread is None or editor is None:
        return None
    if thread.consolidated is not None:
        return thread.consolidated
    folder = HERE / "consolidated"
    draft, final = (_LINK.sub(demo.link, (folder / name).read_text(encoding="utf-8")).strip()
                    for name in (f"{spec['thread']}.draft.md", f"{spec['thread']}.md"))
    # The draft was made by forum/learning/drafting.py on this demo (the model is not loaded
    # while the demo loads); it is stored, not regenerated, so the demo is the same everywhere.
    reply = ConsolidatedReply(thread=thread, body=draft, started_by_id=editor.id)
    reply.revisions.append(ConsolidatedRevision(editor_id=editor.id, body=draft,
                                                note="extractive draft"))
    db.session.add(reply)
    db.session.commit()
    consolidated.save(editor, reply, final, publish=True,
                      note="synthesis added; two quotes out of context paraphrased")
    return reply


def apply(echo: Callable[[str], None] = print) -> None:
    """Load the demo's learning state (idempotent) and ask the follow-ups that are due."""
    demo = LearningDemo(json.loads((HERE / "learning.json").read_text(encoding="utf-8")))
    if not demo.threads:
        echo("Demo learning state skipped: no demo threads.")
        return
    n_exp, n_adapt = _experiences(demo), _adaptations(demo)
    _accepted(demo)
    reply = _consolidated(demo)
    try:
        asked = followups.send_followups(
            after_days=followups.after_days_setting(current_app.config))
    except ValueError as exc:
        echo(f"Demo follow-ups not asked: {exc}")
        asked = []
    countries = {a.country for a in db.session.scalars(select(Adaptation))}
    echo(f"Demo learning: {n_exp} experiences with outcomes, {n_adapt} adaptations in "
         f"{len(countries)} countries, consolidated reply {'published' if reply else 'skipped'}, "
         f"{len(asked)} new follow-ups asked.")
