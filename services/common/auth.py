"""Bearer auth for the FastAPI services: the verified principal of a request, and the dependencies that admit
people by role and services by scope (the token rules themselves are in services/common/tokens.py)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.tokens import InvalidToken, Principal, Role, Scope, TokenVerifier

__all__ = ["InvalidToken", "Principal", "Role", "Scope", "current_principal", "require_roles"]

_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"invalid token: {exc}", headers={"WWW-Authenticate": "Bearer"}
        ) from exc


def require_roles(*roles: Role, service_scope: Scope | None = None) -> Callable[..., Principal]:
    """A dependency that admits the given roles of people, and a service only when its token holds
    `service_scope` (403 for any other valid token)."""
    if Role.SERVICE in roles:
        raise ValueError("services are admitted by scope (service_scope=...), never by role alone")

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role is Role.SERVICE and service_scope is not None:
            if principal.may(service_scope):
                return principal
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"service '{principal.sub}' lacks the scope '{service_scope}' for this"
            )
        if principal.role not in roles:
            allowed = sorted([*roles, *([f"a service with scope {service_scope}"] if service_scope else [])])
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role '{principal.role}' may not do this; allowed: {', '.join(allowed)}"
            )
        return principal

    return dependency
