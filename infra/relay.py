"""The relay process of the local stack: one OutboxRelay thread per producing service database."""

from __future__ import annotations

import signal
import threading

from pydantic_settings import SettingsConfigDict

from services.common.db import make_engine
from services.common.observability import configure_logging
from services.common.settings import CommonSettings
from services.messaging.broker import broker_security
from services.messaging.relay import OutboxRelay, run_relays


class RelaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="RELAY_", populate_by_name=True, extra="ignore")

    # Which outboxes this relay publishes (all when empty): with broker ACLs, one relay per producer, each with
    # that producer's own principal, so each writes only its own topics.
    sources: list[str] = []


def producing_services() -> dict[str, str]:
    """Database URLs of the services that write an outbox (those that are built)."""
    from services.profiles.config import ProfilesSettings

    sources = {"profiles": ProfilesSettings().resolved_database_url()}
    try:
        from services.matching.config import MatchingSettings
        from services.opportunities.config import OpportunitiesSettings
    except ImportError:
        return sources
    sources["opportunities"] = OpportunitiesSettings().resolved_database_url()
    # The matcher's outbox: the suggestion lists it served, for the audit log.
    sources["matching"] = MatchingSettings().resolved_database_url()
    return sources


def main() -> None:
    settings = RelaySettings()
    configure_logging(settings.log_level, settings.log_json)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    relays = [
        OutboxRelay(
            source=name,
            engine=make_engine(url),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            security=broker_security(settings),
        )
        for name, url in producing_services().items()
        if not settings.sources or name in settings.sources
    ]
    run_relays(relays, stop)


if __name__ == "__main__":
    main()
