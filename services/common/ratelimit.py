"""Rate limits every service applies (with the `limits` library): writes per principal and per address, and
requests with a token the service refused (401) per address. Counters live in Redis when YG_RATE_LIMIT_STORAGE
names it (shared by every process), else in this process's memory. An answer over a limit is 429 with
Retry-After."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence

import jwt
import structlog
from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.settings import CommonSettings

log = structlog.get_logger("ratelimit")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _claimed(authorization: bytes | None) -> tuple[str, str] | None:
    """The role and subject a bearer token claims, unverified: used only to name whose budget a request spends,
    which is charged only once the service has accepted the token."""
    if not authorization or not authorization.lower().startswith(b"bearer "):
        return None
    try:
        claims = jwt.decode(authorization[7:].strip().decode(), options={"verify_signature": False})
        return str(claims["role"]), str(claims["sub"])
    except (jwt.PyJWTError, KeyError, UnicodeDecodeError):
        return None


class RateLimits:
    """Plain ASGI middleware; one per app."""

    def __init__(self, app: ASGIApp, settings: CommonSettings, service: str) -> None:
        self.app = app
        self.service = service
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self.principal_writes = parse_many(settings.rate_limit_writes)
        self.address_writes = parse_many(settings.rate_limit_address_writes)
        self.refused_tokens = parse_many(settings.rate_limit_refused_tokens)

    def _over(self, limits: Sequence[RateLimitItem], *key: str, spend: bool) -> RateLimitItem | None:
        """The first limit the key is over (spending one request from each when `spend`); None when within all,
        or when the counters cannot be reached (a limit must not take the service down with it)."""
        try:
            for limit in limits:
                allowed = self.limiter.hit(limit, self.service, *key) if spend else self.limiter.test(
                    limit, self.service, *key)
                if not allowed:
                    return limit
        except Exception as exc:  # noqa: BLE001 - e.g. Redis unreachable
            log.warning("rate limit counters unavailable", error=repr(exc)[:200])
        return None

    def _spend(self, limits: Sequence[RateLimitItem], *key: str) -> None:
        self._over(limits, *key, spend=True)

    async def _refuse(self, send: Send, limit: RateLimitItem, what: str, *key: str) -> None:
        try:
            reset = self.limiter.get_window_stats(limit, self.service, *key).reset_time
        except Exception:  # noqa: BLE001
            reset = time.time() + limit.get_expiry()
        wait = max(1, math.ceil(reset - time.time()))
        body = json.dumps({"detail": f"too many {what}: at most {limit}; try again in {wait} s"}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown", 0))[0]
        claimed = _claimed(dict(scope["headers"]).get(b"authorization"))
        if limit := self._over(self.refused_tokens, "refused", address, spend=False):
            await self._refuse(send, limit, "requests with a refused token from this address", "refused", address)
            return
        # Services calling each other are not throttled as people are (a forged service token is refused, and
        # counts against its address like any other).
        write = scope["method"] in WRITES and (claimed is None or claimed[0] != "service")
        principal = f"{claimed[0]}:{claimed[1]}" if claimed else None
        if write:
            if limit := self._over(self.address_writes, "address", address, spend=True):
                await self._refuse(send, limit, "changes from this address", "address", address)
                return
            if principal and (limit := self._over(self.principal_writes, "principal", principal, spend=False)):
                await self._refuse(send, limit, f"changes by {claimed[1]}", "principal", principal)  # type: ignore[index]
                return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        if status == 401:
            self._spend(self.refused_tokens, "refused", address)
        elif write and principal:
            self._spend(self.principal_writes, "principal", principal)


def install(app: FastAPI, *, settings: CommonSettings, service: str) -> None:
    """Apply the limits to an app, unless they are turned off."""
    if settings.rate_limits:
        app.add_middleware(RateLimits, settings=settings, service=service)
