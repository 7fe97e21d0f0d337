"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), capturing what it accepts.

::

    with SmtpServer() as server:
        settings = server.smtp_settings()          # SmtpSettings pointing at it (security none)
        server.refuse("bad@example.org")          # 550 for this recipient
        server.refused_senders.add("x@y.org")     # 553 for this sender
        server.sender_reply = "530 5.7.0 …"        # this reply to every MAIL FROM
        server.mode = "close"                      # drop the connection after DATA
        server.mode = "defer"                      # 451 (try again later) at DATA
        server.on_accept = callback                # runs after taking a message, before "250"
        server.stop()                              # the server goes down; the port stays unused
        message = server.messages[-1]              # email.message.EmailMessage
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from veille.delivery_settings import SmtpSettings


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    raw: bytes = b""  # the message as it came, after DATA
    mail_options: tuple[str, ...] = ()  # the MAIL FROM parameters (BODY=8BITMIME, SMTPUTF8)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.server.refused_senders:
            return "553 5.7.1 sender not allowed"
        if self.server.sender_reply is not None:
            return self.server.sender_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.server.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.server.data_delay)
        if self.server.mode == "close":
            server.transport.close()
            return "421 closing"
        if self.server.mode == "reject":
            return "554 5.6.0 message refused"
        if self.server.mode == "defer":
            return "451 4.3.0 try again later"
        raw = bytes(envelope.original_content or envelope.content or b"")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        received = Received(
            str(envelope.mail_from),
            tuple(envelope.rcpt_tos),
            parsed,
            raw,
            tuple(envelope.mail_options),
        )
        with self.server.lock:
            self.server.received.append(received)
        if self.server.on_accept is not None:
            self.server.on_accept()  # runs before the client reads "250"
        return "250 Message accepted"


class SmtpServer:
    """An aiosmtpd server in a background thread; ``mode`` is "ok", "close", "reject" or
    "defer"."""

    def __init__(
        self, *, user: str | None = None, password: str | None = None, smtputf8: bool = True
    ) -> None:
        self.port = free_port()
        self.refused: set[str] = set()
        self.refused_senders: set[str] = set()
        self.sender_reply: str | None = None  # answers MAIL FROM instead of "250 OK"
        self.mode = "ok"
        self.data_delay = 0.0  # seconds before answering DATA: a slow server
        self.on_accept: Callable[[], None] | None = None  # called once a message is taken
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._credentials = (user, password)
        # SMTPUTF8 (addresses with accents) is offered unless asked otherwise, as by aiosmtpd.
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
        if user is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **kwargs
        )
        self.running = False

    def _authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and (
                data.login.decode(),
                data.password.decode(),
            )
            == self._credentials
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        """Start listening on 127.0.0.1:``port``."""
        self._controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are then refused."""
        if self.running:
            self._controller.stop()
            self.running = False

    def refuse(self, *addresses: str) -> None:
        """Answer 550 to these recipients."""
        self.refused.update(address.lower() for address in addresses)

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, oldest first."""
        with self.lock:
            return [item.message for item in self.received]

    def smtp_settings(self, **overrides: Any) -> SmtpSettings:
        """SmtpSettings that send through this server, without TLS."""
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "from": "veille@example.org",
            "timeout": 5,
        }
        values.update(overrides)
        return SmtpSettings.model_validate(values)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
