"""The matcher's composition root: embedder, state (loaded from the saved index or rebuilt from the topics),
the consumer feeding it, and a maintenance thread that saves it and compacts the indexes in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from services.common.clock import Clock, SystemClock
from services.common.observability import freeze_held_objects
from services.matching.concepts import Concepts
from services.matching.config import MatchingSettings
from services.matching.embedder import MODEL_NAME, Embedder, build_embedder, remembering
from services.matching.feed import IndexFeed
from services.matching.index import HnswIndex, Sizing, use_threads
from services.matching.ingest import Ingestor, phrases_of
from services.matching.oversight import SuggestionLog
from services.matching.persistence import SavedStateUnusable, hnsw_loader, load, save
from services.matching.state import MatchingState
from services.messaging.broker import broker_is_usable, broker_security
from services.messaging.contract import Topic
from services.messaging.sealing import KeyRing, http_key_ring

log = structlog.get_logger("matching.runtime")

# Never Topic.PROFILES_RESTRICTED: special category data must not reach the matcher.
# Referrals have a feed of their own: applying one embeds nothing, so it never waits behind a burst of profile or
# opportunity changes being embedded (a referred opportunity leaves the person's matches at once).
ENTITY_TOPICS: tuple[Topic, ...] = (Topic.PROFILES, Topic.EMPLOYERS, Topic.OPPORTUNITIES)
REFERRAL_TOPICS: tuple[Topic, ...] = (Topic.REFERRALS,)
TOPICS: tuple[Topic, ...] = ENTITY_TOPICS + REFERRAL_TOPICS
COMPACT_MIN_STORED = 256
WARM_CHUNK = 256  # phrases embedded at a time while warming up, so ingest's batches interleave


def index_sizing(settings: MatchingSettings) -> Sizing:
    return Sizing(
        m=settings.hnsw_m, ef_construction=settings.hnsw_ef_construction, ef_search=settings.hnsw_ef_search,
        reference=settings.hnsw_ef_reference, large_from=settings.hnsw_large_from, m_large=settings.hnsw_m_large,
        ef_construction_large=settings.hnsw_ef_construction_large,
    )


def index_params(settings: MatchingSettings) -> dict[str, Any]:
    return {
        "storage": settings.hnsw_storage,
        "exact_share": settings.exact_search_share,
        "sizing": index_sizing(settings),
        "ef_max": settings.hnsw_ef_max,
        "exact_max": settings.exact_search_max,
    }


def new_state(settings: MatchingSettings, dim: int) -> MatchingState:
    params = index_params(settings)
    return MatchingState(
        opportunities_index=HnswIndex(dim, **params),
        profiles_index=HnswIndex(dim, **params),
        looking_statuses=settings.looking_statuses,
    )


def concepts_for(settings: MatchingSettings, embedder: Embedder) -> Concepts:
    """Skills and interests compared by meaning; the ESCO skills' cached vectors load in the background."""
    concepts = Concepts(embedder, same_meaning=settings.concept_same_meaning, esco_names=settings.concept_esco_names,
                        esco_same=settings.concept_esco_same, interest_fits=settings.concept_interest_fits)
    concepts.load_esco_in_background(settings.resolved_model_cache_dir(), build=settings.concept_esco_build)
    return concepts


def load_or_new(settings: MatchingSettings, dim: int) -> tuple[MatchingState, str]:
    """The saved state when usable, else an empty one (to be filled from the topics); and where it came from."""
    try:
        state, _meta = load(
            settings.resolved_index_dir(),
            model=MODEL_NAME,
            dim=dim,
            load_index=hnsw_loader(**index_params(settings)),
            looking_statuses=settings.looking_statuses,
        )
        return state, "saved index"
    except SavedStateUnusable as exc:
        log.warning("rebuilding the index from the topics", reason=str(exc))
        return new_state(settings, dim), f"rebuilt from the topics ({exc})"


