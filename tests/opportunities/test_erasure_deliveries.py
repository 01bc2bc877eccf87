"""The opportunities service's consumer, whatever the broker does to a clean sequence of profile events (each
delivered any number of times, published again under a new id, in any order, in batches of any size): an erased
person's referrals are withdrawn and unlinked once, their interests go, and nothing else moves, exactly as in one
clean in-order run."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from sqlalchemy import create_engine, func, select

from services.common.auth import Role
from services.messaging.consumer import transactional_handler
from services.messaging.contract import EventEnvelope, InvalidEvent, Topic, parse_event
from services.opportunities.consumer import apply_erasure, erasures_only
from services.opportunities.models import Interest, OutboxRecord, ProcessedEvent, Referral
from services.profiles.models import OutboxRecord as ProfilesOutbox
from tests.opportunities.conftest import ProfilesService
from tests.opportunities.harness import Harness
from tests.support.deliveries import DeliveryPlan, delivery_plans
from tests.support.services import bearer

GROUP = "opportunities-deliveries"
STORY_EVENTS = 5  # the third person's three events and the two erasures (the erased people's earlier rows are redacted)


@dataclass
class Story:
    """Three people referred to one opportunity, each interested in it; the third changes twice, the first two are
    erased."""

    people: list[str]
    events: list[EventEnvelope]


def tell(api: Harness, profiles: ProfilesService) -> Story:
    """The story told through the services' APIs; its events are those the profiles service staged (sealed as it
    seals them), read from its outbox."""
    employer = api.new_employer()["id"]
    job = api.live(employer)["id"]
    engine = create_engine(profiles.settings.database_url or "")
    with engine.connect() as connection:
        before = connection.scalar(select(func.max(ProfilesOutbox.id))) or 0
    people = [profiles.register() for _ in range(3)]
    for profile_id in people:
        assert api.refer(profile_id, job).status_code == 201
        assert api.client.post(f"/opportunities/{job}/interest", headers=api.person(profile_id)).status_code == 201
    adviser = bearer(profiles.settings, Role.ADVISER, "adviser-7")
    for skills in (["baking"], ["baking", "driving"]):
        assert httpx.patch(f"{profiles.url}/profiles/{people[2]}", json={"skills": skills}, headers=adviser,
                           timeout=10).status_code == 200
    profiles.erase(people[0])
    profiles.erase(people[1])
    with engine.connect() as connection:
        envelopes = connection.execute(select(ProfilesOutbox.envelope).where(
            ProfilesOutbox.id > before, ProfilesOutbox.topic == str(Topic.PROFILES))
            .order_by(ProfilesOutbox.id)).scalars().all()
    engine.dispose()
    events = []
    for envelope in envelopes:
        try:
            events.append(parse_event(json.dumps(envelope).encode()))
        except InvalidEvent:
            continue  # redacted by the erasure
    assert len(events) == STORY_EVENTS, [e.event_type for e in events]
    return Story(people, events)


def state_of(api: Harness, story: Story, referral_ids: dict[str, list[int]]) -> list[Any]:
    """Per person of the story, in order: their referrals' status, link, version and note, their interests, and
    how many events their referrals have in the outbox."""
    with api.engine.connect() as connection:
        view = []
        for profile_id in story.people:
            rows = connection.execute(select(Referral.status, Referral.profile_id, Referral.version, Referral.note)
                                      .where(Referral.id.in_(referral_ids[profile_id]))).all()
            interests = connection.scalar(select(func.count()).select_from(Interest)
                                          .where(Interest.profile_id == uuid.UUID(profile_id)))
            outbox = connection.scalar(select(func.count()).select_from(OutboxRecord).where(
                OutboxRecord.aggregate_id.in_([str(r) for r in referral_ids[profile_id]])))
            view.append(([(r.status, r.profile_id is None, r.version, r.note) for r in rows], interests, outbox))
        return view


def referrals_of(api: Harness, story: Story) -> dict[str, list[int]]:
    with api.engine.connect() as connection:
        return {p: list(connection.scalars(select(Referral.id).where(Referral.profile_id == uuid.UUID(p))))
                for p in story.people}


@given(plan=delivery_plans(STORY_EVENTS, max_batch=4))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_any_delivery_of_profile_events_forgets_the_erased_once(
    module_harness: Harness, profiles_service: ProfilesService, plan: DeliveryPlan
) -> None:
    api = module_harness
    handle = erasures_only(transactional_handler(api.client.app.state.session_factory,  # type: ignore[attr-defined]
                                                 ProcessedEvent, GROUP, apply_erasure))
    clean, noisy = tell(api, profiles_service), tell(api, profiles_service)
    clean_refs, noisy_refs = referrals_of(api, clean), referrals_of(api, noisy)
    for event in clean.events:
        handle([event])
    for batch in plan.batches(noisy.events):
        handle(batch)
    expected = state_of(api, clean, clean_refs)
    assert expected[0][0][0][:3] == ("withdrawn", True, 2) and expected[2][0][0][:3] == ("referred", False, 1)
    assert state_of(api, noisy, noisy_refs) == expected
