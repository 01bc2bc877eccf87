"""The notifications service end to end: events on the real broker, its own consumer, PostgreSQL, and a real SMTP
server (aiosmtpd on a free port) whose received messages are read back. The clock is injected: tests set it."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from infra.broker import free_port
from infra.mailserver import MailServer
from infra.seed.synthetic import birth_date_for_age, profile_snapshot
from services.common.auth import Role
from services.common.clock import FixedClock
from services.messaging.contract import EventEnvelope
from services.notifications import models, queue
from services.notifications.config import NotificationsSettings
from services.notifications.contacts import (
    AdviserContact,
    ClockRow,
    ContactsUnavailable,
    EmployerContact,
    InMemoryContacts,
    LapsedRow,
    PersonContact,
)
from services.notifications.main import create_app
from tests.support.databases import TestDatabases
from tests.support.events import (
    Employer,
    Referral,
    YoungPerson,
    employer_event,
    employer_snapshot,
    interest_event,
    opportunity_event,
    opportunity_snapshot,
    profile_event,
    reissued,
)
from tests.support.figures import report
from tests.support.keys import CONSUMER_KEYS
from tests.support.services import bearer, client_for
from tests.support.topics import TopicPublisher
from tests.support.waiting import wait_for

# A Monday at 10:00 in London, well away from quiet hours.
MONDAY = dt.datetime(2041, 12, 2, 10, 0, tzinfo=dt.UTC)
ADVISER = AdviserContact(name="Priya Shah", email="priya.shah@hub.example", phone="0161 000 0001")


@dataclass
class Service:
    app: FastAPI
    client: TestClient
    settings: NotificationsSettings
    clock: FixedClock
    contacts: InMemoryContacts
    mail: MailServer
    publisher: TopicPublisher

    def publish(self, *events: EventEnvelope) -> None:
        handled = self.app.state.consumer.handled
        self.publisher.publish(*events)
        wait_for(lambda: self.app.state.consumer.handled, until=lambda n: n >= handled + len(events),
                 what=f"the consumer to handle {len(events)} events", timeout=60)

    def headers(self, role: Role, sub: str) -> dict[str, str]:
        return bearer(self.settings, role, sub)

    def settle(self) -> None:
        """Wait until nothing due is left in the queue, then a little longer for the last send."""
        def due() -> int:
            with self.app.state.session_factory() as session:
                return session.scalar(select(func.count()).select_from(models.Message).where(
                    models.Message.status == "queued", models.Message.next_attempt_at <= self.clock.now())) or 0
        wait_for(due, until=lambda n: n == 0, what="the due messages to go", timeout=30)
        time.sleep(0.3)

    def mail_to(self, address: str, count: int | None = None, timeout: float = 20.0,
                about: str = "") -> list[EmailMessage]:
        """The messages received for `address` (with `about` in the subject): waiting until `count` have arrived
        when given."""
        def found() -> list[EmailMessage]:
            return [m for m in self.mail.keeper.messages if m["To"] == address and about in str(m["Subject"])]
        if count is not None:
            wait_for(found, until=lambda ms: len(ms) >= count, what=f"{count} emails", timeout=timeout)
        return found()

    def messages(self, cause_prefix: str) -> list[models.Message]:
        with self.app.state.session_factory() as session:
            return list(session.scalars(select(models.Message).where(models.Message.cause.startswith(cause_prefix))
                                        .order_by(models.Message.created_at, models.Message.cause)))

    def consent(self, person: uuid.UUID, **changes: Any) -> dict[str, Any]:
        response = self.client.patch("/preferences", json={"email": True, **changes},
                                     headers=self.headers(Role.YOUNG_PERSON, str(person)))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def service(databases: TestDatabases, bootstrap_servers: str, publisher: TopicPublisher) -> Iterator[Service]:
    port = free_port()
    settings = NotificationsSettings(
        database_url=databases.new_url("notifications"), kafka_bootstrap_servers=bootstrap_servers,
        consumer_group=f"notifications-test-{uuid.uuid4().hex[:8]}", environment="test", smtp_port=port,
        deliver_interval_seconds=0.05, sweep_interval_seconds=3600, public_url="http://notifications.test",
        search_text_by="words",  # no matcher here: tests/notifications/test_search_score.py runs one
    )
    clock = FixedClock(MONDAY)
    contacts = InMemoryContacts(advisers={"adviser-n1": ADVISER})
    with MailServer("127.0.0.1", port) as mail:
        app = create_app(settings, clock=clock, keys=CONSUMER_KEYS, contacts=contacts)
        with client_for(app) as client:
            wait_for(app.state.consumer.assigned.is_set, what="the consumer's partitions", timeout=60)
            yield Service(app, client, settings, clock, contacts, mail, publisher)


@pytest.fixture(autouse=True)
def monday(service: Service) -> None:
    service.clock.at = MONDAY


def new_person(service: Service, *, email: str | None = None, consent: bool = True, age: int = 19,
               adviser: str = "adviser-n1") -> YoungPerson:
    person = YoungPerson(adviser_id=adviser, registered_at=MONDAY - dt.timedelta(days=30))
    snapshot = profile_snapshot(profile_id=person.profile_id, status="neet", priority_groups=[],
                                date_of_birth=birth_date_for_age(age, MONDAY.date()), adviser_id=adviser,
                                registered_at=person.registered_at)
    person.version = 1
    service.contacts.people[person.profile_id] = PersonContact(
        given_name="Sam", email=email or f"sam-{person.profile_id.hex[:8]}@example.org")
    service.publish(profile_event(snapshot, 1, at=person.registered_at, keys=person.keys))
    if consent:
        service.consent(person.profile_id)
    return person


def new_employer(service: Service, name: str = "Stockport Bakery Ltd") -> Employer:
    employer = Employer()
    employer.version = 1
    service.contacts.employers[employer.employer_id] = EmployerContact(
        name=name, contact_email=f"jobs-{employer.employer_id.hex[:8]}@bakery.example")
    service.publish(employer_event(employer_snapshot(employer_id=employer.employer_id, name=name), 1))
    return employer


def publish_opportunity(service: Service, employer: Employer, **fields: Any) -> uuid.UUID:
    snapshot = opportunity_snapshot(employer_id=employer.employer_id, **fields)
    service.publish(opportunity_event(snapshot, 1, at=service.clock.now()))
    return snapshot.opportunity_id


def refer(service: Service, person: YoungPerson, employer: Employer, title: str = "Trainee baker") -> Referral:
    opportunity_id = publish_opportunity(service, employer, title=title, sector="catering_hospitality")
    return Referral(person, opportunity_id=opportunity_id, employer_id=employer.employer_id)


def test_ready_and_docs(service: Service) -> None:
    assert service.client.get("/ready").json()["status"] == "ready"
    assert service.client.get("/docs").status_code == 200


def test_referral_status_changes_reach_the_young_person_once(service: Service) -> None:
    person = new_person(service)
    address = service.contacts.people[person.profile_id].email
    assert address is not None
    employer = new_employer(service)
    referral = refer(service, person, employer)
    events = [referral.created(MONDAY), referral.moved("interviewing", MONDAY + dt.timedelta(hours=1))]
    service.publish(*events)
    received = service.mail_to(address, 2)
    subjects = sorted(str(m["Subject"]) for m in received)
    assert subjects == ["Stockport Bakery Ltd would like to interview you",
                        "You have been put forward for Trainee baker"]
    body = received[-1].get_content()
    assert "Hello Sam," in body and "Trainee baker" in body
    assert f"Your adviser is {ADVISER.name}" in body and ADVISER.email in body and ADVISER.phone in body
    assert str(received[0]["List-Unsubscribe"]).strip().startswith("<http://notifications.test/unsubscribe?token=")
    assert received[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The same events again (a redelivery) and the same changes under new event ids (a re-issue): nothing new.
    service.publish(*events, *[reissued(event) for event in events])
    service.settle()
    assert len(service.mail_to(address)) == 2
    report(f"notifications: referral status emails: 2 sent for 2 changes; after 4 more deliveries of them: "
           f"{len(service.mail_to(address))}")


def test_old_history_read_again_sends_nothing(service: Service) -> None:
    person = new_person(service)
    referral = refer(service, person, new_employer(service))
    service.publish(referral.created(MONDAY - dt.timedelta(days=4)))
    assert service.messages(f"referral:{referral.referral_id}") == []
    service.publish(referral.moved("applied", MONDAY - dt.timedelta(hours=1)))
    assert [m.params["status"] for m in service.messages(f"referral:{referral.referral_id}")] == ["applied"]


def test_nothing_to_a_young_person_who_has_not_agreed_to_email(service: Service) -> None:
    person = new_person(service, consent=False)
    address = service.contacts.people[person.profile_id].email
    referral = refer(service, person, new_employer(service))
    service.publish(referral.created(MONDAY))
    service.settle()
    assert service.mail_to(str(address)) == []
    listed = service.client.get("/messages", headers=service.headers(Role.YOUNG_PERSON, str(person.profile_id)))
    assert [(m["status"], m["reason"]) for m in listed.json()["items"]] == [("suppressed", "no consent to email")]
    preferences = service.client.get("/preferences",
                                     headers=service.headers(Role.YOUNG_PERSON, str(person.profile_id))).json()
    assert preferences["email"] is False and preferences["email_consented_at"] is None


def test_employer_reminded_then_adviser_told(service: Service) -> None:
    person = new_person(service)
    employer = new_employer(service, "Slow Replies Ltd")
    employer_address = service.contacts.employers[employer.employer_id].contact_email
    waiting = refer(service, person, employer, title="Shop assistant")
    answered = refer(service, new_person(service), employer, title="Stock assistant")
    service.publish(waiting.created(MONDAY), answered.created(MONDAY),
                    answered.moved("applied", MONDAY + dt.timedelta(days=2)))
    delivery = service.app.state.delivery

    def chased() -> list[str]:
        """The reminders and escalations queued for this test's two referrals."""
        return sorted(m.kind for r in (waiting, answered) for m in service.messages(f"referral:{r.referral_id}")
                      if m.kind != "referral_status")

    service.clock.at = MONDAY + dt.timedelta(days=13)  # 9 working days later
    delivery.sweep()
    assert chased() == []
    service.clock.at = MONDAY + dt.timedelta(days=14)  # 10 working days
    delivery.sweep()
    assert chased() == ["employer_reminder"]
    reminder = service.mail_to(employer_address, 1)
    assert len(reminder) == 1 and reminder[0]["Subject"] == "Please reply to a referral for Shop assistant"
    assert "10 working days" in reminder[0].get_content()
    assert ADVISER.name in reminder[0].get_content()

    service.clock.at = MONDAY + dt.timedelta(days=21)  # 15 working days
    delivery.sweep()
    assert chased() == ["adviser_escalation", "employer_reminder"]
    told = service.mail_to(ADVISER.email, 1, about="Slow Replies")
    assert [str(m["Subject"]) for m in told] == ["No answer from Slow Replies Ltd on Shop assistant"]
    assert str(waiting.referral_id) in told[0].get_content()

    delivery.sweep()  # once each
    service.settle()
    assert chased() == ["adviser_escalation", "employer_reminder"]
    assert len(service.mail_to(employer_address)) == 1
    assert len(service.mail_to(ADVISER.email, about="Slow Replies")) == 1
    rates = service.client.get("/employer-responses", params={"employer_id": str(employer.employer_id)},
                               headers=service.headers(Role.ADVISER, "adviser-n1"))
    assert rates.json()["items"] == [{"employer_id": str(employer.employer_id), "employer_name": "Slow Replies Ltd",
                                      "referrals": 2, "answered": 1, "response_rate": 0.5,
                                      "median_days_to_answer": 2.0}]
    assert service.client.get("/employer-responses", headers=service.headers(
        Role.EMPLOYER, str(employer.employer_id))).status_code == 403
    report("notifications: employer deadline: 0 at 9 working days, employer reminded at 10, adviser told at 15, "
           "the referral the employer answered: none")


