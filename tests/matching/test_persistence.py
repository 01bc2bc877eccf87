"""The saved index: erasure leaves no trace of the person in results or saved files; a restart resumes from
the saved positions without embedding again; an unusable saved state is rebuilt from the topics."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest

from infra.broker import LocalBroker, free_port
from services.matching.embedder import MODEL_NAME, Embedder
from services.matching.persistence import hnsw_loader, load
from services.matching.runtime import index_params, rebuild_from_topics
from tests.matching.conftest import matcher_settings, running_matcher
from tests.matching.helpers import CountingEmbedder, HashingEmbedder, Matcher, opportunity_ids, person, profile_ids
from tests.support.events import KEYS, opportunity_event, opportunity_snapshot, profile_erased_event, profile_event
from tests.support.topics import TopicPublisher
from tests.support.waiting import wait_for


def saved_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file())


def test_erasure_removes_the_person_from_results_and_from_the_saved_index(matcher: Matcher) -> None:
    job = opportunity_snapshot()
    leaving, staying = person(about="Erase me later."), person()
    matcher.publish(opportunity_event(job), profile_event(leaving), profile_event(staying))
    matcher.wait_known(job.opportunity_id, leaving.profile_id, staying.profile_id)
    state, runtime = matcher.runtime.state, matcher.runtime
    assert state is not None
    row = state.profiles.row_of(leaving.profile_id)
    assert row is not None
    vector = state.profiles.index.vector(row)
    assert vector is not None
    stored = vector.astype(np.float16).tobytes() if state.profiles.index.stats()["storage"] == "fp16" \
        else vector.tobytes()
    runtime.save_now()
    before = saved_bytes(runtime.index_dir)
    assert stored in before and str(leaving.profile_id).encode() in before  # the check can fail
    assert str(leaving.profile_id) in profile_ids(matcher.candidates_for(job.opportunity_id, k=50))

    matcher.publish(profile_erased_event(leaving.profile_id, version=2))
    wait_for(lambda: state.is_erased(leaving.profile_id))
    candidates = profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
    assert str(leaving.profile_id) not in candidates and str(staying.profile_id) in candidates
    adviser = matcher.as_("adviser")
    assert matcher.client.get(f"/profiles/{leaving.profile_id}/matches", headers=adviser).status_code == 404

    def saved_without_them() -> bool:
        data = saved_bytes(runtime.index_dir)
        return stored not in data and str(leaving.profile_id).encode() not in data \
            and leaving.profile_id.bytes not in data
    wait_for(saved_without_them, timeout=10)  # erasure triggers a save at once, and old snapshots are deleted

    # A late or replayed event of the erased person cannot bring them back.
    matcher.publish(profile_event(leaving, version=1), profile_event(leaving, version=3))
    marker = opportunity_snapshot()
    matcher.publish(opportunity_event(marker))
    matcher.wait_known(marker.opportunity_id)
    wait_for(lambda: matcher.runtime.feed is not None and matcher.runtime.feed.lag() == 0)
    assert state.profiles.get(leaving.profile_id) is None
    assert str(leaving.profile_id) not in profile_ids(matcher.candidates_for(job.opportunity_id, k=50))


@pytest.fixture
def own_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_restart_resumes_from_the_saved_index_without_embedding_again(
    bootstrap_servers: str, embedder: Embedder, publisher: TopicPublisher, own_dir: Path
) -> None:
    # Counts the texts the index embeds; skill concepts (phrases embedded for reasons at query time) are off.
    settings = matcher_settings(bootstrap_servers, own_dir, concepts=False)
    job = opportunity_snapshot()
    people = [person() for _ in range(3)]
    first = CountingEmbedder(embedder)
    with running_matcher(settings, first, publisher) as matcher:
        matcher.publish(opportunity_event(job), *(profile_event(p) for p in people))
        matcher.wait_known(job.opportunity_id, *(p.profile_id for p in people))
        assert first.texts >= 4
        handled_before = matcher.runtime.feed.handled if matcher.runtime.feed else 0
        assert handled_before >= 4
    # Leaving the context stopped the service, which saved the index with the positions it reflects.

    second = CountingEmbedder(embedder)
    with running_matcher(settings, second, publisher) as matcher:
        assert matcher.runtime.origin == "saved index"
        assert matcher.client.get("/ready").status_code == 200
        found = profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
        assert {str(p.profile_id) for p in people} <= set(found)
        assert str(job.opportunity_id) in opportunity_ids(matcher.matches_for(people[0].profile_id))
        feed = matcher.runtime.feed
        assert feed is not None
        wait_for(lambda: feed.lag() == 0)
        assert second.texts == 0, "nothing already indexed is embedded again"
        assert feed.handled == 0, "the feed resumed at the saved positions, not from the start"

        newcomer = person()
        matcher.publish(profile_event(newcomer))
        matcher.wait_known(newcomer.profile_id)
        assert second.texts == 1 and feed.handled == 1


def test_after_a_restart_the_phrases_of_what_is_held_are_embedded_before_any_request(
    bootstrap_servers: str, publisher: TopicPublisher, own_dir: Path
) -> None:
    settings = matcher_settings(bootstrap_servers, own_dir)
    job = opportunity_snapshot(title="Trainee florist", skills=["flower arranging"])
    young = person(skills=["watering plants"], interests=["gardening"])
    with running_matcher(settings, HashingEmbedder(), publisher) as matcher:
        matcher.publish(opportunity_event(job), profile_event(young))
        matcher.wait_known(job.opportunity_id, young.profile_id)
    second = HashingEmbedder()
    with running_matcher(settings, second, publisher) as matcher:
        assert matcher.runtime.origin == "saved index"
        wait_for(lambda: {"trainee florist", "flower arranging", "watering plants", "gardening"} <= set(second.texts),
                 what="the held opportunity's and person's phrases embedded at start")
        wait_for(lambda: matcher.client.get("/ready").json()["phrases_warming"] is False,
                 what="/ready saying the phrases are embedded")
        embedded = len(second.texts)
        matcher.matches_for(young.profile_id)
        matcher.candidates_for(job.opportunity_id)
        assert len(second.texts) == embedded, "the requests found every phrase they compare already embedded"


def test_an_unusable_saved_state_is_rebuilt_from_the_topics(
    bootstrap_servers: str, embedder: Embedder, publisher: TopicPublisher, own_dir: Path
) -> None:
    settings = matcher_settings(bootstrap_servers, own_dir)
    job = opportunity_snapshot()
    young = person()
    with running_matcher(settings, CountingEmbedder(embedder), publisher) as matcher:
        matcher.publish(opportunity_event(job), profile_event(young))
        matcher.wait_known(job.opportunity_id, young.profile_id)
    current = settings.resolved_index_dir() / (settings.resolved_index_dir() / "CURRENT").read_text()
    (current / "meta.json").write_text("{ truncated")

    counting = CountingEmbedder(embedder)
    with running_matcher(settings, counting, publisher) as matcher:
        assert matcher.runtime.origin.startswith("rebuilt from the topics")
        assert str(young.profile_id) in profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
        assert counting.texts >= 2


def test_reindex_rebuilds_the_saved_index_from_the_topics(
    bootstrap_servers: str, embedder: Embedder, publisher: TopicPublisher, own_dir: Path
) -> None:
    job = opportunity_snapshot()
    young = person()
    gone = person()
    publisher.publish(opportunity_event(job), profile_event(young), profile_event(gone),
                      profile_erased_event(gone.profile_id, 2))
    settings = matcher_settings(bootstrap_servers, own_dir)
    summary = rebuild_from_topics(settings, CountingEmbedder(embedder), keys=KEYS, timeout=120)
    assert summary["records"] >= 4

    state, meta = load(settings.resolved_index_dir(), model=MODEL_NAME, dim=embedder.dim,
                       load_index=hnsw_loader(**index_params(settings)),
                       looking_statuses=settings.looking_statuses)
    assert state.opportunities.get(job.opportunity_id) is not None
    assert state.profiles.get(young.profile_id) is not None
    # the erased person's events could not be opened: nothing of them is in the rebuilt index, not even their id
    assert state.profiles.get(gone.profile_id) is None and str(gone.profile_id) not in json.dumps(meta)
    assert summary["unreadable"] >= 2
    assert meta["positions"], "the saved index records the positions it reflects"


def test_after_a_broker_restart_the_saved_positions_are_not_trusted(
    embedder: Embedder, tmp_path: Path, own_dir: Path
) -> None:
    """Tansu keeps topics in memory: after a restart the offsets start again, and the saved positions would
    skip new events. The feed notices the log is not the one it saved and replays it (versions absorb it)."""
    broker = LocalBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    broker.start()
    try:
        publisher = TopicPublisher(broker.bootstrap_servers)
        settings = matcher_settings(broker.bootstrap_servers, own_dir)
        job = opportunity_snapshot()
        before = [person() for _ in range(5)]
        with running_matcher(settings, CountingEmbedder(embedder), publisher) as matcher:
            publisher.publish(opportunity_event(job), *(profile_event(p) for p in before))
            matcher.wait_known(job.opportunity_id, *(p.profile_id for p in before))
        publisher.close()
        broker.stop()
        broker.start()  # empty topics: a producer's relay would republish; here one new event arrives first
        publisher = TopicPublisher(broker.bootstrap_servers)
        after = person()
        publisher.publish(profile_event(after))
        with running_matcher(settings, CountingEmbedder(embedder), publisher) as matcher:
            assert matcher.runtime.origin == "saved index"
            matcher.wait_known(after.profile_id, timeout=20)
            assert matcher.runtime.feed is not None and matcher.runtime.feed.replayed_from_start
            found = profile_ids(matcher.candidates_for(job.opportunity_id, k=50))
            assert {str(p.profile_id) for p in [*before, after]} <= set(found)
        publisher.close()
    finally:
        broker.stop()


def test_saving_encodes_each_facts_once_and_never_while_holding_the_state_lock(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Match requests take the state lock on the event loop: a save must not keep it while it serialises. Facts are
    frozen, so each is encoded once however many saves follow; a new version is encoded again."""
    from services.matching import facts as facts_module

    state = matcher.runtime.state
    assert state is not None
    encoded: list[tuple[uuid.UUID, int, bool]] = []
    real_to_json = facts_module.to_json

    def held_by_another_thread_view() -> bool:
        """Whether another thread (a request) would have to wait for the lock now (it is reentrant, so ask from
        another thread)."""
        got: list[bool] = []

        def attempt() -> None:
            got.append(state.lock.acquire(blocking=False))
            if got[0]:
                state.lock.release()

        probe = threading.Thread(target=attempt)
        probe.start()
        probe.join()
        return not got[0]

    def watching(facts):  # type: ignore[no-untyped-def]
        encoded.append((facts.key, facts.version, held_by_another_thread_view()))
        return real_to_json(facts)

    monkeypatch.setattr(facts_module, "to_json", watching)
    job, someone = opportunity_snapshot(), person()
    matcher.publish(opportunity_event(job), profile_event(someone))
    matcher.wait_known(job.opportunity_id, someone.profile_id)
    for _ in range(3):
        matcher.runtime.save_now()
    mine = [(key, version) for key, version, _ in encoded if key in {job.opportunity_id, someone.profile_id}]
    print(f"facts encoded: {len(encoded)}, with the lock held: {sum(held for *_, held in encoded)}; "
          f"the two new ones: {mine}")
    assert sorted(mine) == sorted([(job.opportunity_id, 1), (someone.profile_id, 1)])
    assert not any(held for *_, held in encoded)

    changed = someone.model_copy(update={"skills": ["baking"]})
    matcher.publish(profile_event(changed, version=2))
    wait_for(lambda: (facts := state.profiles.get(someone.profile_id)) is not None and facts.version == 2,
             timeout=20, what="the new version applied")
    matcher.runtime.save_now()
    assert [version for key, version, _ in encoded if key == someone.profile_id] == [1, 2]

    loaded, _meta = load(matcher.runtime.index_dir, model=MODEL_NAME, dim=state.opportunities.index.dim,
                         load_index=hnsw_loader(**index_params(matcher.runtime.settings)),
                         looking_statuses=matcher.runtime.settings.looking_statuses)
    assert loaded.opportunities.get(job.opportunity_id) == state.opportunities.get(job.opportunity_id)
    assert loaded.profiles.get(someone.profile_id) == state.profiles.get(someone.profile_id)
