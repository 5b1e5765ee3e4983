"""The models, split by domain; import them from here."""
from .content import (
    KINDS, STATUSES, VISIBILITIES, Bookmark, Category, Post, PostRevision, Tag, Thread, Vote,
    thread_tags,
)
from .moderation import (
    FLAG_REASONS, AuditLog, FeaturedPractice, FeaturedRevision, Flag, Notification,
)
from .learning import (
    FOLLOWUP_SUBJECTS, OUTCOME_LABELS, OUTCOMES, Adaptation, ConsolidatedReply,
    ConsolidatedRevision, ExperienceDetails, ExperienceRevision, Followup,
)
from .search import IndexChange, ThreadEmbedding
from .users import ROLES, Group, User, group_members

__all__ = [
    "KINDS", "STATUSES", "VISIBILITIES", "FLAG_REASONS", "ROLES",
    "FOLLOWUP_SUBJECTS", "OUTCOME_LABELS", "OUTCOMES",
    "Adaptation", "ConsolidatedReply", "ConsolidatedRevision", "ExperienceDetails",
    "ExperienceRevision", "Followup",
    "AuditLog", "Bookmark", "Category", "FeaturedPractice", "FeaturedRevision", "Flag",
    "Group", "IndexChange", "Notification", "Post", "PostRevision", "Tag", "Thread",
    "ThreadEmbedding", "User", "Vote", "group_members", "thread_tags",
]
