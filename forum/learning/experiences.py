"""Experience details: context, what was tried, outcome, lessons, evidence; versioned edits."""
import re
from typing import Optional

from sqlalchemy import func

from .. import audit, permissions
from ..domain import DomainError, NotAllowed
from ..extensions import db
from ..models import OUTCOMES, ExperienceDetails, ExperienceRevision, Thread, User
from ..models._base import utcnow

# Longest allowed value of each field (the columns are sized to match).
LIMITS = {"country": 100, "region": 100, "theme": 100, "setting": 100, "scale": 100,
          "period": 100, "tried": 5000, "lessons": 5000, "evidence": 2000}
FIELDS = ("country", "region", "theme", "setting", "scale", "period", "tried", "outcome",
          "lessons", "evidence")
MAX_LINKS = 10
YEAR_MIN, YEAR_MAX = 1950, 2100
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d|2100)(?!\d)")


def can_edit_experience(user, thread: Thread) -> bool:
    """The author or a moderator, while able to post, edits an experience's details."""
    return (thread.kind == "experience" and permissions.can_post(user)
            and (permissions.is_moderator(user) or thread.author_id == user.id))


def parse_period(period: str) -> tuple[Optional[int], Optional[int]]:
    """The first and last year named in a free-text period ("2022 to mid-2024" -> 2022, 2024)."""
    years = [int(y) for y in _YEAR.findall(period or "")]
    return (min(years), max(years)) if years else (None, None)


def check_evidence(text: str) -> str:
    """One http(s) link per line (at most MAX_LINKS); anything else is refused."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        raise DomainError(("evidence", f"Give at most {MAX_LINKS} links."))
    for line in lines:
        # Security: only web links become hrefs on the card (no javascript: or data:).
        if not re.fullmatch(r"https?://[^\s<>\"]+", line) or len(line) > 500:
            raise DomainError(("evidence", f"“{line[:80]}” is not a web link: put one "
                                           "link starting with https:// on each line."))
    return "\n".join(lines)


def _clean(fields: dict) -> dict:
    """Strip every field and check lengths, the outcome and the links; all reasons at once."""
    values, reasons = {}, []
    for name in FIELDS:
        # NUL bytes are never meaningful and PostgreSQL refuses them in text.
        values[name] = (fields.get(name) or "").replace("\x00", "").strip()
        if name in LIMITS and len(values[name]) > LIMITS[name]:
            reasons.append((name, f"Use at most {LIMITS[name]:,} characters."))
    if values["outcome"] and values["outcome"] not in OUTCOMES:
        reasons.append(("outcome", "Choose one of the four outcomes, or none yet."))
    try:
        values["evidence"] = check_evidence(values["evidence"])
    except DomainError as exc:
        reasons.extend(exc.reasons)
    if reasons:
        raise DomainError(*reasons)
    values["outcome"] = values["outcome"] or None
    return values


def snapshot(details: ExperienceDetails) -> dict:
    """The details as plain values (one history version)."""
    data = {name: getattr(details, name) for name in FIELDS if name != "country"}
    data["country"] = details.thread.country
    return data


def save_experience(editor: User, thread: Thread, **fields) -> bool:
    """Create or change an experience's details, keeping each version; False if unchanged."""
    if not can_edit_experience(editor, thread):
        raise NotAllowed("Only the author or a moderator can edit this experience.")
    values = _clean(fields)
    details = thread.experience
    if details is not None and snapshot(details) == values:
        return False
    if details is None:
        details = ExperienceDetails(thread=thread)
        db.session.add(details)
    thread.country = values["country"]
    for name in FIELDS:
        if name != "country":
            setattr(details, name, values[name])
    details.start_year, details.end_year = parse_period(values["period"])
    details.updated_at, details.updated_by_id = utcnow(), editor.id
    details.revisions.append(ExperienceRevision(editor_id=editor.id, data=values))
    if editor.id != thread.author_id:
        audit.record(editor, "experience.edit", "thread", thread.id,
                     details=f"version {len(details.revisions)}")
    db.session.commit()
    return True


def themes(user) -> list[str]:
    """Themes of the experiences this user may see, for the filters."""
    stmt = (permissions.visible_threads(user)
            .join(ExperienceDetails, ExperienceDetails.thread_id == Thread.id)
            .with_only_columns(func.min(ExperienceDetails.theme))
            .where(ExperienceDetails.theme != "")
            .group_by(func.lower(ExperienceDetails.theme))
            .order_by(func.lower(ExperienceDetails.theme)))
    return list(db.session.scalars(stmt))
