"""The development SMTP server (aiosmtpd): it accepts every message and keeps it, in memory for the tests and in a
Maildir under the data folder (`<data>/inbox`) for the UI's development inbox. It relays nothing anywhere.

`python -m infra.mailserver` runs it on the address map's SMTP port until stopped (the launcher does this)."""

from __future__ import annotations

import email
import email.policy
import mailbox
import signal
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.common.settings import CommonSettings, ServiceAddresses


def inbox_dir(settings: CommonSettings | None = None) -> Path:
    """Where the development server keeps what it receives (the UI's development inbox reads it)."""
    return (settings or CommonSettings()).data_dir.resolve() / "inbox"


class Keeper:
    """An aiosmtpd handler keeping each message it receives."""

    def __init__(self, maildir: Path | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.arrival_times: list[float] = []  # time.monotonic() of each message's arrival, in order
        self.arrived = threading.Condition()
        self.maildir = mailbox.Maildir(maildir, create=True) if maildir else None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if self.maildir is not None:
            self.maildir.add(content)
        with self.arrived:
            self.arrival_times.append(time.monotonic())
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float) -> list[EmailMessage]:
        """Wait until at least `count` messages have arrived (or the time is up); returns them all."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


class MailServer:
    """aiosmtpd on its own thread and event loop."""

    def __init__(self, host: str, port: int, maildir: Path | None = None) -> None:
        self.keeper = Keeper(maildir)
        self.controller = Controller(self.keeper, hostname=host, port=port)
        self.host, self.port = host, port

    def start(self) -> MailServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main() -> None:
    addresses = ServiceAddresses()
    server = MailServer(addresses.host, addresses.smtp_port, inbox_dir()).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"development SMTP server on {addresses.host}:{addresses.smtp_port}, keeping mail in {inbox_dir()}",
          flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
