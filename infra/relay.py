"""The relay process of the local stack: one OutboxRelay thread per producing service database."""

from __future__ import annotations

import signal
import threading

from services.common.db import make_engine
from services.common.observability import configure_logging
from services.common.settings import CommonSettings
from services.messaging.relay import OutboxRelay, run_relays


def producing_services() -> dict[str, str]:
    """Database URLs of the services that write an outbox (those that are built)."""
    from services.profiles.config import ProfilesSettings

    sources = {"profiles": ProfilesSettings().resolved_database_url()}
    try:
        from services.opportunities.config import OpportunitiesSettings
    except ImportError:
        return sources
    sources["opportunities"] = OpportunitiesSettings().resolved_database_url()
    return sources


def main() -> None:
    common = CommonSettings()
    configure_logging(common.log_level, common.log_json)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    relays = [
        OutboxRelay(source=name, engine=make_engine(url), bootstrap_servers=common.kafka_bootstrap_servers)
        for name, url in producing_services().items()
    ]
    run_relays(relays, stop)


if __name__ == "__main__":
    main()
