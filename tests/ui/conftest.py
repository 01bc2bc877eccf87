from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import TestDatabases
from tests.ui.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(databases: TestDatabases, bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stack]:
    """The four real services, seeded, with the UI's settings (UI_*_URL) pointing at them for this module."""
    with running_stack(databases, bootstrap_servers, Path(tmp_path_factory.mktemp("ui-stack"))) as live, \
            pytest.MonkeyPatch.context() as patch:
        for name, value in live.ui_env().items():
            patch.setenv(name, value)
        yield live
