"""Accounts: the one place that creates login accounts and says what a good password and an
acceptable display name are.

Registration (auth), the command line and the admin pages all create accounts here.
"""
import re
from typing import Iterable, Optional

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from . import login_sessions
from .domain import DomainError
from .extensions import db
from .models import ROLES, SiteState, User
from .names import fold, fold_version, name_key

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 200
# zxcvbn's score 3 is "safely unguessable: moderate protection from an offline attack".
PASSWORD_SCORE = 3
# Words only staff may carry in a display name or organisation (issue 12): a member who
# calls themselves "Helen (Moderator)" could give orders in a thread.
STAFF_WORDS = ("moderator", "moderators", "moderation", "mod", "mods", "admin", "admins",
               "administrator", "administrators", "staff", "sysop", "headstart")
# Always refused inside a longer word too ("SuperModerator").
STAFF_INFIXES = ("moderator", "administrator")


def check_username(name: str) -> str:
    """Lowercase letters, digits, dot, dash, underscore; 3-32 characters; not taken."""
    name = (name or "").strip().lower()
    if not USERNAME_RE.match(name):
        raise DomainError(("username", "Use 3-32 lowercase letters, digits, '.', '-' or '_'."))
    # Both by index: a name differing from another only in case (an imported author's)
    # has the same look-alike key.
    if db.session.scalar(select(User.id).where(User.username == name)):
        raise DomainError(("username", "That name is taken."))
    if _name_taken(name_key(name), None):
        raise DomainError(("username", "That name is too close to another member's name."))
    return name


def create_user(name: str, password: str, *, email: Optional[str] = None,
                role: str = "member", context: tuple[str, ...] = (), **profile) -> User:
    """Create a login account (``context``: more words the password must not be built on)."""
    name = check_username(name)
    email = (email or "").strip().lower() or None
    check_password(password, (name, profile.get("display_name") or "", email or "") + context)
    if role not in ROLES:
        raise DomainError(("role", f"Role must be one of {', '.join(ROLES)}."))
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise DomainError(("email", "That email is already registered."))
    user = User(username=name, email=email, role=role, **profile)
    reasons = check_public_names(user, user.display_name or "", user.organisation or "")
    if reasons:
        raise DomainError(*reasons)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def password_context(user: User) -> tuple[str, ...]:
    """What a password of this user must not be built from: their names and address."""
    return (user.username, user.display_name or "", user.email or "", user.organisation or "")


def check_password(password: str, user_inputs: Iterable[str] = ()) -> str:
    """The password, if it is long enough and not guessable (zxcvbn), else DomainError.

    ``user_inputs`` are the account's own words (username, display name, e-mail): a
    password built from them is weak however long it is.
    """
    password = password or ""
    if len(password) < PASSWORD_MIN:
        raise DomainError(("password", f"Use at least {PASSWORD_MIN} characters."))
    if len(password) > PASSWORD_MAX:
        raise DomainError(("password", f"Use at most {PASSWORD_MAX} characters."))
    words = []
    for value in filter(None, user_inputs):  # "amina.diallo": itself, its parts, run together
        parts = [p for p in re.split(r"[\W_]+", value.lower()) if len(p) >= 3]
        words += [value.lower(), "".join(parts)] + parts
    result = zxcvbn(password, user_inputs=words + ["headstart"], max_length=PASSWORD_MAX)
    own = [m for m in result["sequence"] if m.get("dictionary_name") == "user_inputs"]
    if own and result["score"] >= PASSWORD_SCORE:
        # Whoever targets this account knows its names: what is left without them must
        # still be strong on its own ("wanjiru-kamau-2024" is "-2024" to them).
        rest = "".join(ch for i, ch in enumerate(password)
                       if not any(m["i"] <= i <= m["j"] for m in own))
        if zxcvbn(rest, max_length=PASSWORD_MAX)["score"] < PASSWORD_SCORE:
            raise DomainError(("password", "That password is too easy to guess for anyone who "
                                           "knows your name or address: add uncommon words "
                                           "that have nothing to do with you."))
    if result["score"] < PASSWORD_SCORE:
        feedback = result["feedback"]
        hint = " ".join(filter(None, [feedback.get("warning")] + feedback.get("suggestions", [])))
        raise DomainError(("password", "That password is too easy to guess"
                           + (f": {hint}" if hint else ". Try a few uncommon words together.")))
    return password


