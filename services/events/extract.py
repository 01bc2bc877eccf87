"""The returns as CSV files: the monthly activity extract in NCCIS-like columns (each column's meaning in
docs/nccis-extract.md), its downloads recorded, and each return's tables as published."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from services.common.errors import RuleViolation
from services.events.activity import CurrencyDays, load_people
from services.events.models import ExtractDownload
from services.events.schemas import Figure, HeadlineRead, IndicatorsRead, RowFigures, SeptemberGuaranteeRead
from services.messaging.vocabulary import PRIORITY_GROUPS

EXTRACT_COLUMNS: tuple[str, ...] = (
    "person_ref", "year_of_birth", "academic_age", "postcode_district", "activity_code", "activity_group",
    "start_date", "date_last_confirmed", "currency_lapsed", "recorded_code", "source", "adviser_id",
    *[f"priority_{group}" for group in PRIORITY_GROUPS],
)
YES, NO = "Y", "N"


def person_reference(profile_id: uuid.UUID) -> str:
    """A stable pseudonymous reference for a person in the extract: not their profile id, nor their erasure mark."""
    return hashlib.sha256(f"yg-nccis:{profile_id}".encode()).hexdigest()[:16]


def month_end(month: str) -> dt.date:
    year, number = (int(part) for part in month.split("-"))
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def previous_month(day: dt.date) -> str:
    """The newest calendar month ended by `day`."""
    last = day if day == month_end(f"{day.year}-{day.month:02d}") else day.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def _write(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def activity_extract(*, session: Session, month: str, as_at: dt.date, adviser: str | None, currency: CurrencyDays,
                     downloaded_by: str, now: dt.datetime) -> str:
    """One row per person known to the hub on the month's last day (on one adviser's caseload then, if named): what
    they were doing that day by their activity record. The download is recorded, in the same transaction."""
    end = month_end(month)
    if end > as_at:
        raise RuleViolation("month", "ended_by_as_at",
                            f"month {month} ends on {end.isoformat()}, after as_at ({as_at.isoformat()})",
                            location="query")
    rows = []
    for person in load_people(session, known_on=as_at):
        holder = person.adviser_on(end)
        if not person.known_on(end) or (adviser is not None and holder != adviser):
            continue
        activity = person.activity_on(end, currency)
        spell = activity.spell
        rows.append([
            person_reference(person.profile_id),
            person.date_of_birth.year if person.date_of_birth else "",
            person.academic_age_on(end) if person.date_of_birth else "",
            person.postcode_district or "",
            activity.code,
            activity.group,
            spell.started_on.isoformat() if spell else "",
            activity.last_confirmed.isoformat() if activity.last_confirmed else "",
            YES if activity.lapsed else NO,
            spell.code if spell else "",
            spell.source if spell else "",
            holder or "",
            *[YES if group in person.groups else NO for group in PRIORITY_GROUPS],
        ])
    rows.sort(key=lambda row: str(row[0]))
    session.add(ExtractDownload(downloaded_at=now, downloaded_by=downloaded_by, month=month, adviser_id=adviser,
                                rows=len(rows)))
    session.commit()
    return _write(EXTRACT_COLUMNS, rows)


TABLE_COLUMNS = ("table", "row", "figure", "kind", "value", "suppressed")


def _figure_rows(table: str, row: str, figure: str, kind: str, value: Figure) -> list[object]:
    shown = "" if value.value is None else value.value
    return [table, row, figure, kind, shown, "true" if value.suppressed else "false"]


def _row_lines(table: str, row: RowFigures) -> list[list[object]]:
    lines = [_figure_rows(table, row.label, "size", "count", row.size)]
    lines += [_figure_rows(table, row.label, name, "count", figure) for name, figure in row.counts.items()]
    lines += [_figure_rows(table, row.label, name, "share", figure) for name, figure in row.shares.items()]
    return lines


def headline_csv(read: HeadlineRead) -> str:
    lines = [line for row in read.average for line in _row_lines("average", row)]
    for end, rows in read.months.items():
        lines += [line for row in rows for line in _row_lines(end.isoformat(), row)]
    return _write(TABLE_COLUMNS, lines)


def indicators_csv(read: IndicatorsRead) -> str:
    lines = [_figure_rows("coverage", "waiting_over_estimate", "coverage", "share", read.coverage)]
    for table, row in (("waiting", read.waiting), ("exits", read.exits_by_type),
                       ("exits", read.exits_by_destination), ("exits", read.exits_by_timeliness),
                       *[("follow_up", row) for row in read.follow_up.values()]):
        lines += _row_lines(table, row)
    return _write(TABLE_COLUMNS, lines)


def september_guarantee_csv(read: SeptemberGuaranteeRead) -> str:
    return _write(TABLE_COLUMNS, [line for row in read.cohorts for line in _row_lines(str(read.year), row)])
