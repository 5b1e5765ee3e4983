"""Kinds of notification, the setting each belongs to, and what is on by default."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """A group of kinds a member switches on or off, in the forum and by e-mail."""

    key: str
    label: str
    web: bool
    email: bool
    kinds: tuple[str, ...]


# E-mail is on by default for replies to the member's own threads and for mentions,
# as Discourse does (issue 11); everything else waits in the forum unless asked for.
SETTINGS = (
    Setting("reply", "Replies to my threads", True, True, ("reply",)),
    Setting("mention", "Someone mentions my @name", True, True, ("mention",)),
    Setting("reply_to_post", "Replies to my posts (Reply or Quote on a post)", True, False,
            ("reply_to_post",)),
    Setting("accepted", "My answer is accepted", True, False, ("accepted",)),
    Setting("my_thread", "My thread is featured, moved or closed as a duplicate", True, False,
            ("featured", "moved", "duplicate")),
    Setting("watch_thread", "New threads in categories, tags and countries I watch", True,
            False, ("watch_thread",)),
    Setting("watch_reply", "Replies and accepted answers in threads I watch", True, False,
            ("watch_reply", "watch_accepted")),
    Setting("moderation", "Moderators' decisions on my posts and my flags", True, False,
            ("flag_outcome", "post_hidden", "post_auto_hidden", "post_visible",
             "thread_hidden", "thread_visible")),
)
SETTING_OF = {kind: setting for setting in SETTINGS for kind in setting.kinds}
SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}

# "notice": account messages (a suspension) and notices kept from before issue 11;
# always shown in the forum, never e-mailed.
NOTICE = "notice"
KINDS = tuple(SETTING_OF) + (NOTICE,)

# Kinds about a post's content: the post itself must still be readable, not only its thread.
CONTENT_KINDS = frozenset(
    ("reply", "reply_to_post", "mention", "accepted", "watch_reply", "watch_accepted"))
# Replies in one thread are shown as one line ("3 new replies in …").
REPLY_KINDS = frozenset(("reply", "watch_reply"))
