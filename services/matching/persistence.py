"""Saving the matcher's state atomically: each save writes a new snapshot folder (indexes, id maps, facts,
versions, referrals and the topic positions they reflect), switches CURRENT to it with an atomic rename, and then
deletes every older snapshot, so an erased person's vector survives in no saved file."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from services.matching.facts import EmployerFacts, OpportunityFacts, PersonFacts, from_json
from services.matching.index import HnswIndex, VectorIndex
from services.matching.state import MatchingState, Referral

FORMAT = 3  # 2: the subject references of the people held; 3: the opportunities' pay and holds
CURRENT = "CURRENT"
SIDES = ("opportunities", "profiles")


class SavedStateUnusable(Exception):
    """The saved state is missing or does not fit this build; the index must be rebuilt from the events."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def snapshot_of(
    state: MatchingState, *, model: str, dim: int, embedder: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Metadata and index bytes reflecting the same positions. Under the state lock only the index bytes and
    references to the (frozen) facts are taken; turning thousands of facts into JSON happens after, so the match
    requests that wait for the lock on the event loop do not wait for it (profiled under load: the save held the
    lock for most of its time, a third of the matcher's CPU at 2,500 items, every 10 s while changes continue)."""
    with state.lock:
        blobs: dict[str, bytes] = {}
        taken: dict[str, tuple[dict[str, Any], list[list[Any]], list[Any]]] = {}
        for name in SIDES:
            catalogue = getattr(state, name)
            for file, data in catalogue.index.to_bytes().items():
                blobs[f"{name}.{file}"] = data
            taken[name] = (
                catalogue.index.stats(),
                [[key, row] for key, row in catalogue.rows.items()],
                list(catalogue),
            )
        changes, versions, erased = state.changes, dict(state.versions), sorted(state.erased)
        subjects = list(state.subjects.items())
        referrals = [(rid, ref, state.versions.get(str(rid), 1)) for rid, ref in state.referrals.items()]
        dismissals = [(did, pair, state.versions.get(str(did), 1)) for did, pair in state.dismissals.items()]
        positions = {key: list(value) for key, value in state.positions.items()}
        epoch, employers = state.epoch, list(state.employers.values())
    sides = {
        name: {
            "index": stats,
            "rows": [[str(key), row] for key, row in rows],
            "facts": [facts.saved for facts in facts_list],
        }
        for name, (stats, rows, facts_list) in taken.items()
    }
    meta = {
        "format": FORMAT,
        "model": model,
        "dim": dim,
        "embedder": embedder,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(),
        "changes": changes,
        "sides": sides,
        "versions": versions,
        "erased": erased,
        "subjects": [[str(subject), str(profile_id)] for subject, profile_id in subjects],
        "referrals": [
            [str(rid), str(ref.profile_id), str(ref.opportunity_id), ref.status, version]
            for rid, ref, version in referrals
        ],
        "dismissals": [
            [str(did), str(profile_id), str(opportunity_id), version]
            for did, (profile_id, opportunity_id), version in dismissals
        ],
        "positions": positions,
        "epoch": epoch,
        "employers": [employer.saved for employer in employers],
    }
    return meta, blobs


def save(state: MatchingState, directory: Path, *, model: str, dim: int, embedder: str) -> Path:
    """Write a snapshot and make it current atomically; returns its folder."""
    meta, blobs = snapshot_of(state, model=model, dim=dim, embedder=embedder)
    directory.mkdir(parents=True, exist_ok=True)
    work = directory / f".tmp-{uuid.uuid4().hex}"
    work.mkdir()
    try:
        for file, data in blobs.items():
            _write(work / file, data)
        _write(work / "meta.json", orjson.dumps(meta))
        _fsync_dir(work)
        final = directory / f"snapshot-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"
        os.rename(work, final)
        pointer = directory / f".{CURRENT}.tmp"
        _write(pointer, final.name.encode())
        os.replace(pointer, directory / CURRENT)
        _fsync_dir(directory)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    for old in directory.iterdir():
        if old.is_dir() and old != final and (old.name.startswith("snapshot-") or old.name.startswith(".tmp-")):
            shutil.rmtree(old, ignore_errors=True)
    return final


def current_snapshot(directory: Path) -> Path | None:
    pointer = directory / CURRENT
    if not pointer.exists():
        return None
    folder = directory / pointer.read_text().strip()
    return folder if folder.is_dir() else None


IndexLoader = Callable[[dict[str, bytes], int], VectorIndex]


def hnsw_loader(**params: Any) -> IndexLoader:
    return lambda blobs, dim: HnswIndex.from_bytes(blobs, dim, **params)


def load(
    directory: Path,
    *,
    model: str,
    dim: int,
    load_index: IndexLoader,
    looking_statuses: tuple[str, ...],
) -> tuple[MatchingState, dict[str, Any]]:
    """The saved state, or SavedStateUnusable with the reason."""
    folder = current_snapshot(directory)
    if folder is None:
        raise SavedStateUnusable(f"no saved index in {directory}")
    try:
        meta = json.loads((folder / "meta.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise SavedStateUnusable(f"unreadable metadata: {exc}") from exc
    if meta.get("format") != FORMAT or meta.get("model") != model or meta.get("dim") != dim:
        raise SavedStateUnusable(
            f"saved with format {meta.get('format')}, model {meta.get('model')}, dim {meta.get('dim')}; "
            f"this build uses {FORMAT}, {model}, {dim}"
        )
    try:
        indexes = {}
        for side in SIDES:
            blobs = {
                file.name[len(side) + 1 :]: file.read_bytes()
                for file in folder.iterdir()
                if file.name.startswith(f"{side}.")
            }
            indexes[side] = load_index(blobs, dim)
        state = MatchingState(
            opportunities_index=indexes["opportunities"],
            profiles_index=indexes["profiles"],
            looking_statuses=looking_statuses,
        )
        for rid, profile_id, opportunity_id, status, version in meta["referrals"]:
            state.put_referral(
                uuid.UUID(rid), Referral(uuid.UUID(profile_id), uuid.UUID(opportunity_id), status), version
            )
        for did, profile_id, opportunity_id, version in meta.get("dismissals", []):
            state.put_dismissal(uuid.UUID(did), uuid.UUID(profile_id), uuid.UUID(opportunity_id), version)
        rows = {side: {uuid.UUID(key): row for key, row in meta["sides"][side]["rows"]} for side in SIDES}
        for data in meta.get("employers", []):
            state.put_employer(from_json(EmployerFacts, data))
        for data in meta["sides"]["opportunities"]["facts"]:
            facts = from_json(OpportunityFacts, data)
            state.opportunities.put(facts, row=rows["opportunities"][facts.opportunity_id])
            state.put_opportunity(facts, None)
        for data in meta["sides"]["profiles"]["facts"]:
            person = from_json(PersonFacts, data)
            state.profiles.put(person, row=rows["profiles"][person.profile_id])
            state.put_person(person, None)
        _check_consistent(state)
    except (KeyError, ValueError, TypeError, OSError) as exc:
        raise SavedStateUnusable(f"inconsistent saved state: {exc!r}"[:500]) from exc
    state.versions = {key: int(value) for key, value in meta["versions"].items()}
    state.erased = set(meta["erased"])
    state.remember({uuid.UUID(subject): uuid.UUID(profile_id) for subject, profile_id in meta["subjects"]})
    state.positions = {key: (int(value[0]), str(value[1])) for key, value in meta["positions"].items()}
    state.epoch = None if meta.get("epoch") is None else int(meta["epoch"])
    state.changes = int(meta.get("changes", 0))
    return state, meta


def _check_consistent(state: MatchingState) -> None:
    for name in SIDES:
        catalogue = getattr(state, name)
        indexed = len(catalogue.index)
        with_vectors = sum(1 for row in catalogue.rows.values() if catalogue.index.contains(row))
        if indexed != with_vectors:
            raise ValueError(f"{name}: {indexed} vectors but {with_vectors} of them belong to known rows")
