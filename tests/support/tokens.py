"""Tokens in tests: the session's development keys (made once in a temporary folder that YG_KEYS_DIR names before
any settings are read), people's tokens from the development issuer, and services' tokens under their own keys."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from services.common.settings import CommonSettings
from services.common.tokens import ISSUER_KEY, SERVICE_NAMES, USER_AUDIENCE, Role, ensure_keys


def use_test_keys() -> Path:
    """Make the keys once per test process (unless YG_KEYS_DIR already names a folder) and point YG_KEYS_DIR at
    them; stacks the tests start inherit the variable and use the same keys."""
    if not os.environ.get("YG_KEYS_DIR"):
        folder = Path(tempfile.mkdtemp(prefix="yg-test-keys-"))
        atexit.register(shutil.rmtree, folder, True)
        os.environ["YG_KEYS_DIR"] = str(folder)
    folder = Path(os.environ["YG_KEYS_DIR"])
    ensure_keys(folder, (ISSUER_KEY, *SERVICE_NAMES))
    return folder


def token(settings: CommonSettings, role: Role | str, sub: str) -> str:
    """A person's token from the development issuer, or a service's signed with its own key (an unknown service
    name gets an issuer-signed token with no scopes)."""
    role = Role(role)
    if role is Role.SERVICE and sub in SERVICE_NAMES:
        return settings.service_signer(sub).issue(role=role, sub=sub, audience=USER_AUDIENCE)
    return settings.development_issuer().issue(role=role, sub=sub)


def bearer(settings: CommonSettings, role: Role | str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, role, sub)}"}
