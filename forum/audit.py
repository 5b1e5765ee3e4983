"""The audit log, added in the same transaction as the action."""
from .extensions import db
from .models import AuditLog, User


def record(actor: User, action: str, target_type: str, target_id: int, reason: str = "",
           details: str = "") -> AuditLog:
    """Add an audit row (who, what, when, why); the caller's commit writes it."""
    entry = AuditLog(actor_id=actor.id, action=action, target_type=target_type,
                     target_id=target_id, reason=(reason or "").strip()[:1000],
                     details=details or "")
    db.session.add(entry)
    return entry