def test_closing_date_reminders_a_week_and_two_days_before(service: Service) -> None:
    interested, referred, answered = (new_person(service) for _ in range(3))
    employer = new_employer(service, "Closing Soon Ltd")
    closes = MONDAY.date() + dt.timedelta(days=9)
    opportunity_id = publish_opportunity(service, employer, title="Kitchen porter", closing_date=closes)
    waiting = Referral(referred, opportunity_id=opportunity_id, employer_id=employer.employer_id)
    moved_on = Referral(answered, opportunity_id=opportunity_id, employer_id=employer.employer_id)
    service.publish(interest_event(interested.profile_id, opportunity_id=opportunity_id, at=MONDAY,
                                   keys=interested.keys),
                    waiting.created(MONDAY), moved_on.created(MONDAY), moved_on.moved("applied", MONDAY))
    delivery = service.app.state.delivery
    address = {p.profile_id: str(service.contacts.people[p.profile_id].email) for p in (interested, referred, answered)}

    def reminded() -> list[tuple[str, str]]:
        return sorted((m.cause.rsplit(":", 2)[1], m.cause.rsplit(":", 1)[1])
                      for m in service.messages(f"closing:{opportunity_id}"))

    delivery.sweep()
    assert reminded() == []
    service.clock.at = MONDAY + dt.timedelta(days=2)  # 7 days left
    delivery.sweep()
    delivery.sweep()
    assert reminded() == sorted([(str(interested.profile_id), "7"), (str(referred.profile_id), "7")])
    mail = service.mail_to(address[interested.profile_id], 1, about="closes")
    assert mail[0]["Subject"] == "Kitchen porter closes in 7 days"
    assert "You said you were interested in Kitchen porter at Closing Soon Ltd" in mail[0].get_content()
    assert "they have not answered" in service.mail_to(address[referred.profile_id], 1, about="closes")[0].get_content()
    service.clock.at = MONDAY + dt.timedelta(days=7)  # 2 days left
    delivery.sweep()
    assert len(reminded()) == 4
    assert [str(m["Subject"]) for m in service.mail_to(address[interested.profile_id], 2, about="closes")] == [
        "Kitchen porter closes in 7 days", "Kitchen porter closes in 2 days"]
    service.settle()
    assert service.mail_to(address[answered.profile_id], about="closes") == []
    report("notifications: closing-date reminders: 7 and 2 days before, to the interested and the unanswered "
           "referral (2 each), none to the person the employer answered")


