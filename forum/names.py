"""Look-alike skeletons of names (issue 12): "HeIen Рark" and "helen.park" fold to one key.

Pure functions over Unicode's confusables data (TR39's confusables.txt, as the
``confusable_homoglyphs`` package ships it). The users table keeps each member's keys
(``User.username_key``, ``User.display_key``) so that checking a new name is one indexed
lookup; ``refresh_keys`` re-folds them when this data or these rules change.
"""
import unicodedata
from functools import cache
from importlib.metadata import version

# Bump when ``fold`` or ``name_key`` change: stored name keys are then re-folded at ``init``.
NAME_RULES = "1"


@cache
def _fold_table() -> dict[str, str]:
    """Every confusable character mapped to the plainest character it can pass for.

    A character and its look-alikes map to the first ASCII one among them, so Cyrillic
    "а" becomes "a" and "l", "I" and "1" all become "1".
    """
    from confusable_homoglyphs import confusables

    alike: dict[str, set[str]] = {}
    for key, glyphs in confusables.confusables_data.items():
        for glyph in glyphs:
            other = glyph["c"].strip("\u200e\u200f")
            if len(key) == 1 and len(other) == 1:  # sequences ("rn" ~ "m") are left out
                alike.setdefault(key, {key}).add(other)
                alike.setdefault(other, {other}).add(key)
    # The data lists each class as a star around its prototype ("l": "I", "1", "|", ...),
    # so two steps from any member reach the whole class.
    def plainest(c: str) -> str:
        near = set().union(*(alike[x] for x in alike[c]))
        return min(near, key=lambda g: (not g.isascii(), g))
    return {c: plainest(c) for c in alike}


def fold_version() -> str:
    """What stored name keys depend on: these rules, the confusables data, Unicode's tables."""
    return (f"rules {NAME_RULES}; confusable_homoglyphs {version('confusable_homoglyphs')}; "
            f"unicode {unicodedata.unidata_version}")


def fold(text: str) -> str:
    """The look-alike skeleton of a name: NFKC, casefold, confusables folded, marks dropped."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in unicodedata.normalize("NFD", text)
                   if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))
    # Folded before and after case folding: "O" passes for "0", and so does "o" as "O".
    return _replace(_replace(_replace(text).upper()).casefold())


def _replace(text: str) -> str:
    table = _fold_table()
    return "".join(table.get(ch, ch) for ch in text)


def name_key(name: str) -> str:
    """The skeleton with spaces and punctuation removed: "Helen Park" ~ "helen.park" ~ "HeIen Рark"."""
    return "".join(ch for ch in fold(name) if ch.isalnum())


def place_key(name: str) -> str:
    """How a country is compared: case folded, spaces collapsed ("TÜRKIYE " ~ "Türkiye")."""
    return " ".join((name or "").split()).casefold()
