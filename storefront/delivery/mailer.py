"""One mail connection per process for delivery mail, kept open between tasks.

A worker delivering a burst of orders would otherwise open (and close) an SMTP
connection per mail: a TCP handshake, the greeting, EHLO and, with TLS, a handshake
more, for every buyer. The connection is checked (NOOP) before each reuse and
opened again when the server closed it meanwhile, so a mail is never sent twice
because of a stale connection: nothing of the message has gone out when the check
fails. A connection that failed while sending is dropped; the task's retry opens a
new one.
"""

import logging
import smtplib
import threading

from django.conf import settings
from django.core.mail import get_connection

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_kept = {"connection": None, "settings": None}


def _mail_settings() -> tuple:
    # A connection is kept for the settings it was opened with (tests change them).
    return (settings.EMAIL_BACKEND, getattr(settings, "EMAIL_HOST", ""),
            getattr(settings, "EMAIL_PORT", 0), getattr(settings, "EMAIL_HOST_USER", ""))


def _is_alive(connection) -> bool:
    smtp = getattr(connection, "connection", None)
    if smtp is None:  # not an SMTP backend (locmem, console): nothing to go stale
        return True
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _connection():
    wanted = _mail_settings()
    connection = _kept["connection"]
    if connection is not None and (_kept["settings"] != wanted or not _is_alive(connection)):
        close()
        connection = None
    if connection is None:
        connection = get_connection(fail_silently=False)
        connection.open()
        _kept.update(connection=connection, settings=wanted)
    return connection


def send(message) -> None:
    """Send an EmailMessage over this process's kept connection; errors propagate."""
    with _lock:
        message.connection = _connection()
        try:
            message.send()
        except BaseException:
            close()  # in an unknown state now: the next mail opens a new one
            raise


def close() -> None:
    """Close the kept connection (a worker process ending, a failed send)."""
    connection, _kept["connection"] = _kept["connection"], None
    if connection is not None:
        try:
            connection.close()
        except Exception:  # closing a broken connection: nothing left to save
            logger.debug("closing the kept mail connection failed", exc_info=True)