def test_advisers_daily_digest_of_people_turning_at_risk_or_overdue(service: Service) -> None:
    new_person(service)  # adviser-n1 has people
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    caseload = [ClockRow(profile_id=first, status="at_risk", days_left=20),
                ClockRow(profile_id=second, status="overdue", days_left=-3)]
    service.contacts.caseloads["adviser-n1"] = caseload
    delivery = service.app.state.delivery
    try:
        service.clock.at = dt.datetime(2041, 12, 10, 7, 30, tzinfo=dt.UTC)  # before the digest hour
        delivery.sweep()
        assert service.messages("clocks:adviser-n1:") == []
        service.clock.at = dt.datetime(2041, 12, 10, 8, 0, tzinfo=dt.UTC)
        delivery.sweep()
        delivery.sweep()
        digest = service.mail_to(ADVISER.email, 1, about="Guarantee clock")
        assert [str(m["Subject"]) for m in digest] == ["Guarantee clock: 1 at risk, 1 overdue"]
        body = digest[0].get_content()
        assert f"/person?person={second}" in body and "3 days past the deadline" in body and "20 days left" in body
        assert body.index(str(second)) < body.index(str(first))  # overdue first

        service.clock.at = dt.datetime(2041, 12, 11, 8, 0, tzinfo=dt.UTC)  # the next day, nothing changed
        delivery.sweep()
        service.contacts.caseloads["adviser-n1"] = [
            ClockRow(profile_id=first, status="overdue", days_left=-1), caseload[1],
            ClockRow(profile_id=third, status="at_risk", days_left=25)]
        service.clock.at = dt.datetime(2041, 12, 11, 15, 0, tzinfo=dt.UTC)  # changes later that day: told then
        delivery.sweep()
        service.clock.at = dt.datetime(2041, 12, 11, 16, 0, tzinfo=dt.UTC)
        service.contacts.caseloads["adviser-n1"].append(ClockRow(profile_id=uuid.uuid4(), status="overdue",
                                                                 days_left=-9))
        delivery.sweep()  # at most one digest a day: this one waits for tomorrow
        later = service.mail_to(ADVISER.email, 2, about="Guarantee clock")
        assert [str(m["Subject"]) for m in later] == ["Guarantee clock: 1 at risk, 1 overdue"] * 2
        assert str(second) not in later[1].get_content() and str(third) in later[1].get_content()
        assert sorted(m.cause for m in service.messages("clocks:adviser-n1:")) == [
            "clocks:adviser-n1:2041-12-10", "clocks:adviser-n1:2041-12-11"]
    finally:
        service.contacts.caseloads.clear()
    report("notifications: adviser clock digest: day 1 two people (1 at risk, 1 overdue); day 2 nothing at 08:00, "
           "then the one turned overdue and one new at risk in the afternoon; at most one a day")


