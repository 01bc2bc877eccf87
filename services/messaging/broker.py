"""Kafka client construction and topic set-up (kafka-python 2.x; works with Apache Kafka and Tansu)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.common.settings import CommonSettings, InsecureConfiguration
from services.messaging.contract import ALL_TOPICS, dead_letter_topic

PARTITIONS = 3
# One partition whose first record names the log's current life (see services/messaging/epoch.py).
EPOCH_TOPIC = "yg.log-epoch"


# Every consumer accepts a fetch response as large as it may ask for: kafka-python refuses a frame over
# receive_message_max_bytes (1 MB by default) while asking for up to fetch_max_bytes (50 MB), so a fetch of large
# records over many partitions would fail again and again and the consumer would stall.
CONSUMER_LIMITS: dict[str, int] = {"fetch_max_bytes": 16 * 1024 * 1024, "receive_message_max_bytes": 64 * 1024 * 1024}


@dataclass(frozen=True)
class BrokerSecurity:
    """SASL/SCRAM credentials of this process's own principal (its ACLs name the topics it may read and write)."""

    protocol: str
    mechanism: str
    username: str
    password: str = field(repr=False)

    def options(self) -> dict[str, Any]:
        return {
            "security_protocol": self.protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }


def broker_security(settings: CommonSettings) -> BrokerSecurity | None:
    """The broker credentials in the settings; None for a PLAINTEXT broker."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    if not settings.kafka_username or settings.kafka_password is None:
        raise InsecureConfiguration("KAFKA_USERNAME and KAFKA_PASSWORD must be set for SASL")
    return BrokerSecurity(
        settings.kafka_security_protocol,
        settings.kafka_sasl_mechanism,
        settings.kafka_username,
        settings.kafka_password.get_secret_value(),
    )


def client_options(security: BrokerSecurity | None) -> dict[str, Any]:
    """Keyword arguments for any kafka-python client: the SASL settings, or none."""
    return security.options() if security is not None else {}


def every_topic() -> list[str]:
    """The contract's topics and their dead-letter topics."""
    return [name for topic in ALL_TOPICS for name in (str(topic), dead_letter_topic(topic))]


def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str] | None = None,
    partitions: int = PARTITIONS,
    security: BrokerSecurity | None = None,
) -> None:
    """Create topics that do not exist yet (by default the contract's, their dead-letter topics and the epoch's)."""
    wanted = [(name, partitions) for name in topics] if topics is not None else [
        *((name, partitions) for name in every_topic()), (EPOCH_TOPIC, 1)
    ]
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="yg-admin", request_timeout_ms=10000, **client_options(security)
    )
    try:
        for name, count in wanted:
            try:
                admin.create_topics([NewTopic(name, count, 1)])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def make_producer(bootstrap_servers: str, client_id: str, security: BrokerSecurity | None = None) -> KafkaProducer:
    """A producer that waits for all in-sync replicas and keeps per-key order across retries."""
    return KafkaProducer(
        **client_options(security),
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        retries=5,
        max_in_flight_requests_per_connection=1,
        linger_ms=2,
        request_timeout_ms=10000,
        max_block_ms=10000,
        reconnect_backoff_max_ms=2000,
    )


def broker_is_usable(bootstrap_servers: str, security: BrokerSecurity | None = None) -> str | None:
    """None when the broker answers a metadata request, else why not."""
    from kafka import KafkaClient

    client = None
    try:
        options = {"client_id": "yg-ready", "request_timeout_ms": 3000, **client_options(security)}
        client = KafkaClient(bootstrap_servers=bootstrap_servers, **options)
        if not client.check_version(timeout=3):
            return "broker: no answer"
        return None
    except Exception as exc:  # noqa: BLE001 - the reason is reported
        return f"broker: {type(exc).__name__}: {exc}"[:300]
    finally:
        if client is not None:
            client.close()
