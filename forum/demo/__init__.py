"""The demo community, loaded through the same import path as `threads import`."""
import json
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from ..admin_services import add_to_group, create_category, create_group
from ..extensions import db
from ..models import Category, Group, Thread, User
from ..threads.importer import import_lines

HERE = Path(__file__).parent
# Demo credentials, printed on load and listed in the README. Demo only: change them
# (or start with FORUM_DEMO=0) on any instance other people can reach.
DEMO_PASSWORDS = {"admin": "admin-demo-2026", "helen.park": "moderator-demo-2026"}
MEMBER_PASSWORD = "member-demo-2026"


def forum_is_empty() -> bool:
    """True when no thread exists yet."""
    return not db.session.scalar(select(func.count(Thread.id)))


def _load_json(name: str):
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def _ensure_users() -> int:
    created = 0
    for spec in _load_json("users.json"):
        user = db.session.scalar(select(User).where(User.username == spec["username"]))
        if user is None:
            user = User(username=spec["username"])
            db.session.add(user)
            created += 1
        for key in ("display_name", "country", "organisation", "expertise", "bio"):
            setattr(user, key, spec.get(key, ""))
        user.role = spec.get("role", "member")
        user.is_placeholder = False
        user.set_password(DEMO_PASSWORDS.get(user.username, MEMBER_PASSWORD))
    db.session.commit()
    return created


def _ensure_groups_and_categories() -> None:
    for spec in _load_json("groups.json"):
        group = db.session.scalar(select(Group).where(Group.name == spec["name"]))
        group = group or create_group(spec["name"])
        for name in spec["members"]:
            add_to_group(group, db.session.scalar(select(User).where(User.username == name)))
    for spec in _load_json("categories.json"):
        if not db.session.scalar(select(Category.id).where(Category.name == spec["name"])):
            create_category(spec["name"], spec["visibility"], spec["description"])


def load_demo(echo: Callable[[str], None] = print) -> str:
    """Create members, groups, categories and import every demo thread file."""
    _ensure_users()
    _ensure_groups_and_categories()
    created = updated = 0
    for path in sorted((HERE / "data").glob("*.jsonl")):
        report = import_lines(path.read_text(encoding="utf-8").splitlines())
        for number, reason in report.errors:
            echo(f"{path.name} line {number}: {reason}")
        created, updated = created + report.created, updated + report.updated
    from . import extras, learning
    extras.apply(echo)
    learning.apply(echo)
    return (
        f"Demo loaded: {created} threads created, {updated} updated.\n"
        f"Sign in as admin / {DEMO_PASSWORDS['admin']}, moderator helen.park / "
        f"{DEMO_PASSWORDS['helen.park']}, or any member (e.g. amina.diallo) / {MEMBER_PASSWORD}."
    )