def test_advisers_daily_digest_of_people_whose_activity_lapsed_to_not_known(service: Service) -> None:
    new_person(service)
    new_person(service, adviser="adviser-n2")  # both advisers have people
    colleague = AdviserContact(name="Jo Price", email="jo.price@hub.example", phone="0161 000 0002")
    service.contacts.advisers["adviser-n2"] = colleague
    first, second, third, moved = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lapses = service.contacts.lapses
    lapses["adviser-n1"] = [LapsedRow(profile_id=second, since=dt.date(2041, 12, 10)),
                            LapsedRow(profile_id=first, since=dt.date(2041, 12, 9))]
    lapses["adviser-n2"] = [LapsedRow(profile_id=moved, since=dt.date(2041, 12, 8))]
    delivery = service.app.state.delivery
    try:
        service.clock.at = dt.datetime(2041, 12, 10, 7, 30, tzinfo=dt.UTC)  # before the digest hour
        delivery.sweep()
        assert service.messages("lapses:") == []
        service.clock.at = dt.datetime(2041, 12, 10, 8, 0, tzinfo=dt.UTC)
        delivery.sweep()
        delivery.sweep()
        digest = service.mail_to(ADVISER.email, 1, about="Activity not known")
        assert [str(m["Subject"]) for m in digest] == ["Activity not known: 2 people to trace"]
        body = digest[0].get_content()
        assert "not known since 9 December 2041: http://" in body and f"/activity?person={first}" in body
        assert body.index(str(first)) < body.index(str(second))  # longest not known first
        assert "Sam" not in body  # links, never names
        assert service.mail_to(colleague.email, 1, about="Activity not known")

        service.clock.at = dt.datetime(2041, 12, 11, 8, 0, tzinfo=dt.UTC)  # the next day, nothing new
        delivery.sweep()
        # Later that day: the second is traced, a third lapses, and `moved` joins adviser-n1's caseload.
        lapses["adviser-n1"] = [lapses["adviser-n1"][1], LapsedRow(profile_id=third, since=dt.date(2041, 12, 11)),
                                LapsedRow(profile_id=moved, since=dt.date(2041, 12, 8))]
        lapses["adviser-n2"] = []
        service.clock.at = dt.datetime(2041, 12, 11, 15, 0, tzinfo=dt.UTC)
        delivery.sweep()
        delivery.sweep()
        later = service.mail_to(ADVISER.email, 2, about="Activity not known")
        assert str(later[1]["Subject"]) == "Activity not known: 2 people to trace"
        told = later[1].get_content()
        assert str(third) in told and str(moved) in told and str(first) not in told

        service.clock.at = dt.datetime(2041, 12, 12, 8, 0, tzinfo=dt.UTC)  # the second lapses again
        lapses["adviser-n1"].append(LapsedRow(profile_id=second, since=dt.date(2041, 12, 12)))
        delivery.sweep()
        service.settle()
        assert sorted(m.cause for m in service.messages("lapses:")) == [
            "lapses:adviser-n1:2041-12-10", "lapses:adviser-n1:2041-12-11", "lapses:adviser-n1:2041-12-12",
            "lapses:adviser-n2:2041-12-10"]
        assert [item["profile_id"] for item in service.messages("lapses:adviser-n1:2041-12-12")[0].params["items"]
                ] == [str(second)]
    finally:
        lapses.clear()
        service.contacts.advisers.pop("adviser-n2", None)
    report("notifications: adviser lapse digest: day 1 two people; day 2 nothing at 08:00, then a new lapse and a "
           "person moved from another caseload; day 3 a person lapsed again; at most one a day per adviser")


