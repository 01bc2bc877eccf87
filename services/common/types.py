"""Field types and the base model shared by the services' request schemas: the input rules written once."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from services.common.postcodes import normalise_postcode

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
_FIRST_MOMENT = dt.datetime.combine(FIRST_DAY, dt.time(), dt.UTC)
_LAST_MOMENT = dt.datetime.combine(LAST_DAY, dt.time.max, dt.UTC)
# Far beyond any real page, and far below what a database's 64-bit OFFSET or Python's slicing would choke on.
MAX_OFFSET = 1_000_000
# Unpaired surrogates cannot be stored or sent as UTF-8; NUL is refused by PostgreSQL and cuts C strings short.
_UNSAFE_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    else:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a real calendar date") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return day


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
"""A date given as 'YYYY-MM-DD' text only: no timestamps, no impossible days, none before 1900 or after 2199."""


def _bounded_moment(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        inside = _FIRST_MOMENT <= value <= _LAST_MOMENT
    except OverflowError:
        inside = False
    if not inside:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Moment = Annotated[dt.datetime, AfterValidator(_bounded_moment)]
"""A point in time (ISO 8601, UTC when no zone is given) between 1900 and 2199."""


def unsafe_text(value: Any) -> str | None:
    """Why a value (or a string, number or key anywhere inside it) cannot be accepted, or None when it can."""
    if isinstance(value, str):
        found = _UNSAFE_CHARACTER.search(value)
        if found:
            what = "NUL" if found.group() == "\x00" else "an unpaired surrogate"
            return f"must not contain {what} (character {found.start()})"
    elif isinstance(value, float):
        if not math.isfinite(value):
            return "must be a finite number"
    elif isinstance(value, dict):
        return next((reason for item in value.items() for part in item if (reason := unsafe_text(part))), None)
    elif isinstance(value, list | tuple):
        return next((reason for item in value if (reason := unsafe_text(item))), None)
    return None


def _clean(value: Any) -> Any:
    reason = unsafe_text(value)
    if reason:
        raise ValueError(reason)
    return value


class InputModel(BaseModel):
    """Base of every request schema: numbers are finite and no string holds NUL or an unpaired surrogate."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _safe_input(cls, value: Any) -> Any:
        return _clean(value)


Text = Annotated[str, BeforeValidator(_clean)]
"""A string query parameter under the same rule."""

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]

# The UK format as a JSON Schema pattern (spaces and case are normalised on the way in).
POSTCODE_PATTERN = r"^ ?[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2} ?$"
Postcode = Annotated[
    str,
    StringConstraints(strict=True, max_length=10),
    Field(json_schema_extra={"pattern": POSTCODE_PATTERN}),
    AfterValidator(normalise_postcode),
]
"""A UK postcode, normalised to 'SK1 3XE'."""
