"""Event to email through the real broker: referral events published at a steady rate into the notifications
service (its own consumer, its delivery loop, SMTP to the development aiosmtpd server in its own process, as
`make run` starts it), each timed from publish to the email's arrival in the server's Maildir; beside it, the
floor: the same events timed from publish to a bare consumer runner's handler in the service's process.

    .venv/bin/python -m benchmarks.notifications [--count 200] [--rate 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from benchmarks.stats import latency_ms
from infra.broker import LocalBroker, free_port, port_open
from infra.mailserver import inbox_dir
from services.common.settings import CommonSettings
from services.messaging.broker import ensure_topics, make_producer
from services.messaging.consumer import ConsumerRunner
from services.messaging.contract import (
    EmployerSnapshotV1,
    EventEnvelope,
    EventType,
    OpportunitySnapshotV1,
    ReferralV1,
    Topic,
    make_event,
)
from services.messaging.sealing import InMemoryKeyRing, pseudonymise
from services.notifications import queue
from services.notifications.config import NotificationsSettings
from services.notifications.contacts import AdviserContact, InMemoryContacts, PersonContact
from services.notifications.main import create_app
from services.notifications.models import Message

TARGET_P50_SECONDS = 2.0


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _opportunity(employer_id: uuid.UUID) -> OpportunitySnapshotV1:
    today = dt.date.today()
    return OpportunitySnapshotV1(
        opportunity_id=uuid.uuid4(), employer_id=employer_id, type="apprenticeship", status="live",
        title="Trainee baker", description="Bake bread and cakes.", skills=["baking"], sector="catering_hospitality",
        level=2, postcode_district="SK1", latitude=53.41, longitude=-2.16, remote=False, hours_per_week=30,
        wage_per_hour=12.5, duration_months=12, positions=500, positions_filled=0,
        start_date=today + dt.timedelta(days=40), closing_date=today + dt.timedelta(days=20), min_age=16, max_age=24,
        requires_universal_credit=False,
    )


@contextmanager
def _mail_server(port: int, folder: Path) -> Iterator[Path]:
    """The development SMTP server in its own process (python -m infra.mailserver), keeping mail in a Maildir."""
    env = {**os.environ, "YG_SMTP_PORT": str(port), "YG_HOST": "127.0.0.1", "YG_DATA_DIR": str(folder)}
    process = subprocess.Popen([sys.executable, "-m", "infra.mailserver"], env=env, stdout=subprocess.DEVNULL)
    try:
        _wait(lambda: port_open("127.0.0.1", port), 30, "the SMTP server")
        yield inbox_dir(CommonSettings(data_dir=folder))
    finally:
        process.terminate()
        process.wait(timeout=10)


def _arrivals(maildir: Path) -> dict[str, float]:
    """When each address's email arrived: Maildir names start with the arrival time (seconds.M<microseconds>)."""
    found = {}
    for path in (maildir / "new").glob("*"):
        seconds, micro = path.name.split(".")[:2]  # e.g. 1796563084.M590390P17239Q1.host
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found[str(message["To"])] = int(seconds) + int(micro.lstrip("M").split("P")[0]) / 1e6
    return found


