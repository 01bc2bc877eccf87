"""Unit tests of the vector index (no model needed: random unit vectors)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from services.matching.index import HnswIndex

pytestmark = pytest.mark.unit


def unit_vectors(n: int, dim: int = 48, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    return set(ids[np.argsort(-(vectors @ query))[:k]].tolist())


def test_replace_and_remove_leave_tombstones_that_never_come_back() -> None:
    vectors = unit_vectors(500)
    index = HnswIndex(48, exact_max=0)
    index.upsert(np.arange(500), vectors)
    assert index.search(vectors[7], 1)[0].tolist() == [7]

    index.upsert(np.array([7]), vectors[8:9])  # item 7 now carries item 8's vector
    found, _ = index.search(vectors[7], 3)
    assert 7 not in found[:1].tolist() or float(index.vector(7) @ vectors[7]) > 0.99
    assert np.allclose(index.vector(7), vectors[8], atol=1e-3)
    index.remove([3])
    assert 3 not in index.search(vectors[3], 10)[0].tolist()
    assert not index.contains(3) and index.vector(3) is None
    assert len(index) == 499 and index.tombstone_share() == pytest.approx(2 / 501)


def stored(vector: np.ndarray, storage: str) -> bytes:
    return vector.astype(np.float16).tobytes() if storage == "fp16" else vector.astype(np.float32).tobytes()


@pytest.mark.parametrize("storage", ["fp16", "flat"])
def test_removed_vectors_are_overwritten_in_storage(storage: str) -> None:
    vectors = unit_vectors(50)
    index = HnswIndex(48, storage=storage)  # type: ignore[arg-type]
    index.upsert(np.arange(50), vectors)
    blob_before = b"".join(index.to_bytes().values())
    assert stored(vectors[5], storage) in blob_before and stored(vectors[6], storage) in blob_before
    index.remove([5])
    index.upsert(np.array([6]), vectors[0:1])  # a replaced vector is overwritten too
    blob = b"".join(index.to_bytes().values())
    assert stored(vectors[5], storage) not in blob and stored(vectors[6], storage) not in blob


@pytest.mark.parametrize("storage", ["fp16", "flat"])
@pytest.mark.parametrize("share", [0.01, 0.1, 0.5])
def test_filtered_search_keeps_recall_at_every_selectivity(share: float, storage: str) -> None:
    n = 6000
    vectors = unit_vectors(n, seed=1)
    queries = unit_vectors(50, seed=2)
    index = HnswIndex(48, exact_max=200, exact_share=0.02, ef_search=32, storage=storage)  # type: ignore[arg-type]
    index.upsert(np.arange(n), vectors)
    allowed = np.random.default_rng(3).random(n) < share
    ids = np.flatnonzero(allowed)
    recall = []
    for query in queries:
        found, _ = index.search(query, 10, allowed=allowed)
        assert allowed[found].all()
        recall.append(len(set(found.tolist()) & exact_top(vectors[ids], ids, query, 10)) / 10)
    assert np.mean(recall) >= 0.95


def test_compaction_drops_tombstones_and_keeps_concurrent_writes() -> None:
    vectors = unit_vectors(3000, seed=4)
    index = HnswIndex(48)
    index.upsert(np.arange(2000), vectors[:2000])
    index.remove(range(0, 1000))
    assert index.tombstone_share() == pytest.approx(0.5)

    def writer() -> None:
        for item in range(2000, 3000, 50):
            index.upsert(np.arange(item, item + 50), vectors[item : item + 50])
        index.remove(range(1000, 1100))

    thread = threading.Thread(target=writer)
    thread.start()
    index.compact()
    thread.join()
    assert all(index.contains(i) for i in range(1100, 3000))
    assert not any(index.contains(i) for i in range(0, 1100))
    for item in (1500, 2500, 2999):
        assert index.search(vectors[item], 1)[0].tolist() == [item]
    index.compact()
    assert index.tombstone_share() == 0.0 and len(index) == 1900


def test_round_trip_through_bytes() -> None:
    vectors = unit_vectors(300, seed=5)
    index = HnswIndex(48)
    index.upsert(np.arange(10, 310), vectors)
    index.remove([10, 11])
    loaded = HnswIndex.from_bytes(index.to_bytes(), 48, storage="flat")
    assert loaded.storage == "fp16", "the saved kind wins over the setting"
    assert len(loaded) == 298 and not loaded.contains(10) and loaded.contains(309)
    assert loaded.search(vectors[299], 1)[0].tolist() == [309]
    with pytest.raises(ValueError):
        HnswIndex.from_bytes(index.to_bytes(), 64)
