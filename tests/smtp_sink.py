"""A local SMTP sink for tests: a real SMTP server on 127.0.0.1 that keeps what it receives.

Standard library only. It speaks the part of SMTP that Django's SMTP backend uses
without a user or TLS: EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing),
RSET, NOOP and QUIT. Every message is parsed with ``email.policy.default``, so
headers come back decoded (``message["subject"]`` is the real subject, in any
language)::

    def test_something(smtp_sink):
        ...  # code that sends mail to smtp_sink.url
        [received] = smtp_sink.wait_for(1)
        assert received.rcpt_tos == ["buyer@example.com"]
        assert "MR-" in received.message["subject"]

To show retries, make the sink refuse mail for a while::

    smtp_sink.fail_mail_from()          # MAIL FROM gets "451 4.3.0 Try again later"
    smtp_sink.wait_for_refusals(1)
    smtp_sink.recover()                 # accept mail again

Fixtures: ``smtp_sink_server`` (one server per test session, so a worker process
can be pointed at it once) and ``smtp_sink`` (the same server, emptied and
accepting mail at the start and end of each test).
"""

from __future__ import annotations

import email
import email.policy
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

__all__ = ["ReceivedMessage", "SMTPSink", "smtp_sink", "smtp_sink_server"]

TRY_AGAIN_LATER = b"451 4.3.0 Try again later"
MAX_LINE = 64 * 1024


@dataclass
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    data: bytes = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message["subject"] or "")

    def text_body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html_body(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def _address(argument: str) -> str:
    """The address of a ``FROM:<a@b> SIZE=1`` or ``TO:<a@b>`` argument."""
    value = argument.split(":", 1)[1].strip() if ":" in argument else argument.strip()
    if value.startswith("<"):
        value = value[1 : value.index(">")] if ">" in value else value[1:]
    else:
        value = value.split(" ", 1)[0]
    return value


class _SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 30
    server: "_Server"

    def _reply(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")
        self.wfile.flush()

    def _readline(self) -> bytes | None:
        line = self.rfile.readline(MAX_LINE)
        return line or None

    def handle(self) -> None:
        sink = self.server.sink
        mail_from: str | None = None
        rcpt_tos: list[str] = []
        self._reply(b"220 127.0.0.1 test SMTP sink ready")
        while True:
            try:
                raw = self._readline()
            except (OSError, TimeoutError):
                return
            if raw is None:
                return
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._reply(b"250-127.0.0.1 Hello")
                self._reply(b"250-8BITMIME")
                self._reply(b"250-SMTPUTF8")
                self._reply(b"250 HELP")
            elif verb == "HELO":
                self._reply(b"250 127.0.0.1 Hello")
            elif verb == "MAIL":
                if sink._take_failure():
                    self._reply(TRY_AGAIN_LATER)
                    continue
                mail_from, rcpt_tos = _address(argument), []
                self._reply(b"250 2.1.0 OK")
            elif verb == "RCPT":
                if mail_from is None:
                    self._reply(b"503 5.5.1 MAIL first")
                    continue
                rcpt_tos.append(_address(argument))
                self._reply(b"250 2.1.5 OK")
            elif verb == "DATA":
                if mail_from is None or not rcpt_tos:
                    self._reply(b"503 5.5.1 MAIL and RCPT first")
                    continue
                self._reply(b"354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    return
                sink._deliver(mail_from, rcpt_tos, data)
                mail_from, rcpt_tos = None, []
                self._reply(b"250 2.0.0 OK: queued")
            elif verb == "RSET":
                mail_from, rcpt_tos = None, []
                self._reply(b"250 2.0.0 OK")
            elif verb == "NOOP":
                self._reply(b"250 2.0.0 OK")
            elif verb == "QUIT":
                self._reply(b"221 2.0.0 Bye")
                return
            else:
                self._reply(b"502 5.5.2 Command not implemented")

    def _read_data(self) -> bytes | None:
        lines = []
        while True:
            raw = self._readline()
            if raw is None:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b"."):  # dot-unstuffing (RFC 5321 4.5.2)
                raw = raw[1:]
            lines.append(raw)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: "SMTPSink"

    def get_request(self):
        connection, address = super().get_request()
        # Replies go out line by line; without this, delayed ACKs add ~40 ms per mail.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sink._count_connection()
        return connection, address


class SMTPSink:
    """An SMTP server in a background thread; ``start()``/``stop()`` or use it as a context."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._server = _Server((host, port), _SMTPHandler, bind_and_activate=True)
        self._server.sink = self
        self._thread: threading.Thread | None = None
        self._condition = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._failing = False
        self._failures_left: int | None = None
        self._refusals = 0
        self._connections = 0

    # --- life cycle -------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """For ``EMAIL_URL`` (see storefront.settings)."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> "SMTPSink":
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"smtp-sink-{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SMTPSink":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- received mail ------------------------------------------------------------

    def _deliver(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        message = email.message_from_bytes(data, policy=email.policy.default)
        with self._condition:
            self._messages.append(ReceivedMessage(mail_from, list(rcpt_tos), message, data))
            self._condition.notify_all()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of what arrived so far, oldest first."""
        with self._condition:
            return list(self._messages)

    def __len__(self) -> int:
        with self._condition:
            return len(self._messages)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages arrived; AssertionError after ``timeout``."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._messages) >= count, timeout):
                raise AssertionError(
                    f"SMTP sink: expected {count} message(s) within {timeout}s, "
                    f"got {len(self._messages)} (refused MAIL FROM {self._refusals} time(s))"
                )
            return list(self._messages)

    def clear(self) -> None:
        with self._condition:
            self._messages.clear()
            self._refusals = 0
            self._connections = 0

    def _count_connection(self) -> None:
        with self._condition:
            self._connections += 1

    @property
    def connections(self) -> int:
        """SMTP connections accepted since the last clear()."""
        with self._condition:
            return self._connections

    # --- simulated failure --------------------------------------------------------

    def fail_mail_from(self, times: int | None = None) -> None:
        """Answer ``451 4.3.0 Try again later`` to MAIL FROM: until recover(), or ``times`` times."""
        with self._condition:
            self._failing = True
            self._failures_left = times

    def recover(self) -> None:
        """Accept mail again."""
        with self._condition:
            self._failing = False
            self._failures_left = None

    @property
    def failing(self) -> bool:
        with self._condition:
            return self._failing

    @property
    def refusals(self) -> int:
        """How many MAIL FROM commands were refused since the last clear()."""
        with self._condition:
            return self._refusals

    def wait_for_refusals(self, count: int = 1, timeout: float = 10.0) -> int:
        with self._condition:
            if not self._condition.wait_for(lambda: self._refusals >= count, timeout):
                raise AssertionError(
                    f"SMTP sink: expected {count} refused MAIL FROM within {timeout}s, "
                    f"got {self._refusals}"
                )
            return self._refusals

    def _take_failure(self) -> bool:
        with self._condition:
            if not self._failing:
                return False
            if self._failures_left is not None:
                self._failures_left -= 1
                if self._failures_left <= 0:
                    self._failing, self._failures_left = False, None
            self._refusals += 1
            self._condition.notify_all()
            return True


@pytest.fixture(scope="session")
def smtp_sink_server():
    """One sink for the whole session (a worker process is pointed at it once)."""
    with SMTPSink() as sink:
        yield sink


@pytest.fixture
def smtp_sink(smtp_sink_server):
    """The session's sink, empty and accepting mail; reset again after the test."""
    smtp_sink_server.recover()
    smtp_sink_server.clear()
    yield smtp_sink_server
    smtp_sink_server.recover()
    smtp_sink_server.clear()
