"""Configuration: defaults -> instance/config.py -> environment -> test dict."""
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "MAX_CONTENT_LENGTH": 512 * 1024,  # request size cap; a 50,000-char post fits easily
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # a long draft must not expire its token
    "THREADS_PER_PAGE": 20,
    "POSTS_PER_PAGE": 20,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Images in posts from other servers: off, so a post cannot tell a third party who
    # reads it and when (shown as links instead); True shows them as images.
    "REMOTE_IMAGES": False,
    # Guests' pages and static files compressed where that leaks nothing (forum/web/compression.py).
    "COMPRESS_RESPONSES": True,
    "SEARCH_ENABLED": True,
    "SEARCH_MODEL": None,  # None = bundled all-MiniLM-L6-v2
    "SEARCH_MODEL_SHA256": None,
    "SEARCH_INDEX_DIR": None,  # default: <instance>/search
    # Query and ingest encoder (issue 9): auto = int8 ONNX export of the model (made once,
    # at first use, into SEARCH_ONNX_DIR), else torch, logged; onnx-int8 | onnx-fp32 | torch.
    "SEARCH_ENCODER": "auto",
    "SEARCH_ONNX_DIR": None,  # default: $HEADSTART_ONNX_CACHE or ~/.cache/headstart-onnx
    # CPU threads per process for torch, onnxruntime and FAISS; None = cores / WEB_CONCURRENCY.
    "SEARCH_THREADS": None,
    # thread: a background thread per server process indexes and follows changes;
    # off: web processes only follow (run `flask search worker`); inline: in the request.
    "SEARCH_WORKER": "thread",
    "SEARCH_POLL_SECONDS": 0.5,  # how often a process looks for changes made by others
    "SEARCH_REPAIR_SECONDS": 600,  # background verify-and-repair round (0: never)
    # A worker that dies holding the queue's lease (a database row) hands it on after this.
    "SEARCH_LEASE_SECONDS": 60,
    "FLAG_HIDE_THRESHOLD": 3,
    # E-mail (issue 11): nothing is queued or sent while MAIL_SERVER is unset.
    "FORUM_BASE_URL": "http://127.0.0.1:5000",  # links in e-mails point here
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # STARTTLS after connecting
    "MAIL_USE_SSL": False,  # TLS from the first byte (usually port 465)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Headstart <noreply@localhost>",
    "MAIL_TIMEOUT": 20,  # seconds for one SMTP conversation step
    "MAIL_BACKGROUND": None,  # send from the server process; None = yes, unless TESTING
    "MAIL_SEND_INTERVAL": 30,  # seconds between the background sender's rounds
    "MAIL_DELAY": 60,  # seconds a notification waits: read in the forum meanwhile, no e-mail
    "MAIL_RETRY_BASE": 60,  # first retry after this many seconds, doubling each time
    "MAIL_MAX_ATTEMPTS": 8,
    "PASSWORD_RESET_MAX_AGE": 3600,  # seconds a reset link works
    "SUGGESTION_LOG_DAYS": 90,  # raw suggestion events kept this long, then daily counts
    "FOLLOWUP_AFTER_DAYS": 60,  # "did it work?" this long after an acceptance or adaptation
    "LOGIN_SESSION_DAYS": 30,  # a sign-in and its remember cookie last at most this long
    # Read caches (issue 9, forum/web/cache.py); None: the default below, or 0 when TESTING.
    "PAGE_CACHE_SECONDS": None,  # guest pages, keyed by URL and content generation
    "DATA_CACHE_SECONDS": None,  # filter lists and the sidebar, per visibility
}
CACHE_DEFAULTS = {"PAGE_CACHE_SECONDS": 30, "DATA_CACHE_SECONDS": 60}

ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "SEARCH_MODEL": "SEARCH_MODEL",
    "SEARCH_MODEL_SHA256": "SEARCH_MODEL_SHA256",
    "SEARCH_INDEX_DIR": "SEARCH_INDEX_DIR",
    "SEARCH_WORKER": "SEARCH_WORKER",
    "SEARCH_ENCODER": "SEARCH_ENCODER",
    "SEARCH_ONNX_DIR": "SEARCH_ONNX_DIR",
    "SEARCH_THREADS": "SEARCH_THREADS",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "FORUM_BASE_URL": "FORUM_BASE_URL",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "MAIL_USE_SSL": "MAIL_USE_SSL",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER": "MAIL_DEFAULT_SENDER",
    "SUGGESTION_LOG_DAYS": "SUGGESTION_LOG_DAYS",
    "FOLLOWUP_AFTER_DAYS": "FOLLOWUP_AFTER_DAYS",
    "LOGIN_SESSION_DAYS": "LOGIN_SESSION_DAYS",
    "REMOTE_IMAGES": "REMOTE_IMAGES",
    "PAGE_CACHE_SECONDS": "PAGE_CACHE_SECONDS",
    "COMPRESS_RESPONSES": "COMPRESS_RESPONSES",
}
# Environment values are strings; these settings are read as numbers or yes/no.
INT_KEYS = ("MAIL_PORT", "LOGIN_SESSION_DAYS", "PAGE_CACHE_SECONDS", "SEARCH_THREADS")
BOOL_KEYS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "REMOTE_IMAGES", "COMPRESS_RESPONSES")


def instance_path() -> str:
    """The instance folder: FORUM_INSTANCE_PATH or ./instance, absolute."""
    return str(Path(os.environ.get("FORUM_INSTANCE_PATH", "instance")).resolve())


def load_config(app, test_config=None) -> None:
    """Fill app.config from defaults, the instance file, the environment and the test dict."""
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = (
        "sqlite:///" + os.path.join(app.instance_path, "forum.sqlite")
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for env, key in ENV_KEYS.items():
            if os.environ.get(env):
                app.config[key] = _typed(key, os.environ[env])
        for flag in ("SEARCH_ENABLED", "RATELIMIT_ENABLED"):
            if os.environ.get(flag) in ("0", "1"):
                app.config[flag] = os.environ[flag] == "1"
        if os.environ.get("FORUM_SECURE_COOKIES", "0") == "1":
            app.config["SESSION_COOKIE_SECURE"] = True
            app.config["REMEMBER_COOKIE_SECURE"] = True
    else:
        app.config.from_mapping(test_config)
    _normalise_database_url(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    for key, seconds in CACHE_DEFAULTS.items():
        if app.config.get(key) is None:
            app.config[key] = 0 if app.config.get("TESTING") else seconds
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = os.path.join(app.instance_path, "search")


def _typed(key: str, value: str):
    """An environment string as the type the setting needs."""
    if key in INT_KEYS:
        try:
            return int(value)
        except ValueError:
            raise RuntimeError(f"{key} must be a number, not {value!r}") from None
    if key in BOOL_KEYS:
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def _normalise_database_url(app) -> None:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len(prefix):]


def _instance_secret(path: str) -> str:
    """Read the secret key from the instance folder, generating it on first run."""
    os.makedirs(path, exist_ok=True)
    key_file = Path(path) / "secret_key"
    if not key_file.exists():
        # Written with 0600 so other local users cannot forge sessions.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()
