"""The e-mail for one notification, rendered at send time for what its reader may see then."""
from flask import url_for

from ..mail.compose import Cancel, Composed, render
from ..markup import snippet
from ..models import OutboxMessage
from .kinds import CONTENT_KINDS, SETTING_OF
from .render import describe
from .settings import preferences, unsubscribe_token

EXCERPT_CHARS = 1200


def unsubscribe_url(user, scope: str) -> str:
    """The one-click unsubscribe address for a member and scope."""
    return url_for("notifications.unsubscribe", token=unsubscribe_token(user, scope),
                   _external=True)


def compose(row: OutboxMessage) -> Composed:
    """Subject, text and HTML for a notification e-mail; Cancel when it must not go out."""
    note, user = row.notification, row.user
    if note is None:
        raise Cancel("the notification is gone")
    if note.read_at is not None:
        raise Cancel("read in the forum already")
    setting = SETTING_OF.get(note.kind)
    if setting is None or not preferences(user)[setting.key].email:
        raise Cancel("the member switched these e-mails off")
    item = describe(user, note, external=True)
    if item is None:
        # Security: the member lost access since the event (left a group, thread hidden).
        raise Cancel("the member may no longer see it")
    excerpt = snippet(item.post.body, EXCERPT_CHARS) if note.kind in CONTENT_KINDS else ""
    unsubscribe = unsubscribe_url(user, setting.key)
    text, html = render("notification", item=item, excerpt=excerpt, recipient=user,
                        setting=setting, unsubscribe_url=unsubscribe,
                        settings_url=url_for("notifications.settings_page", _external=True))
    return Composed(item.plain[:200], text, html, unsubscribe)
