"""GOV.UK Notify, the production channel: skipped unless a key and a template are configured
(NOTIFICATIONS_GOVUK_NOTIFY_API_KEY, NOTIFICATIONS_GOVUK_NOTIFY_TEMPLATE_ID, and NOTIFY_TEST_EMAIL, an address the
key may send to: a team member's with a test key) and the `govuk` extra is installed."""

from __future__ import annotations

import os
import uuid

import pytest

from services.notifications.channels import GovukNotifyChannel, Outgoing, make_channel
from services.notifications.config import NotificationsSettings

pytestmark = pytest.mark.unit


def test_the_channel_is_chosen_by_settings_and_refuses_to_start_without_its_key() -> None:
    assert type(make_channel(NotificationsSettings(channel="smtp"))).__name__ == "SmtpChannel"
    with pytest.raises(ValueError, match="NOTIFICATIONS_GOVUK_NOTIFY_API_KEY"):
        make_channel(NotificationsSettings(channel="govuk_notify", govuk_notify_api_key=None))
    with pytest.raises(ValueError, match="NOTIFICATIONS_SMTP_HOST"):
        make_channel(NotificationsSettings(channel="smtp", environment="production", smtp_host="127.0.0.1"))
    with pytest.raises(ValueError, match="NOTIFICATIONS_SMTP_HOST"):
        make_channel(NotificationsSettings(channel="smtp", smtp_host=""))


@pytest.mark.skipif(not (os.environ.get("NOTIFICATIONS_GOVUK_NOTIFY_API_KEY") and os.environ.get("NOTIFY_TEST_EMAIL")),
                    reason="no GOV.UK Notify key configured (NOTIFICATIONS_GOVUK_NOTIFY_API_KEY, NOTIFY_TEST_EMAIL)")
def test_a_message_is_accepted_by_govuk_notify() -> None:
    pytest.importorskip("notifications_python_client", reason="install the govuk extra: pip install -e '.[govuk]'")
    channel = GovukNotifyChannel(NotificationsSettings(channel="govuk_notify"))
    channel.send(Outgoing(str(uuid.uuid4()), os.environ["NOTIFY_TEST_EMAIL"], "Youth Guarantee test",
                          "A test message from the notifications service's test suite.", "https://example.org/u"))
