"""A profile created through the real profiles service (its outbox and relay, the real broker) shows up as a
candidate for a matching opportunity within seconds; erasing it there removes it here."""

from __future__ import annotations

import time

from services.profiles.config import ProfilesSettings
from services.profiles.main import create_app as create_profiles_app
from tests.matching.helpers import Matcher, profile_ids
from tests.support.databases import TestDatabases
from tests.support.events import opportunity_event, opportunity_snapshot
from tests.support.factories import profile_payload
from tests.support.keys import CONSUMER_KEYS, profiles_keys
from tests.support.services import bearer, client_for, running_relay
from tests.support.waiting import wait_for


def test_a_profile_registered_in_the_profiles_service_becomes_a_candidate_within_seconds(
    matcher: Matcher, databases: TestDatabases, bootstrap_servers: str, tmp_path
) -> None:
    job = opportunity_snapshot(title="Barista apprentice", description="Make coffee and serve customers in a cafe.",
                      skills=["customer service", "barista skills"], sector="hospitality")
    matcher.publish(opportunity_event(job))
    matcher.wait_known(job.opportunity_id)

    url = databases.new_url("profiles")
    settings = ProfilesSettings(database_url=url, kafka_bootstrap_servers=bootstrap_servers, data_dir=tmp_path)
    with (
        client_for(create_profiles_app(settings)) as profiles,
        CONSUMER_KEYS.attached(profiles_keys(profiles, settings, caller="matching")),
        running_relay("profiles", url, bootstrap_servers),
    ):
        adviser = bearer(settings, "adviser", "adviser-1")
        created = profiles.post(
            "/profiles",
            json=profile_payload(skills=["customer service", "barista skills"], interests=["coffee", "cafes"],
                                 about="Would love to work in a coffee shop."),
            headers=adviser,
        )
        assert created.status_code == 201, created.text
        profile_id = created.json()["id"]
        started = time.monotonic()
        wait_for(lambda: profile_id in profile_ids(matcher.candidates_for(job.opportunity_id, k=20)), timeout=15)
        seconds = time.monotonic() - started
        print(f"\nprofiles service -> relay -> broker -> matcher -> searchable in {seconds:.2f} s")
        match = next(m for m in matcher.candidates_for(job.opportunity_id, k=20)["matches"]
                     if m["profile_id"] == profile_id)
        assert match["explanation"]["matched_skills"] == ["customer service", "barista skills"]

        assert profiles.delete(f"/profiles/{profile_id}", headers=adviser).status_code == 204
        wait_for(lambda: profile_id not in profile_ids(matcher.candidates_for(job.opportunity_id, k=20)), timeout=15)
