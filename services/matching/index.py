"""Vector indexes keyed by stable int64 item ids: FAISS HNSW with tombstones, exact search over the admitted
ids when a filter lets few through, and compaction (in the background) when tombstones pass a share."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import faiss as _faiss
import numpy as np

# The stubs shipped with faiss-cpu miss much of its SWIG API (SearchParametersHNSW, search_c, storage codes,
# knn_inner_products_by_idx); typed as Any here rather than silenced line by line.
faiss: Any = _faiss

EMPTY_IDS = np.zeros(0, dtype=np.int64)


def use_threads(count: int) -> None:
    """FAISS's OpenMP threads for this process."""
    faiss.omp_set_num_threads(count)

EMPTY_SIMS = np.zeros(0, dtype=np.float32)


class VectorIndex(Protocol):
    kind: str
    dim: int

    def __len__(self) -> int: ...

    def contains(self, item: int) -> bool: ...

    def vector(self, item: int) -> np.ndarray | None: ...

    def upsert(self, items: np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace the vectors of items."""
        ...

    def remove(self, items: Iterable[int]) -> None:
        """Drop items; their vectors are overwritten at once, so no saved copy keeps them."""
        ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, *, ef: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, inner products), best first, among the items `allowed` (a bool mask by item id); `ef`
        pins the search beam (by default it follows the index size)."""
        ...

    def tombstone_share(self) -> float: ...

    def outgrown(self) -> bool: ...

    def compact(self) -> None:
        """Rebuild without tombstones (and as dense as the size calls for); safe to run in a background thread
        while others read and write."""
        ...

    def stats(self) -> dict[str, float | int | str]: ...

    def to_bytes(self) -> dict[str, bytes]: ...


def _grow(array: np.ndarray, size: int, fill: int) -> np.ndarray:
    if size <= len(array):
        return array
    grown = np.full(max(size, 2 * len(array), 1024), fill, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


Storage = Literal["fp16", "flat"]
KINDS: dict[str, Storage] = {"IndexHNSWSQ": "fp16", "IndexHNSWFlat": "flat"}


@dataclass(frozen=True)
class Sizing:
    """Index settings chosen from the number of vectors. Up to `reference` items the configured M, efConstruction
    and efSearch hold (measured at 100k: recall@10 0.985); the beam widens with the square root of the size beyond
    it, and from `large_from` items the graph is built denser (M and efConstruction), since at 1M the reference
    graph reached only recall@10 0.85 at efSearch 128 and 0.94 at 512."""

    m: int = 32
    ef_construction: int = 120
    ef_search: int = 128
    reference: int = 100_000
    large_from: int = 300_000
    m_large: int = 48
    ef_construction_large: int = 200

    def shape(self, expected: int) -> tuple[int, int]:
        """M and efConstruction for a graph expected to hold this many vectors."""
        if expected >= self.large_from:
            return self.m_large, self.ef_construction_large
        return self.m, self.ef_construction

    def ef(self, total: int) -> int:
        """The search beam for an index of this many vectors."""
        return int(round(self.ef_search * max(1.0, (total / self.reference) ** 0.5)))


class HnswIndex:
    """FAISS HNSW over inner product (= cosine on normalised vectors), the vectors stored as float16
    (IndexHNSWSQ, QT_fp16: the same recall as float32 here, a fifth faster, half the memory) or float32
    (IndexHNSWFlat). HNSW cannot delete: a replaced or removed vector keeps its graph node as a tombstone, its
    stored code zeroed, excluded from every result, until `compact` rebuilds the graph from the live vectors."""

    def __init__(
        self,
        dim: int,
        *,
        m: int = 32,
        ef_construction: int = 120,
        ef_search: int = 128,
        ef_max: int = 512,
        exact_max: int = 5_000,
        exact_share: float = 0.03,
        storage: Storage = "fp16",
        sizing: Sizing | None = None,
        expected: int = 0,
    ) -> None:
        self.dim = dim
        self.storage = storage
        self.kind = "faiss.IndexHNSWSQ(fp16)" if storage == "fp16" else "faiss.IndexHNSWFlat"
        self.exact_share = exact_share
        self.sizing = sizing or Sizing(m=m, ef_construction=ef_construction, ef_search=ef_search)
        self.m, self.ef_construction = self.sizing.shape(expected)
        self.ef_max = ef_max
        self.exact_max = exact_max
        self._lock = threading.RLock()
        self._index = self._new_faiss()
        self._label_item = np.full(0, -1, dtype=np.int64)  # faiss label -> item id (-1: tombstone)
        self._item_label = np.full(0, -1, dtype=np.int64)  # item id -> faiss label (-1: absent)
        self._live = 0
        self._journal: set[int] | None = None  # items touched while a compaction builds its copy

    @property
    def ef_search(self) -> int:
        """The beam this index searches with at its present size."""
        return self.sizing.ef(self.ntotal)

    def outgrown(self) -> bool:
        """Whether the graph is sparser than its present size calls for (compaction rebuilds it denser)."""
        return self.sizing.shape(self._live)[0] > self.m

    def _new_faiss(self) -> Any:
        if self.storage == "fp16":
            index = faiss.IndexHNSWSQ(self.dim, faiss.ScalarQuantizer.QT_fp16, self.m, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexHNSWFlat(self.dim, self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        index.hnsw.efSearch = self.sizing.ef_search
        return index

    @staticmethod
    def _codes(index: Any) -> np.ndarray:
        """A writable view of the stored codes, one row per label (valid until the next add)."""
        storage = faiss.downcast_index(index.storage)
        if index.ntotal == 0:
            return np.zeros((0, storage.code_size), dtype=np.uint8)
        view = faiss.rev_swig_ptr(storage.codes.data(), index.ntotal * storage.code_size)
        return view.reshape(index.ntotal, storage.code_size)

    @staticmethod
    def _decode(index: Any, labels: np.ndarray) -> np.ndarray:
        if len(labels) == 0:
            return np.zeros((0, index.d), dtype=np.float32)
        return faiss.downcast_index(index.storage).reconstruct_batch(np.ascontiguousarray(labels, dtype=np.int64))

    def __len__(self) -> int:
        return self._live

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def contains(self, item: int) -> bool:
        with self._lock:
            return 0 <= item < len(self._item_label) and bool(self._item_label[item] >= 0)

    def vector(self, item: int) -> np.ndarray | None:
        with self._lock:
            if not self.contains(item):
                return None
            return self._decode(self._index, self._item_label[item : item + 1])[0]

    def upsert(self, items: np.ndarray, vectors: np.ndarray) -> None:
        items = np.asarray(items, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(items), self.dim)
        if len(items) == 0:
            return
        if len(np.unique(items)) != len(items):
            raise ValueError("upsert takes each item once")
        with self._lock:
            self._drop(items)
            start = self.ntotal
            self._index.add(vectors)
            labels = np.arange(start, start + len(items), dtype=np.int64)
            self._label_item = _grow(self._label_item, self.ntotal, -1)
            self._item_label = _grow(self._item_label, int(items.max()) + 1, -1)
            self._label_item[labels] = items
            self._item_label[items] = labels
            self._live += len(items)
            if self._journal is not None:
                self._journal.update(items.tolist())

    def remove(self, items: Iterable[int]) -> None:
        with self._lock:
            self._drop(np.fromiter(items, dtype=np.int64))

    def _drop(self, items: np.ndarray) -> None:
        present = items[items < len(self._item_label)]
        labels = self._item_label[present]
        keep = labels >= 0
        labels, present = labels[keep], present[keep]
        if self._journal is not None:
            self._journal.update(items.tolist())
        if len(labels) == 0:
            return
        self._codes(self._index)[labels] = 0
        self._label_item[labels] = -1
        self._item_label[present] = -1
        self._live -= len(labels)

    def tombstone_share(self) -> float:
        total = self.ntotal
        return 0.0 if total == 0 else 1.0 - self._live / total

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, *, ef: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            total = self.ntotal
            if total == 0 or self._live == 0 or k <= 0:
                return EMPTY_IDS, EMPTY_SIMS
            beam = ef or self.sizing.ef(total)
            if allowed is None and self._live == total:
                return self._graph_search(query, k, None, beam)
            label_items = self._label_item[:total]
            admitted = label_items >= 0
            if allowed is not None:
                padded = np.zeros(max(int(label_items.max()) + 1, 1), dtype=bool)
                size = min(len(allowed), len(padded))
                padded[:size] = allowed[:size]
                admitted &= padded[np.maximum(label_items, 0)]
            count = int(admitted.sum())
            if count == 0:
                return EMPTY_IDS, EMPTY_SIMS
            if count <= self.exact_max or count <= self.exact_share * total:
                return self._exact(query, admitted, k)
            # The graph keeps walking through filtered-out nodes; a wider beam keeps k admitted ones in view.
            widest = max(self.ef_max, beam)
            return self._graph_search(query, k, admitted, int(min(widest, max(beam, beam * total / count, k))))

    def _graph_search(
        self, query: np.ndarray, k: int, admitted: np.ndarray | None, ef: int
    ) -> tuple[np.ndarray, np.ndarray]:
        bitmap = None
        if admitted is not None:
            bitmap = np.packbits(admitted, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(admitted), faiss.swig_ptr(bitmap))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(ef, k))
        else:
            params = faiss.SearchParametersHNSW(efSearch=max(ef, k))
        sims = np.empty((1, k), dtype=np.float32)
        labels = np.empty((1, k), dtype=np.int64)
        self._index.search_c(1, faiss.swig_ptr(query), k, faiss.swig_ptr(sims), faiss.swig_ptr(labels), params)
        del bitmap  # kept alive until the search returned
        keep = labels[0] >= 0
        items = self._label_item[labels[0][keep]]
        alive = items >= 0
        return items[alive], sims[0][keep][alive]

    def _exact(self, query: np.ndarray, admitted: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Inner products with the admitted vectors only, read in place from the index's storage."""
        storage = faiss.downcast_index(self._index.storage)
        sims = np.empty((1, k), dtype=np.float32)
        found = np.empty((1, k), dtype=np.int64)
        if self.storage == "flat":
            subset = np.flatnonzero(admitted).reshape(1, -1)
            faiss.knn_inner_products_by_idx(
                faiss.swig_ptr(query), storage.get_xb(), faiss.swig_ptr(subset),
                self.dim, 1, self.ntotal, subset.shape[1], k, faiss.swig_ptr(sims), faiss.swig_ptr(found),
            )
        else:
            bitmap = np.packbits(admitted, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(admitted), faiss.swig_ptr(bitmap))
            storage.search_c(1, faiss.swig_ptr(query), k, faiss.swig_ptr(sims), faiss.swig_ptr(found),
                             faiss.SearchParameters(sel=selector))
            del bitmap
        keep = found[0] >= 0
        return self._label_item[found[0][keep]], sims[0][keep]

    def compact(self) -> None:
        with self._lock:
            if self._journal is not None:
                return
            self.m, self.ef_construction = self.sizing.shape(self._live)
            labels = np.flatnonzero(self._label_item[: self.ntotal] >= 0)
            items = self._label_item[labels].copy()
            vectors = self._decode(self._index, labels)
            self._journal = set()
        try:
            fresh = self._new_faiss()
            if len(vectors):
                fresh.add(vectors)
            del vectors
            with self._lock:
                touched = np.array(sorted(self._journal or ()), dtype=np.int64)
                self._journal = None
                old_index, old_item_label = self._index, self._item_label
                self._index = fresh
                self._label_item = _grow(items, len(items), -1)
                self._item_label = np.full(len(old_item_label), -1, dtype=np.int64)
                self._item_label[items] = np.arange(len(items), dtype=np.int64)
                self._live = len(items)
                if len(touched):
                    # What changed while the copy was built: drop the copy's version, re-add the current one.
                    self._drop(touched)
                    in_range = touched < len(old_item_label)
                    old_labels = np.full(len(touched), -1, dtype=np.int64)
                    old_labels[in_range] = old_item_label[touched[in_range]]
                    current = old_labels >= 0
                    if current.any():
                        old_vectors = self._decode(old_index, old_labels[current])
                        self.upsert(touched[current], old_vectors)
        finally:
            with self._lock:
                self._journal = None

    def stats(self) -> dict[str, float | int | str]:
        return {
            "kind": self.kind,
            "live": self._live,
            "stored": self.ntotal,
            "tombstone_share": round(self.tombstone_share(), 4),
            "m": self.m,
            "ef_construction": self.ef_construction,
            "storage": self.storage,
            "ef_search": self.ef_search,
        }

    def to_bytes(self) -> dict[str, bytes]:
        with self._lock:
            labels = io.BytesIO()
            np.save(labels, self._label_item[: self.ntotal])
            return {"index.faiss": faiss.serialize_index(self._index).tobytes(), "labels.npy": labels.getvalue()}

    @classmethod
    def from_bytes(cls, blobs: dict[str, bytes], dim: int, **params: Any) -> HnswIndex:
        loaded = faiss.deserialize_index(np.frombuffer(blobs["index.faiss"], dtype=np.uint8))
        storage = KINDS.get(type(loaded).__name__)
        if storage is None or loaded.d != dim:
            raise ValueError(f"saved index is {type(loaded).__name__} d={loaded.d}, expected HNSW d={dim}")
        index = cls(dim, **{**params, "storage": storage})
        label_item = np.load(io.BytesIO(blobs["labels.npy"])).astype(np.int64)
        if len(label_item) != loaded.ntotal:
            raise ValueError(f"saved labels ({len(label_item)}) do not match the index ({loaded.ntotal})")
        index.m = int(loaded.hnsw.nb_neighbors(1))  # the saved graph's own density
        index._index = loaded
        index._label_item = _grow(label_item, len(label_item), -1)
        alive = label_item[label_item >= 0]
        index._item_label = np.full(int(alive.max()) + 1 if len(alive) else 0, -1, dtype=np.int64)
        index._item_label[alive] = np.flatnonzero(label_item >= 0)
        index._live = len(alive)
        return index