def change_password(user: User, current: str, new: str, keep_session: Optional[str]) -> None:
    """Set a new password when the current one is right; every other session ends."""
    if not user.check_password(current or ""):
        raise DomainError(("current", "That is not your current password."))
    check_password(new, password_context(user))
    if user.check_password(new):
        raise DomainError(("password", "Choose a password different from the current one."))
    user.set_password(new)
    # Security: whoever copied a cookie of this account is signed out with the change.
    login_sessions.end_all(user, keep=keep_session, commit=False)
    db.session.commit()


# --- display names: unique under confusable folding, no staff words -------------------

def _name_taken(key: str, user_id: Optional[int]) -> bool:
    """True when another account's username or display name folds to ``key``.

    One indexed lookup of the stored keys (imported authors count too: their names are on
    the archive's posts); rows whose keys were never computed (a database upgraded without
    ``init``) are folded here.
    """
    if not key:
        return False
    others = [] if user_id is None else [User.id != user_id]
    if db.session.scalar(select(User.id).where(
            or_(User.username_key == key, User.display_key == key), *others).limit(1)):
        return True
    unfolded = db.session.execute(select(User.id, User.username, User.display_name).where(
        or_(User.username_key.is_(None), User.display_key.is_(None)), *others))
    return any(key in (name_key(username), name_key(display or ""))
               for _, username, display in unfolded)


def refresh_name_keys(batch: int = 1000) -> int:
    """Re-fold every account's name keys where they are missing or out of date; returns how many.

    Run by ``init`` (``forum.schema.upgrade_database``): after the migration that added the
    columns, and after an upgrade that changes the folding data or rules (``fold_version``,
    stored in ``site_state`` once every key is made with it). Otherwise a no-op that reads
    one row and one index entry, however many members there are.
    """
    stamp = fold_version()
    stored = db.session.get(SiteState, "name_fold")
    missing = db.session.scalar(select(User.id).where(
        or_(User.username_key.is_(None), User.display_key.is_(None))).limit(1))
    if stored is not None and stored.value == stamp and missing is None:
        return 0
    changed = _refold_names(batch)
    if stored is None:
        db.session.add(SiteState(name="name_fold", value=stamp))
    else:
        stored.value = stamp
    try:
        db.session.commit()
    except IntegrityError:  # another process starting at once stored it first
        db.session.rollback()
    return changed


def _refold_names(batch: int) -> int:
    """Fold every account's names again, writing the keys that differ; returns how many."""
    changed = 0
    last = 0
    while True:
        rows = db.session.execute(
            select(User.id, User.username, User.display_name, User.username_key, User.display_key)
            .where(User.id > last).order_by(User.id).limit(batch)).all()
        if not rows:
            return changed
        for uid, username, display, username_key, display_key in rows:
            keys = {"username_key": name_key(username), "display_key": name_key(display or "")}
            if (username_key, display_key) != (keys["username_key"], keys["display_key"]):
                db.session.execute(update(User).where(User.id == uid).values(**keys))
                changed += 1
        db.session.commit()
        last = rows[-1][0]


def _has_staff_word(text: str) -> bool:
    folded = fold(text)
    words = {fold(w) for w in STAFF_WORDS}
    if any(t in words for t in re.split(r"[\W_]+", folded) if t):
        return True
    squeezed = "".join(ch for ch in folded if ch.isalnum())
    return any(fold(w) in squeezed for w in STAFF_INFIXES)


def check_public_names(user: User, display_name: str, organisation: str) -> list:
    """Reasons a display name or organisation cannot be used by this user (empty when fine)."""
    reasons = []
    if not user.is_moderator:
        for field, value in (("display_name", display_name), ("organisation", organisation)):
            if value and _has_staff_word(value):
                reasons.append((field, "Words like Moderator, Admin or Staff are kept for the "
                                       "forum's staff; staff carry a badge instead."))
    if display_name and not any(r[0] == "display_name" for r in reasons):
        key = name_key(display_name)
        if key and key not in (name_key(user.username),) and _name_taken(key, user.id):
            reasons.append(("display_name", "That name looks like another member's name; "
                                            "choose one that tells you apart."))
    return reasons
