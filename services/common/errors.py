"""HTTP errors in the same shape as FastAPI's validation errors, naming the field and the rule."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, status
from fastapi.encoders import jsonable_encoder
from sqlalchemy import exc as db_errors

# A lost or refused connection, a statement cut off by its timeout, no pooled connection in time: the request can
# be tried again shortly, and its transaction was rolled back whole.
DATABASE_UNAVAILABLE = (db_errors.OperationalError, db_errors.InterfaceError, db_errors.TimeoutError)


class RuleViolation(Exception):
    """A domain rule failed; routes turn it into a 422 (or the given status)."""

    def __init__(
        self,
        field: str,
        rule: str,
        message: str,
        status_code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
        context: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.status_code = status_code
        self.context = context

    def to_http(self) -> HTTPException:
        location = ["body", *self.field.split(".")] if self.field else ["body"]
        item: dict[str, Any] = {"loc": location, "msg": self.message, "type": self.rule}
        if self.context is not None:
            item["ctx"] = jsonable_encoder(self.context)
        return HTTPException(self.status_code, detail=[item])


class NotFound(Exception):
    def __init__(self, what: str, ident: object):
        super().__init__(f"{what} {ident} not found")


class Forbidden(Exception):
    pass


class Conflict(Exception):
    pass


def install_handlers(app: FastAPI) -> None:
    """Map domain exceptions to HTTP answers, so routes stay free of error plumbing."""
    from fastapi.responses import JSONResponse

    @app.exception_handler(RuleViolation)
    async def _rule(_request: object, exc: RuleViolation) -> JSONResponse:
        http = exc.to_http()
        return JSONResponse({"detail": http.detail}, status_code=http.status_code)

    @app.exception_handler(NotFound)
    async def _not_found(_request: object, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(Forbidden)
    async def _forbidden(_request: object, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc) or "not allowed"}, status_code=status.HTTP_403_FORBIDDEN)

    @app.exception_handler(Conflict)
    async def _conflict(_request: object, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_409_CONFLICT)

    async def _database_unavailable(_request: object, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "the database is unavailable; try again shortly"},
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})

    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
