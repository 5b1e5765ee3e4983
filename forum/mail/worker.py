"""The background sender: a thread in the server process that empties the mail queue."""
import logging
import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from .delivery import deliver_due
from .smtp import is_configured

log = logging.getLogger(__name__)


class MailWorker:
    """Sends due e-mail every MAIL_SEND_INTERVAL seconds, and soon after a commit queues some."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = None

    @property
    def running(self) -> bool:
        """True once the thread is started and alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread once (later calls do nothing)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="headstart-mail",
                                                daemon=True)
                self._thread.start()

    def wake(self) -> None:
        """Send now rather than at the next interval."""
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Stop after the current round (tests; a daemon thread dies with the process anyway)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        interval = float(self.app.config.get("MAIL_SEND_INTERVAL") or 30)
        while not self._stop.is_set():
            self._round()
            self._wake.wait(interval)
            self._wake.clear()

    def _round(self) -> None:
        with self.app.app_context():
            try:
                report = deliver_due()
                if report.sent or report.errors:
                    log.info("Mail: %s", report)
            except Exception:  # noqa: BLE001 - the sender must outlive a bad round
                log.exception("Mail round failed")
            finally:
                db.session.remove()


def _background_enabled(app: Flask) -> bool:
    wanted = app.config.get("MAIL_BACKGROUND")
    if wanted is None:  # default: on for a served forum, off under tests
        wanted = not app.config.get("TESTING")
    return bool(wanted) and is_configured(app.config)


def init_app(app: Flask) -> None:
    """Create the worker when mail is configured; it starts with the first request served.

    Starting at the first request (not here) keeps CLI commands such as `flask mail send`
    from running a second sender in their own short-lived process.
    """
    if not _background_enabled(app):
        return
    worker = app.extensions["mail_worker"] = MailWorker(app)
    app.before_request(worker.start)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session):
    """A committed notification e-mail goes out within seconds, not at the next interval."""
    if not session.info.pop("mail_queued", False):
        return
    if has_app_context():
        worker = current_app.extensions.get("mail_worker")
        if worker is not None:
            worker.wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    """Nothing was queued after all."""
    session.info.pop("mail_queued", None)
