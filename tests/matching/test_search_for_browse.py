"""Browse's semantic half: the opportunities service asks POST /search as a service, for opportunities only, and
gets each hit's cosine similarity (it keeps the strong ones and offers the weak ones as related results); and the
opportunities service's HTTP client reads that answer from the real matcher."""

from __future__ import annotations

from services.common.tokens import service_token_source
from services.opportunities.semantic import HttpSemanticSearch, SemanticQuery
from tests.matching.helpers import Matcher, opportunity_ids
from tests.support.events import opportunity_event, opportunity_snapshot


def test_a_service_searches_opportunities_by_meaning_with_their_similarity(matcher: Matcher) -> None:
    dental = opportunity_snapshot(title="Dental nurse trainee", skills=["infection control"], sector="health_science",
                                  description="Assist the dentist chairside, sterilise instruments, calm patients.")
    bakery = opportunity_snapshot(title="Trainee baker", skills=["baking"], sector="catering_hospitality",
                                  description="Bake bread and cakes in a high street bakery.")
    matcher.publish(opportunity_event(dental), opportunity_event(bakery))
    matcher.wait_known(dental.opportunity_id, bakery.opportunity_id)
    service = matcher.as_("service", "opportunities")
    search = {"text": "dentist", "target": "opportunities", "k": 50}
    found = matcher.client.post("/search", json=search, headers=service)
    assert found.status_code == 200, found.text
    matches = {m["opportunity_id"]: m["similarity"] for m in found.json()["matches"]}
    assert opportunity_ids(found.json())[0] == str(dental.opportunity_id)
    assert matches[str(dental.opportunity_id)] > matches[str(bakery.opportunity_id)]
    assert all(-1.0 <= similarity <= 1.0 for similarity in matches.values())
    assert matcher.client.post("/search", json={**search, "target": "profiles"}, headers=service).status_code == 403

    client = HttpSemanticSearch(
        "http://testserver", service_token_source(matcher.settings.service_signer("opportunities"), "matching"),
        timeout=5.0, transport=matcher.client._transport,
    )
    hits = client.search(SemanticQuery(text="dentist", sector="health_science"), k=10)
    assert hits is not None and hits[0].opportunity_id == dental.opportunity_id
    assert bakery.opportunity_id not in {hit.opportunity_id for hit in hits}  # the sector filter went with it
    assert hits[0].similarity == matches[str(dental.opportunity_id)]
