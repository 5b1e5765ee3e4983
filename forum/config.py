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
    "SEARCH_ENABLED": True,
    "SEARCH_MODEL": None,  # None = bundled all-MiniLM-L6-v2
    "SEARCH_MODEL_SHA256": None,
    "SEARCH_INDEX_DIR": None,  # default: <instance>/search
    "SEARCH_SAVE_INTERVAL": 30,  # seconds between saves of the vector index file
    "SEARCH_WARMUP": False,  # load model + index in the background at start (make run)
    "FLAG_HIDE_THRESHOLD": 3,
    "FOLLOWUP_AFTER_DAYS": 60,  # "did it work?" this long after an acceptance or adaptation
}

ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "SEARCH_MODEL": "SEARCH_MODEL",
    "SEARCH_MODEL_SHA256": "SEARCH_MODEL_SHA256",
    "SEARCH_INDEX_DIR": "SEARCH_INDEX_DIR",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "FOLLOWUP_AFTER_DAYS": "FOLLOWUP_AFTER_DAYS",
}


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
                app.config[key] = os.environ[env]
        if os.environ.get("SEARCH_WARMUP") == "1":
            app.config["SEARCH_WARMUP"] = True
        if os.environ.get("FORUM_SECURE_COOKIES", "0") == "1":
            app.config["SESSION_COOKIE_SECURE"] = True
            app.config["REMEMBER_COOKIE_SECURE"] = True
    else:
        app.config.from_mapping(test_config)
    _normalise_database_url(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = os.path.join(app.instance_path, "search")


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
