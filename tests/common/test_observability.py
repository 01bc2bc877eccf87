"""The operations pages every service has: /ready reports what the garbage collector keeps frozen without walking
the frozen objects on every call."""

from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.observability import FrozenObjects, freeze_held_objects, install
from services.common.settings import CommonSettings


@pytest.fixture
def no_real_freeze(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """gc as freeze_held_objects sees it, without freezing this process (it makes and drops many apps)."""
    calls: list[str] = []
    monkeypatch.setattr(gc, "collect", lambda *args: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "get_freeze_count", lambda: calls.append("count") or 150_000)
    monkeypatch.setattr(FrozenObjects, "count", 0)
    return calls


def test_ready_reports_the_frozen_objects_counted_once_when_frozen(no_real_freeze: list[str]) -> None:
    app = FastAPI()
    install(app, service="example", readiness=dict)
    freeze_held_objects(CommonSettings(gc_freeze=True))
    assert no_real_freeze == ["collect", "freeze", "count"]
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/ready").json()["gc_frozen_objects"] == 150_000
    assert no_real_freeze.count("count") == 1, "each /ready walked the frozen objects again"


def test_nothing_is_frozen_when_the_setting_is_off(no_real_freeze: list[str]) -> None:
    freeze_held_objects(CommonSettings(gc_freeze=False))
    assert no_real_freeze == []
    assert FrozenObjects.count == 0