def save_search(service: Service, role: Role, sub: str, **body: Any) -> dict[str, Any]:
    response = service.client.post("/searches", json=body, headers=service.headers(role, sub))
    assert response.status_code == 201, response.text
    return response.json()


def test_instant_alert_and_one_click_unsubscribe(service: Service) -> None:
    person = new_person(service)
    address = str(service.contacts.people[person.profile_id].email)
    search = save_search(service, Role.YOUNG_PERSON, str(person.profile_id), name="Baking", text="bread",
                         frequency="instant", filters={"sectors": ["catering_hospitality"]})
    employer = new_employer(service)
    publish_opportunity(service, employer, title="Bread baker", sector="catering_hospitality")
    publish_opportunity(service, employer, title="Bread van driver", sector="transport_logistics")  # filter says no
    publish_opportunity(service, employer, title="Cake decorator", sector="catering_hospitality")  # text says no
    alert = service.mail_to(address, 1)
    assert alert[0]["Subject"] == "New: Bread baker"
    assert '"Baking"' in alert[0].get_content()
    link = urlparse(str(alert[0]["List-Unsubscribe"]).strip().strip("<>"))
    page = service.client.get(f"{link.path}?{link.query}")  # what a person (or a mail scanner) opens
    assert page.status_code == 200 and "Stop these emails?" in page.text and "&quot;Baking&quot;" in page.text
    listed = service.client.get("/searches", headers=service.headers(Role.YOUNG_PERSON, str(person.profile_id)))
    assert [(s["id"], s["active"]) for s in listed.json()["items"]] == [(search["id"], True)], "opening changes nothing"
    answer = service.client.post(f"{link.path}?{link.query}").json()  # the button, or a mail client's one-click
    assert answer == {"unsubscribed": 'alerts for the saved search "Baking"'}
    listed = service.client.get("/searches", headers=service.headers(Role.YOUNG_PERSON, str(person.profile_id)))
    assert [(s["id"], s["active"]) for s in listed.json()["items"]] == [(search["id"], False)]
    publish_opportunity(service, employer, title="Bread baker (second shift)", sector="catering_hospitality")
    service.settle()
    assert len(service.mail_to(address)) == 1