class MatchingRuntime:
    def __init__(
        self,
        settings: MatchingSettings,
        *,
        embedder: Embedder | None = None,
        clock: Clock | None = None,
        start_at_end: bool = False,
        embedder_factory: Callable[[MatchingSettings], Embedder] = build_embedder,
        keys: KeyRing | None = None,
        suggestion_log: SuggestionLog | None = None,
    ) -> None:
        self.settings = settings
        self.suggestion_log = suggestion_log
        self.clock = clock or SystemClock()
        self._own_keys = keys is None
        self.keys: KeyRing = keys or http_key_ring(settings, "matching")
        self.embedder = embedder  # queries' texts (POST /search)
        self.ingest_embedder: Embedder | None = None  # ingested events' texts: an instance of its own when built here
        self.embedder_factory = embedder_factory
        self.start_at_end = start_at_end
        self.state: MatchingState | None = None
        self.ingestor: Ingestor | None = None
        self.feed: IndexFeed | None = None
        self.referral_feed: IndexFeed | None = None
        self.origin = ""
        self.phase = "starting"
        self.error: str | None = None
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self.phrases_warming = threading.Event()  # set while the phrases of what is held are embedded at start
        self._saved_changes = -1
        self._saved_erasures = 0
        self._save_lock = threading.Lock()
        self.last_saved: float | None = None
        self.last_save_seconds: float | None = None

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load everything in the background, so /health and /ready answer while the model loads."""
        thread = threading.Thread(target=self._boot, name="matching-boot", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _boot(self) -> None:
        use_threads(self.settings.faiss_threads)
        try:
            self.phase = "loading the model"
            if self.embedder is None:
                model = self.embedder_factory(self.settings)
                # Search texts only: the concepts' phrases (people's own words among them) are forgotten on erasure.
                self.embedder = remembering(model, self.settings.remembered_queries)
                self.ingest_embedder = self.embedder_factory(self.settings)
            else:
                model = self.ingest_embedder = self.embedder
            self.phase = "loading the index"
            state, self.origin = load_or_new(self.settings, self.embedder.dim)
            if self.settings.concepts:
                state.concepts = concepts_for(self.settings, model)
            self.state = state
            self._saved_changes = state.changes if self.origin == "saved index" else -1
            self._saved_erasures = state.erasures
            self.ingestor = Ingestor(state, self.ingest_embedder, self.keys, self.suggestion_log)
            # Only the entity feed embeds; referrals apply in microseconds and stay at the normal priority.
            name, nice = self.settings.consumer_name, self.settings.ingest_nice
            self.feed = self._new_feed(state, ENTITY_TOPICS, name, nice=nice)
            self.referral_feed = self._new_feed(state, REFERRAL_TOPICS, f"{self.settings.consumer_name}-referrals")
            for feed in self.feeds:
                self._threads.append(feed.start(self.stop_event))
            maintenance = threading.Thread(target=self._maintain, name="matching-maintenance", daemon=True)
            maintenance.start()
            self._threads.append(maintenance)
            if state.concepts is not None:
                self.phrases_warming.set()
                warming = threading.Thread(target=self._warm, args=(state, state.concepts), name="matching-warm",
                                           daemon=True)
                warming.start()
                self._threads.append(warming)
            else:
                freeze_held_objects(self.settings)  # the index, facts, phrase vectors and model
            self.phase = "running"
        except Exception as exc:  # noqa: BLE001 - reported by /ready
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            log.error("matching failed to start", error=self.error)

    def _warm(self, state: MatchingState, concepts: Concepts) -> None:
        """Embed the phrases of everything already held (a saved index), a chunk at a time on ingest's model, so
        the first match requests after a start do not embed their pool's titles and skills themselves."""
        assert self.ingest_embedder is not None
        try:
            with state.lock:
                held = [*(facts for facts in state.opportunities if facts.status == "live"), *state.profiles]
                phrases = list(dict.fromkeys(phrases_of(held)))
            started, warmed = time.monotonic(), 0
            for start in range(0, len(phrases), WARM_CHUNK):
                if self.stop_event.is_set():
                    return
                warmed += concepts.warm(phrases[start : start + WARM_CHUNK], self.ingest_embedder)
            log.info("phrases embedded for matching", phrases=warmed, seconds=round(time.monotonic() - started, 1))
            freeze_held_objects(self.settings)  # the index, facts, phrase vectors and model
        finally:
            self.phrases_warming.clear()

    def _new_feed(self, state: MatchingState, topics: tuple[Topic, ...], name: str, nice: int = 0) -> IndexFeed:
        assert self.ingestor is not None
        return IndexFeed(
            state=state,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            topics=[str(topic) for topic in topics],
            name=name,
            handler=self.ingestor,
            max_records=self.settings.max_poll_records,
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            start_at_end=self.start_at_end,
            security=broker_security(self.settings),
            nice=nice,
        )

    @property
    def feeds(self) -> list[IndexFeed]:
        return [feed for feed in (self.feed, self.referral_feed) if feed is not None]

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self.state is not None and self.embedder is not None:
            self.save_now()
        if self._own_keys:
            self.keys.close()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if self.error:
                raise RuntimeError(self.error)
            if time.monotonic() > deadline:
                raise TimeoutError(f"matching not ready: {self.readiness()}")
            time.sleep(0.05)

    # -- persistence and compaction ---------------------------------------------------------------------------

    def save_now(self) -> None:
        state, embedder = self.state, self.embedder
        if state is None or embedder is None:
            return
        with self._save_lock:
            started = time.monotonic()
            changes, erasures = state.changes, state.erasures
            save(state, self.settings.resolved_index_dir(), model=MODEL_NAME, dim=embedder.dim, embedder=embedder.name)
            self._saved_changes, self._saved_erasures = changes, erasures
            self.last_saved = time.time()
            self.last_save_seconds = time.monotonic() - started

    def _maintain(self) -> None:
        last = time.monotonic()
        while not self.stop_event.wait(0.1):
            state = self.state
            if state is None:
                continue
            try:
                due = time.monotonic() - last >= self.settings.save_interval_seconds
                if state.erasures != self._saved_erasures or (due and state.changes != self._saved_changes):
                    self.save_now()
                    last = time.monotonic()
                for catalogue in (state.opportunities, state.profiles):
                    stats = catalogue.index.stats()
                    share, stored = float(stats["tombstone_share"]), int(stats["stored"])
                    tombstones = share > self.settings.tombstone_rebuild_share and stored > COMPACT_MIN_STORED
                    if tombstones or catalogue.index.outgrown():
                        catalogue.index.compact()
            except Exception as exc:  # noqa: BLE001 - retried on the next round
                log.warning("index maintenance failed", error=repr(exc)[:300])

    # -- readiness --------------------------------------------------------------------------------------------

    def is_ready(self) -> bool:
        """The index is loaded: from the saved files, or (without them) rebuilt from the topics to their end.
        Queries are then answered even while the broker is away; /ready reports the consumer's state."""
        if self.state is None or len(self.feeds) < 2 or self.error:
            return False
        return self.origin == "saved index" or all(feed.caught_up_once for feed in self.feeds)

    def readiness(self) -> dict[str, Any]:
        problems: list[str] = []
        if self.error:
            problems.append(f"matching: {self.error}")
        elif self.state is None:
            problems.append(f"matching: {self.phase}")
        elif not self.is_ready():
            problems.append("matching: rebuilding the index from the topics")
        broker_problem = broker_is_usable(self.settings.kafka_bootstrap_servers, broker_security(self.settings))
        if broker_problem:
            problems.append(broker_problem)
        details: dict[str, Any] = {"problems": problems, "phase": self.phase}
        if self.state is not None:
            with self.state.lock:
                details["counts"] = self.state.counts()
                details["indexes"] = {
                    "opportunities": self.state.opportunities.index.stats(),
                    "profiles": self.state.profiles.index.stats(),
                }
            details["loaded_from"] = self.origin
        if self.feeds:
            lags = [feed.lag() for feed in self.feeds]
            details["consumer_connected"] = all(feed.assigned.is_set() for feed in self.feeds)
            details["consumer_lag"] = None if None in lags else sum(lag or 0 for lag in lags)
            details["dead_lettered"] = sum(feed.dead_lettered for feed in self.feeds)
        if self.embedder is not None:
            details["embedder"] = self.embedder.name
        details["phrases_warming"] = self.phrases_warming.is_set()
        details["last_saved"] = self.last_saved
        return details

    @property
    def index_dir(self) -> Path:
        return self.settings.resolved_index_dir()


def rebuild_from_topics(
    settings: MatchingSettings, embedder: Embedder, *, keys: KeyRing, timeout: float = 1800.0
) -> dict[str, Any]:
    """Build a fresh index from the beginning of the topics and save it over the current one. Only people whose
    keys the key service still has come back: erased people's events stay unreadable."""
    started = time.monotonic()
    state = new_state(settings, embedder.dim)
    ingestor = Ingestor(state, embedder, keys)
    feed = IndexFeed(
        state=state,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topics=[str(topic) for topic in TOPICS],
        name=f"{settings.consumer_name}-reindex",
        handler=ingestor,
        max_records=settings.max_poll_records,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        security=broker_security(settings),
    )
    records = feed.catch_up(timeout)
    folder = save(state, settings.resolved_index_dir(), model=MODEL_NAME, dim=embedder.dim, embedder=embedder.name)
    return {
        "records": records,
        "unreadable": ingestor.opener.unreadable,
        "dead_lettered": feed.dead_lettered,
        "embedded": ingestor.embedded_texts,
        "seconds": round(time.monotonic() - started, 1),
        "saved_to": str(folder),
        **state.counts(),
    }
