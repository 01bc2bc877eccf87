from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import KeyClientSettings


class MatchingSettings(KeyClientSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", populate_by_name=True, extra="ignore")

    # The index is a derived view of the topics; it lives in files. The database holds only the outbox of the
    # suggestion lists served (for the audit log) and which person each was about (for erasure).
    index_dir: Path | None = None
    database_url: str | None = None
    model_cache_dir: Path | None = None
    consumer_name: str = "matching"

    # "torch": plain sentence-transformers, the vectors every threshold (concepts, alerts, browse) was measured with.
    # "auto": the ONNX int8 path when the CPU has the instructions it was measured fast with (see the benchmark) and
    # its vectors agree with the plain model at start-up (2.6x the texts/s), else plain. Opt-in: int8 moves a
    # similarity by up to ~0.015 (carpentry / joinery 0.400 -> 0.386), enough to flip a borderline reason or alert.
    embedder: Literal["auto", "torch", "onnx"] = "torch"
    min_fast_cosine: float = 0.99
    embed_chunk: int = 64
    # torch's intra-op threads for the model. One: on 2 shared cores a second thread mostly waits at each op's
    # barrier for a core another process holds (measured: 9 texts/s with 2 threads, 12-14 with 1, batch of 64).
    torch_threads: int = Field(1, ge=1, le=64)
    # Ingest embeds with a model instance of its own, so a query's text (POST /search) never waits behind a burst of
    # ingest. The thread that embeds ingested events can run at a nice value (Linux) to put the request path first
    # on a host of its own; off by default: on a host shared with other busy work, nice 5 cut ingest to ~1 text/s.
    ingest_nice: int = Field(0, ge=0, le=19)
    # The vectors of the last this many query texts (POST /search, a browse's words) are kept: 0 keeps none.
    remembered_queries: int = Field(4096, ge=0)

    # Hybrid score = similarity * w_similarity + skill overlap * w_skills + closeness * w_distance.
    weight_similarity: float = Field(0.7, ge=0)
    weight_skills: float = Field(0.2, ge=0)
    weight_distance: float = Field(0.1, ge=0)
    rerank_pool: int = Field(100, ge=10, le=2000)
    # Skills and interests compared by meaning and named by ESCO skills (services/matching/concepts.py), with the
    # thresholds measured by `bench --quality`; concept_skills_in_score lets skills met by meaning count in the score.
    concepts: bool = True
    concept_same_meaning: float = Field(0.55, ge=0, le=1)
    concept_esco_names: float = Field(0.55, ge=0, le=1)
    concept_esco_same: float = Field(0.70, ge=0, le=1)
    concept_interest_fits: float = Field(0.50, ge=0, le=1)
    concept_skills_in_score: bool = False
    # Embed the 13,939 ESCO skills at start when no cache is there (minutes on 2 cores); else only a cache is used.
    concept_esco_build: bool = False
    # Taken off an opportunity's score at 3 open referrals per place left (less in proportion); ties go to the less
    # crowded. 0 turns it off. Measured by `bench --quality` (the spread simulation).
    weight_capacity: float = Field(0.05, ge=0, le=1)
    # With concepts: + weight_title x cosine(the person's text, the posting's title alone).
    weight_title: float = Field(0.0, ge=0, le=1)
    # With concepts, for a person's matches: + weight_occupation x cosine(the person's text, the ESCO occupation
    # naming the posting's title, or the title itself). Measured by `bench --quality` (README "Matching quality").
    weight_occupation: float = Field(0.2, ge=0, le=1)
    # Taken off for each level (at most 2) a person's highest recorded qualification is below what a posting usually
    # asks for first (services.messaging.vocabulary.level_asked_first); nothing when either level is not known.
    weight_level: float = Field(0.1, ge=0, le=1)

    # float16 vectors in the graph: the same recall as float32 on this data, faster and half the memory.
    hnsw_storage: Literal["fp16", "flat"] = "fp16"
    # The graph and beam at the reference size (100k: recall@10 0.985); the beam grows with the square root of the
    # size beyond it, and from hnsw_large_from vectors the graph is built (or compacted) denser. See Sizing.
    hnsw_m: int = 32
    hnsw_ef_construction: int = 120
    hnsw_ef_search: int = 128
    hnsw_ef_reference: int = Field(100_000, ge=1)
    hnsw_large_from: int = Field(300_000, ge=1)
    hnsw_m_large: int = 48
    hnsw_ef_construction_large: int = 200
    hnsw_ef_max: int = 512
    # A filter admitting at most this many vectors, or this share of the index, is searched exactly over the
    # admitted ids; a wider filter walks the graph with a selector and a beam widened by 1/share.
    exact_search_max: int = 5_000
    # FAISS's OpenMP threads. One query at a time gains nothing from more, and spinning OpenMP workers on a busy
    # machine made a filtered search over 1,000 vectors take tens of milliseconds (profiled under load).
    faiss_threads: int = Field(1, ge=1, le=64)
    exact_search_share: float = Field(0.03, ge=0, le=1)
    tombstone_rebuild_share: float = Field(0.2, gt=0, lt=1)

    looking_statuses: tuple[str, ...] = ("neet",)
    save_interval_seconds: float = Field(10.0, gt=0)
    # How long the broker may hold an empty fetch. Tansu does not answer early when records arrive, so this is
    # also the ingest delay at worst; 20 ms cost each idle feed ~4.5% of a core in polling, 100 ms ~1% (measured).
    fetch_max_wait_ms: int = Field(100, ge=1, le=500)
    max_poll_records: int = Field(256, ge=1)

    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_url("matching")

    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.data_dir / "matching"

    def resolved_model_cache_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"