def test_digest_batches_several_and_under_18s_default_to_weekly(service: Service) -> None:
    person = new_person(service, age=17)
    address = str(service.contacts.people[person.profile_id].email)
    search = save_search(service, Role.YOUNG_PERSON, str(person.profile_id), name="Gardening", text="garden")
    assert search["frequency"] == "weekly"
    save_search(service, Role.YOUNG_PERSON, str(person.profile_id), name="Outdoors", text="outdoor")
    employer = new_employer(service)
    titles = ["Garden centre assistant", "Garden maintenance trainee", "Outdoor garden builder"]
    for title in titles:
        publish_opportunity(service, employer, title=title, sector="catering_hospitality")
    delivery = service.app.state.delivery
    digests = f"digest:{queue.young_person(person.profile_id)}:"
    delivery.sweep()
    assert service.messages(digests) == []
    service.settle()
    assert service.mail_to(address) == []
    service.clock.at = dt.datetime(2041, 12, 9, 8, 0, tzinfo=dt.UTC)  # next Monday, 08:00 in London
    delivery.sweep()
    assert len(service.messages(digests)) == 1
    digest = service.mail_to(address, 1)
    assert digest[0]["Subject"] == "3 new opportunities for your saved searches"
    body = digest[0].get_content()
    assert all(title in body for title in titles) and body.count("Outdoor garden builder") == 1
    delivery.sweep()
    assert len(service.messages(digests)) == 1
    service.settle()
    assert len(service.mail_to(address)) == 1
    report("notifications: weekly digest for an under-18: 3 matches of 2 searches (one matched both) in 1 email")


def test_quiet_hours_hold_mail_until_morning(service: Service) -> None:
    service.clock.at = dt.datetime(2041, 12, 2, 22, 30, tzinfo=dt.UTC)
    person = new_person(service)
    address = str(service.contacts.people[person.profile_id].email)
    referral = refer(service, person, new_employer(service))
    service.publish(referral.created(service.clock.now()))
    service.settle()
    assert service.mail_to(address) == []
    held = service.messages(f"referral:{referral.referral_id}")
    assert [m.status for m in held] == ["queued"]
    assert held[0].next_attempt_at == dt.datetime(2041, 12, 3, 8, 0, tzinfo=dt.UTC)
    service.clock.at = dt.datetime(2041, 12, 3, 8, 0, tzinfo=dt.UTC)
    assert len(service.mail_to(address, 1)) == 1


