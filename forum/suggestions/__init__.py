"""Suggestion quality measured in production (issue 13): record, report, prune, export.

- log: what the composer, the API, thread creation and moderation record (members
  who opted out get nothing recorded).
- report: click-through by rank, duplicates, never-opened suggestions, per viewer.
- retention: events older than SUGGESTION_LOG_DAYS become daily counts.
- export: duplicates the engine missed, as a folder `flask search evaluate` reads.
- cli: `flask search report [--prune] [--export DIR]`.
"""