def run(*, count: int, rate: float, bootstrap_servers: str | None, database_url: str | None) -> dict[str, Any]:
    broker = None
    if bootstrap_servers is None:
        broker = LocalBroker(port=free_port(), log_path=Path(tempfile.mkdtemp()) / "tansu.log")
        broker.start()
        bootstrap_servers = broker.bootstrap_servers
    ensure_topics(bootstrap_servers)
    keys = InMemoryKeyRing()
    people = [uuid.uuid4() for _ in range(count)]
    contacts = InMemoryContacts(
        people={p: PersonContact(given_name="Sam", email=f"person-{i}@bench.example") for i, p in enumerate(people)},
        advisers={"adviser-bench": AdviserContact(name="Priya Shah", email="priya@hub.example", phone="0161 0")},
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    port = free_port()
    settings = NotificationsSettings(
        database_url=database_url or f"sqlite:///{folder / 'notifications.db'}",
        kafka_bootstrap_servers=bootstrap_servers, environment="test", smtp_port=port,
        consumer_group=f"bench-notifications-{uuid.uuid4().hex[:8]}",
    )
    floor: dict[str, float] = {}

    def record(events: Sequence[EventEnvelope]) -> None:
        now = time.time()
        for event in events:
            floor.setdefault(str(event.event_id), now)

    bare = ConsumerRunner(bootstrap_servers=bootstrap_servers, topics=[str(Topic.REFERRALS)],
                          group_id=f"bench-floor-{uuid.uuid4().hex[:8]}", handler=record)
    stop = threading.Event()
    producer = make_producer(bootstrap_servers, client_id="bench-notifications")
    try:
        with _mail_server(port, folder) as maildir:
            app = create_app(settings, keys=keys, contacts=contacts)
            with TestClient(app):
                bare_thread = bare.start(stop)
                _wait(lambda: app.state.consumer.assigned.is_set() and bare.assigned.is_set(), 60, "partitions")
                with app.state.session_factory() as session, session.begin():
                    for person in people:  # each has agreed to email, with no quiet hours (the run may be at night)
                        preference = queue.preference(session, queue.young_person(person), now=dt.datetime.now(dt.UTC))
                        preference.email, preference.quiet_hours = True, False
                employer_id = uuid.uuid4()
                opportunity = _opportunity(employer_id)
                for setup in (
                    make_event(EventType.EMPLOYER_REGISTERED, producer="bench", aggregate_id=str(employer_id),
                               aggregate_version=1, payload=EmployerSnapshotV1(
                                   employer_id=employer_id, name="Bench Bakery Ltd", sector="catering_hospitality",
                                   postcode_district="SK1", disability_confident=False, living_wage_employer=True,
                                   good_employment_charter=False)),
                    make_event(EventType.OPPORTUNITY_PUBLISHED, producer="bench",
                               aggregate_id=str(opportunity.opportunity_id), aggregate_version=1, payload=opportunity),
                ):
                    producer.send(str(setup.topic), key=setup.aggregate_id.encode(),
                                  value=setup.model_dump_json().encode())
                producer.flush()
                time.sleep(1.0)
                published: dict[str, float] = {}
                published_wall: dict[uuid.UUID, dt.datetime] = {}
                by_address: dict[str, str] = {}
                begin = time.time()
                for i, person in enumerate(people):
                    delay = begin + i / rate - time.time()
                    if delay > 0:
                        time.sleep(delay)
                    referral = ReferralV1(
                        referral_id=uuid.uuid4(), profile_id=person, opportunity_id=opportunity.opportunity_id,
                        employer_id=employer_id, opportunity_type="apprenticeship", adviser_id="adviser-bench",
                        status="referred", previous_status=None, changed_at=dt.datetime.now(dt.UTC))
                    personal = keys.issue(person)["personal"]
                    aggregate, wire = pseudonymise(EventType.REFERRAL_CREATED, referral, subject=personal.subject,
                                                   aggregate_id=str(referral.referral_id), key=None)
                    event = make_event(EventType.REFERRAL_CREATED, producer="bench", aggregate_id=aggregate,
                                       aggregate_version=1, payload=wire)
                    published[str(event.event_id)] = time.time()
                    published_wall[person] = dt.datetime.now(dt.UTC)
                    by_address[f"person-{i}@bench.example"] = str(event.event_id)
                    producer.send(str(Topic.REFERRALS), key=aggregate.encode(), value=event.model_dump_json().encode())
                    producer.flush()
                _wait(lambda: len(list((maildir / "new").glob("*"))) >= count, 120, "the emails")
                _wait(lambda: len(floor) >= count, 30, "the bare consumer")
                arrived = _arrivals(maildir)
                stop.set()
                bare_thread.join(timeout=20)
                with app.state.session_factory() as session:
                    rows = session.execute(select(Message.profile_id, Message.created_at, Message.sent_at)
                                           .where(Message.status == "sent")).all()
                to_queue = [(created - published_wall[pid]).total_seconds() for pid, created, _ in rows
                            if pid in published_wall]
                queue_to_sent = [(sent - created).total_seconds() for _, created, sent in rows if sent]
    finally:
        stop.set()
        producer.close()
        if broker is not None:
            broker.stop()
    to_email = [arrived[address] - published[event_id] for address, event_id in by_address.items()
                if address in arrived]
    to_consumer = [floor[event_id] - published[event_id] for event_id in published if event_id in floor]
    email_p50, email_p99 = latency_ms(to_email)
    queued_p50, queued_p99 = latency_ms(to_queue)
    sending_p50, sending_p99 = latency_ms(queue_to_sent)
    floor_p50, floor_p99 = latency_ms(to_consumer)
    return {"events": count, "rate_per_second": rate, "emails": len(to_email),
            "floor_p50_ms": floor_p50, "floor_p99_ms": floor_p99,
            "email_p50_ms": email_p50, "email_p99_ms": email_p99,
            "queued_p50_ms": queued_p50, "queued_p99_ms": queued_p99,
            "sending_p50_ms": sending_p50, "sending_p99_ms": sending_p99,
            "deliver_interval_seconds": settings.deliver_interval_seconds,
            "target_p50_met": email_p50 / 1000 < TARGET_P50_SECONDS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="referral events (one email each)")
    parser.add_argument("--rate", type=float, default=20.0, help="events published a second")
    parser.add_argument("--bootstrap-servers", default=None, help="a running broker (default: start Tansu)")
    parser.add_argument("--database-url", default=None, help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    result = run(count=args.count, rate=args.rate, bootstrap_servers=args.bootstrap_servers,
                 database_url=args.database_url)
    print(f"\nEvent to email through the broker: {result['events']} referral events at {result['rate_per_second']:g}/s,"
          f" {result['emails']} emails received")
    print(f"{'':<44}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'publish -> bare consumer runner (the floor)':<44}{result['floor_p50_ms']:>10.0f}"
          f"{result['floor_p99_ms']:>10.0f}")
    print(f"{'  of which publish -> queued (wall clock)':<44}{result['queued_p50_ms']:>10.0f}"
          f"{result['queued_p99_ms']:>10.0f}")
    print(f"{'  of which queued -> sent (wall clock)':<44}{result['sending_p50_ms']:>10.0f}"
          f"{result['sending_p99_ms']:>10.0f}")
    print(f"{'publish -> email received (SMTP)':<44}{result['email_p50_ms']:>10.0f}{result['email_p99_ms']:>10.0f}")
    print(f"email p50 / floor p50: {result['email_p50_ms'] / max(result['floor_p50_ms'], 0.001):.1f}x; "
          f"target p50 < {TARGET_P50_SECONDS:g} s: {'met' if result['target_p50_met'] else 'NOT met'} "
          f"(delivery loop polls every {result['deliver_interval_seconds']:g} s)")


if __name__ == "__main__":
    main()
