"""The models, split by domain; import them from here."""
from .content import (
    KINDS,
    STATUSES,
    VISIBILITIES,
    Bookmark,
    Category,
    Post,
    PostRevision,
    Tag,
    Thread,
    Vote,
    thread_tags,
)
from .learning import (
    FOLLOWUP_SUBJECTS,
    OUTCOME_LABELS,
    OUTCOMES,
    Adaptation,
    ConsolidatedReply,
    ConsolidatedRevision,
    ExperienceDetails,
    ExperienceRevision,
    Followup,
)
from .mail import MAIL_KINDS, OutboxMessage
from .moderation import FLAG_REASONS, AuditLog, FeaturedPractice, FeaturedRevision, Flag
from .notifications import (
    DIGEST_FREQUENCIES,
    WATCH_KINDS,
    WATCH_LEVELS,
    DigestSubscription,
    Notification,
    NotificationPreference,
    ThreadRead,
    Watch,
)
from .sessions import TOKEN_SCOPES, ApiToken, LoginSession
from .search import SearchDocument, SearchQueue, SearchState, ThreadEmbedding
from .site import ContentGeneration, SiteState
from .suggestions import EVENT_KINDS, SuggestionDaily, SuggestionEvent, SuggestionOptOut
from .users import ROLES, Group, User, group_members

__all__ = [
    "KINDS", "STATUSES", "VISIBILITIES", "FLAG_REASONS", "ROLES", "MAIL_KINDS",
    "DIGEST_FREQUENCIES", "WATCH_KINDS", "WATCH_LEVELS",
    "FOLLOWUP_SUBJECTS", "OUTCOME_LABELS", "OUTCOMES",
    "Adaptation", "ConsolidatedReply", "ConsolidatedRevision", "ExperienceDetails",
    "ExperienceRevision", "Followup",
    "AuditLog", "Bookmark", "Category", "ContentGeneration", "DigestSubscription", "FeaturedPractice",
    "SiteState",
    "FeaturedRevision", "Flag", "Group", "Notification", "NotificationPreference",
    "OutboxMessage", "Post", "PostRevision", "SearchDocument", "SearchQueue", "SearchState",
    "Tag", "Thread", "ThreadEmbedding", "ThreadRead", "User", "Vote", "Watch", "group_members",
    "thread_tags", "TOKEN_SCOPES", "ApiToken", "LoginSession",
    "EVENT_KINDS", "SuggestionDaily", "SuggestionEvent", "SuggestionOptOut",
]
