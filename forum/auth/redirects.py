"""The `next` parameter: same-site paths only (no open redirect)."""
from typing import Optional
from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: Optional[str], fallback: Optional[str] = None) -> str:
    """`target` when it is a path on this site, else the fallback (the front page)."""
    fallback = fallback or url_for("threads.index")
    if not isinstance(target, str):
        return fallback
    target = target.strip()
    # Security: "//evil.example" and "/\evil.example" are protocol-relative in browsers,
    # and browsers drop tabs and newlines, so "/\t/evil.example" becomes "//evil.example".
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
