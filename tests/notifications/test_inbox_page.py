"""The UI's development inbox page reads what the development SMTP server kept (a real aiosmtpd server, a real
SMTP send through the notifications service's channel), with no service running."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from infra.broker import free_port
from infra.mailserver import MailServer
from services.notifications.channels import Outgoing, SmtpChannel
from services.notifications.config import NotificationsSettings

APP = Path(__file__).resolve().parents[2] / "ui" / "streamlit" / "app.py"


def test_the_development_inbox_shows_what_the_smtp_server_received(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    with MailServer("127.0.0.1", port, tmp_path / "inbox") as server:
        channel = SmtpChannel(NotificationsSettings(smtp_port=port, environment="test"))
        for n in (1, 2):
            channel.send(Outgoing(f"m{n}", f"person{n}@example.org", f"Subject number {n}", f"Body {n}",
                                  "http://x.test/unsubscribe?token=abc"))
        channel.close()
        server.keeper.wait_for(2, timeout=10)
    monkeypatch.setenv("UI_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("YG_ENV", "development")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/dev_inbox.py").run()
    assert at.title[0].value == "Development inbox"
    labels = [expander.label for expander in at.expander]
    assert labels == ["Subject number 2 · to person2@example.org", "Subject number 1 · to person1@example.org"]
    at.text_input(key="inbox_to").input("person1").run()
    assert [expander.label for expander in at.expander] == ["Subject number 1 · to person1@example.org"]
