"""HTTP errors in the same shape as FastAPI's validation errors, naming the field and the rule."""

from __future__ import annotations

import math
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy import exc as db_errors

# A lost or refused connection, a statement cut off by its timeout, no pooled connection in time: the request can
# be tried again shortly, and its transaction was rolled back whole.
DATABASE_UNAVAILABLE = (db_errors.OperationalError, db_errors.InterfaceError, db_errors.TimeoutError)


class RuleViolation(Exception):
    """A domain rule failed; routes turn it into a 422 (or the given status) that names the field where the request
    carried it: `body` (the default), `query` or `path`."""

    def __init__(
        self,
        field: str,
        rule: str,
        message: str,
        status_code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
        context: dict[str, Any] | None = None,
        location: Literal["body", "query", "path"] = "body",
    ):
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.status_code = status_code
        self.context = context
        self.location = location

    def to_http(self) -> HTTPException:
        location = [self.location, *self.field.split(".")] if self.field else [self.location]
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


class Unavailable(Exception):
    """A service this one must ask did not answer: 503 with Retry-After."""


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: a sentence, or (422) one item per field naming the field and the rule."""

    detail: str | list[ErrorItem]


_ERRORS: dict[int, str] = {
    400: "the body could not be read as JSON (FastAPI's answer to bytes that are not UTF-8)",
    401: "no valid bearer token",
    403: "the token's role or subject may not do this",
    404: "not found",
    409: "conflicts with the current state",
    422: "invalid input: each item names the field (`loc`) and the rule (`type`)",
    429: "too many requests: wait for the seconds in Retry-After",
    503: "a dependency (the database, or a service it asks) is unavailable: try again after Retry-After",
}
_WRITES = {"post", "put", "patch", "delete"}


def json_safe(value: Any) -> Any:
    """A value that encodes as strict JSON in UTF-8: NaN and infinities as text, unpaired surrogates escaped."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def document_errors(app: FastAPI) -> None:
    """List the error answers each operation can give in the app's OpenAPI document: 401/403/422/429/503 for all,
    400 where there is a body, 404 where the path names something, 409 for writes."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorItem, ErrorBody):
            components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code, description in _ERRORS.items():
                    if ((code == 400 and "requestBody" not in operation) or (code == 404 and "{" not in path)
                            or (code == 409 and method not in _WRITES)):
                        continue
                    answer = responses.setdefault(str(code), {"description": description})
                    # Replaces FastAPI's own 422 schema too: rule violations and a few 422s given as a sentence.
                    answer["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                    if code in (429, 503):
                        answer.setdefault("headers", {"Retry-After": {
                            "description": "seconds to wait", "schema": {"type": "string"}}})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_handlers(app: FastAPI) -> None:
    """Map domain exceptions to HTTP answers, so routes stay free of error plumbing."""
    from fastapi.responses import JSONResponse

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: object, exc: RequestValidationError) -> JSONResponse:
        # The offending input is echoed back, so it must itself be encodable (NaN, a lone surrogate...).
        detail = json_safe(jsonable_encoder(exc.errors()))
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

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

    @app.exception_handler(Unavailable)
    async def _unavailable(_request: object, exc: Unavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                            headers={"Retry-After": "30"})

    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    document_errors(app)
