"""How an email leaves: SMTP (a mail relay, or the development server `make run` starts), or GOV.UK Notify."""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from services.notifications.config import NotificationsSettings


class SendFailed(Exception):
    """The channel did not take the message; it is tried again later."""


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    to: str
    subject: str
    body: str
    unsubscribe_url: str


class Channel(Protocol):
    def send(self, outgoing: Outgoing) -> None:
        """Hand the message on, or raise SendFailed."""

    def close(self) -> None:
        """Let go of any connection."""


class SmtpChannel:
    """SMTP with the one-click unsubscribe headers (RFC 8058) on every message. The connection is kept between
    messages (a new one per message held the queue to about 20 a second here) and made again when it has gone."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def build(self, outgoing: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.mail_from
        email["To"] = outgoing.to
        email["Subject"] = outgoing.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = make_msgid(idstring=outgoing.message_id, domain="youth-guarantee.example")
        email["X-YG-Message"] = outgoing.message_id
        email["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(outgoing.body)
        return email

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        return smtp

    def send(self, outgoing: Outgoing) -> None:
        email = self.build(outgoing)
        with self._lock:
            for fresh in (self._smtp is None, True):
                try:
                    if self._smtp is None:
                        self._smtp = self._connect()
                    self._smtp.send_message(email)
                    return
                except smtplib.SMTPServerDisconnected as exc:
                    self._drop()
                    if fresh:
                        raise SendFailed("SMTP: SMTPServerDisconnected") from exc
                except (OSError, smtplib.SMTPException) as exc:
                    self._drop()
                    raise SendFailed(f"SMTP: {type(exc).__name__}") from exc

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                try:
                    self._smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass
                self._smtp = None


class GovukNotifyChannel:
    """GOV.UK Notify through its Python client, with one template whose ((subject)) and ((body)) we fill."""

    def __init__(self, settings: NotificationsSettings) -> None:
        key = settings.govuk_notify_api_key.get_secret_value() if settings.govuk_notify_api_key else ""
        if not key or not settings.govuk_notify_template_id:
            raise ValueError("NOTIFICATIONS_GOVUK_NOTIFY_API_KEY and NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID must "
                             "be set for the govuk_notify channel")
        from notifications_python_client.notifications import NotificationsAPIClient  # an optional extra

        self._client: Any = NotificationsAPIClient(key)
        self._template = settings.govuk_notify_template_id

    def send(self, outgoing: Outgoing) -> None:
        try:
            self._client.send_email_notification(
                email_address=outgoing.to, template_id=self._template, reference=outgoing.message_id,
                personalisation={"subject": outgoing.subject, "body": outgoing.body},
            )
        except Exception as exc:  # the client raises its own HTTPError and requests' errors
            raise SendFailed(f"GOV.UK Notify: {type(exc).__name__}") from exc

    def close(self) -> None:
        pass


def make_channel(settings: NotificationsSettings) -> Channel:
    """The channel the settings name; outside development, SMTP must name a mail relay."""
    if settings.channel == "govuk_notify":
        return GovukNotifyChannel(settings)
    if not settings.smtp_host or (not settings.development_mode and settings.smtp_host in ("127.0.0.1", "localhost")):
        raise ValueError("NOTIFICATIONS_SMTP_HOST must name the mail relay outside development")
    return SmtpChannel(settings)