def test_erasure_deletes_searches_preferences_and_queued_mail(service: Service) -> None:
    service.clock.at = dt.datetime(2041, 12, 2, 23, 0, tzinfo=dt.UTC)  # quiet hours: the mail stays queued
    person = new_person(service)
    address = str(service.contacts.people[person.profile_id].email)
    save_search(service, Role.YOUNG_PERSON, str(person.profile_id), name="Anything", text="",
                frequency="instant")
    referral = refer(service, person, new_employer(service))
    service.publish(referral.created(service.clock.now()))
    held = service.messages(f"referral:{referral.referral_id}")
    assert len(held) == 1
    with service.app.state.session_factory() as session, session.begin():
        session.add(models.LapseSeen(profile_id=person.profile_id, adviser_id="adviser-n1", since=dt.date(2041, 12, 1)))

    def held_of_them() -> dict[str, int]:
        with service.app.state.session_factory() as session:
            return {model.__tablename__: session.scalar(select(func.count()).select_from(model).where(
                model.profile_id == person.profile_id)) or 0  # type: ignore[attr-defined]
                for model in (models.Message, models.SavedSearch, models.Preference, models.DigestItem,
                              models.Person, models.LapseSeen)}
    before = held_of_them()
    assert before["messages"] == 2 and before["saved_searches"] == 1 and before["preferences"] == 1
    assert before["lapses_seen"] == 1
    service.publish(person.erased(service.clock.now()))
    assert held_of_them() == dict.fromkeys(before, 0)
    service.clock.at = dt.datetime(2041, 12, 3, 9, 0, tzinfo=dt.UTC)
    service.settle()
    assert service.mail_to(address) == []
    report(f"notifications: erasure removed {sum(before.values())} rows of one person "
           f"({', '.join(f'{k} {v}' for k, v in before.items() if v)}); nothing sent after")


def test_preferences_are_each_persons_own_and_bad_input_names_the_field(service: Service) -> None:
    assert service.client.get("/preferences").status_code == 401
    token = service.headers(Role.SERVICE, "opportunities")
    assert service.client.get("/preferences", headers=token).status_code == 403
    assert service.client.get("/preferences", headers=service.headers(Role.EMPLOYER, "not-an-id")).status_code == 403
    response = service.client.patch("/preferences", json={"frequency": "hourly"},
                                    headers=service.headers(Role.ADVISER, "adviser-n1"))
    assert response.status_code == 422 and "frequency" in str(response.json()["detail"][0]["loc"])
    response = service.client.post("/searches", json={"name": "x", "filters": {"types": ["astronaut"]}},
                                   headers=service.headers(Role.ADVISER, "adviser-n1"))
    assert response.status_code == 422 and "types" in str(response.json()["detail"][0]["loc"])
    assert service.client.get("/unsubscribe", params={"token": "x" * 30}).status_code == 404
    assert service.client.get("/unsubscribe", params={"token": "x"}).status_code == 422


class FlakyChannel:
    """Refuses the first `failures` sends, then hands each message to the real SMTP server."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real, self.failures, self.calls = real, failures, 0

    def send(self, outgoing: Any) -> None:
        from services.notifications.channels import SendFailed
        self.calls += 1
        if self.calls <= self.failures:
            raise SendFailed("SMTP: ConnectionRefusedError")
        self.real.send(outgoing)

    def close(self) -> None:
        self.real.close()


def test_retries_back_off_then_dead_letter(service: Service, databases: TestDatabases) -> None:
    from services.common.app_state import attach_database
    from services.notifications.channels import SmtpChannel
    from services.notifications.delivery import Delivery
    from services.notifications.main import MIGRATIONS
    from services.notifications.queue import enqueue

    settings = service.settings.model_copy(update={"database_url": databases.new_url("notifications_retry"),
                                                   "max_attempts": 3, "backoff_seconds": 10.0})
    holder = FastAPI()
    attach_database(holder, settings.resolved_database_url(), MIGRATIONS, settings)
    clock = FixedClock(MONDAY)
    employer_id = uuid.uuid4()
    contacts = InMemoryContacts(employers={employer_id: EmployerContact(name="Retry Ltd",
                                                                        contact_email="jobs@retry.example")})
    params = {"referral_id": str(uuid.uuid4()), "opportunity_id": str(uuid.uuid4()), "referred_on": "2041-11-18",
              "adviser_id": None, "title": "Porter", "employer": "Retry Ltd", "working_days": 10}
    flaky = FlakyChannel(SmtpChannel(settings), failures=2)
    delivery = Delivery(holder.state.session_factory, flaky, contacts, settings, clock)
    with holder.state.session_factory() as session, session.begin():
        recovers = enqueue(session, cause="test:recovers", kind="employer_reminder",
                           recipient=f"employer:{employer_id}", params=params, now=clock.now())
        assert recovers is not None
        recovers_id = recovers.id
    assert delivery.deliver_one(recovers_id) == "queued"  # failed once: next try in 10 s
    assert delivery.deliver_due() == {}
    clock.advance(seconds=10)
    assert delivery.deliver_due() == {"queued": 1}  # failed twice: next in 20 s
    clock.advance(seconds=19)
    assert delivery.deliver_due() == {}
    clock.advance(seconds=1)
    assert delivery.deliver_due() == {"sent": 1}
    assert len(service.mail_to("jobs@retry.example", 1)) == 1

    flaky.failures, flaky.calls = 10, 0
    with holder.state.session_factory() as session, session.begin():
        gives_up = enqueue(session, cause="test:gives-up", kind="employer_reminder",
                           recipient=f"employer:{employer_id}", params=params, now=clock.now())
        assert gives_up is not None
        gives_up_id = gives_up.id
    outcomes = []
    for _ in range(3):
        outcomes.append(delivery.deliver_one(gives_up_id))
        clock.advance(seconds=60)
    assert outcomes == ["queued", "queued", "dead"]
    with holder.state.session_factory() as session:
        dead = session.get(models.DeadLetter, gives_up_id)
        assert dead is not None and dead.attempts == 3 and dead.error == "SMTP: ConnectionRefusedError"
    assert len(service.mail_to("jobs@retry.example")) == 1

    class AwayContacts(InMemoryContacts):
        def employer(self, employer_id: uuid.UUID) -> EmployerContact | None:
            raise ContactsUnavailable("ConnectError for employers")

    away = Delivery(holder.state.session_factory, flaky, AwayContacts(), settings, clock)
    with holder.state.session_factory() as session, session.begin():
        waits = enqueue(session, cause="test:waits", kind="employer_reminder",
                        recipient=f"employer:{employer_id}", params=params, now=clock.now())
        assert waits is not None
        waits_id = waits.id
    assert away.deliver_due() == {"waiting": 1}
    assert away.deliver_due() == {}  # not due again for 30 s
    for _ in range(10):  # a long outage: it waits, never dead-lettered
        clock.advance(seconds=30)
        assert away.deliver_due() == {"waiting": 1}
    with holder.state.session_factory() as session:
        waiting = session.get(models.Message, waits_id)
        assert waiting is not None and waiting.status == "queued" and waiting.attempts == 0
    holder.state.engine.dispose()
    report("notifications: retries: sent on the 3rd try after backoffs of 10 s and 20 s; "
           "3 failures -> dead-letter table")


def test_the_notifications_service_reads_the_list_of_clocks_and_nothing_else_at_events(
    databases: TestDatabases,
) -> None:
    from services.events.config import EventsSettings
    from services.events.main import create_app as create_events_app

    settings = EventsSettings(database_url=databases.new_url("events_scope"), consume=False, environment="test")
    with client_for(create_events_app(settings, keys=CONSUMER_KEYS)) as events:
        token = bearer(settings, Role.SERVICE, "notifications")
        assert events.get("/guarantee", params={"adviser": "adviser-n1", "status": "at_risk"},
                          headers=token).status_code == 200
        refused = {path: events.get(path, headers=token).status_code
                   for path in ("/events", "/guarantee/summary", "/stats", f"/guarantee/{uuid.uuid4()}")}
        assert set(refused.values()) == {403}, refused


def test_the_notifications_service_reads_whose_activity_lapsed_at_profiles(databases: TestDatabases,
                                                                           tmp_path) -> None:
    from services.common.tokens import service_token_source
    from services.notifications.contacts import HttpContacts
    from services.profiles.config import ProfilesSettings
    from services.profiles.main import create_app as create_profiles_app
    from tests.support.factories import profile_payload
    from tests.support.live_server import live_server

    settings = ProfilesSettings(database_url=databases.new_url("profiles_lapsed"), environment="test",
                                data_dir=tmp_path, lapse_job=False)
    clock = FixedClock(MONDAY)
    with live_server(create_profiles_app(settings, clock=clock)) as url:
        born = birth_date_for_age(19, MONDAY.date()).isoformat()
        registered = httpx.post(f"{url}/profiles", json=profile_payload(status="neet", date_of_birth=born),
                                headers=bearer(settings, Role.ADVISER, "adviser-n1"))
        assert registered.status_code == 201, registered.text
        signer = NotificationsSettings(environment="test").service_signer("notifications")
        contacts = HttpContacts((url, service_token_source(signer, "profiles")), ("http://unused", str),
                                ("http://unused", str))
        try:
            assert contacts.lapsed("adviser-n1") == []
            clock.advance(days=31)
            assert contacts.lapsed("adviser-n1") == [LapsedRow(profile_id=uuid.UUID(registered.json()["id"]),
                                                               since=(MONDAY + dt.timedelta(days=31)).date())]
            assert contacts.lapsed("adviser-nobody") == []
        finally:
            contacts.close()
