from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.types import InputModel
from services.messaging.contract import EventType
from services.messaging.vocabulary import GuaranteeStatus, OpportunityType, PriorityGroup

# An earlier episode that ended (the person left NEET) before any offer; never a current status.
EpisodeStatus = Literal["on_track", "at_risk", "overdue", "met", "met_late", "ended_without_offer"]


class StoredEventRead(BaseModel):
    event_id: uuid.UUID
    event_type: EventType
    topic: str
    schema_version: int
    producer: str
    aggregate_id: str
    aggregate_version: int
    occurred_at: dt.datetime
    received_at: dt.datetime
    payload: dict[str, Any]
    redacted: bool


class EventPage(BaseModel):
    items: list[StoredEventRead]
    count: int
    limit: int


class ViewRead(BaseModel):
    """One look at a young person's record: who (an adviser's id, an employer's id and name), what and when."""

    viewed_at: dt.datetime
    viewer_role: Literal["adviser", "employer"]
    viewer: str
    viewer_name: str | None
    record: Literal["profile", "referral"]
    referral_id: uuid.UUID | None
    opportunity_title: str | None


class ViewPage(BaseModel):
    items: list[ViewRead]
    count: int
    limit: int


class GuaranteeRow(BaseModel):
    """One young person's current guarantee clock. Never carries special category data beyond the SEND
    priority group, which advisers may see (a service caller gets no priority groups)."""

    profile_id: uuid.UUID
    adviser_id: str | None
    priority_groups: list[PriorityGroup]
    registered_at: dt.datetime
    episode: int = Field(description="1 for the clock started at registration, 2+ after NEET again")
    clock_started_at: dt.datetime
    days_waiting: int = Field(description="whole days from the clock starting to the offer, or to now")
    deadline_at: dt.datetime
    days_left: int | None = Field(description="deadline days minus days waiting; None once offered")
    offer_at: dt.datetime | None
    status: GuaranteeStatus


class GuaranteePage(BaseModel):
    as_at: dt.datetime
    deadline_days: int
    warning_days: float
    items: list[GuaranteeRow]
    total: int
    limit: int
    offset: int


class EpisodeRead(BaseModel):
    number: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    deadline_at: dt.datetime
    offer_at: dt.datetime | None
    days_waiting: int
    status: EpisodeStatus


class PersonClock(BaseModel):
    profile_id: uuid.UUID
    adviser_id: str | None
    priority_groups: list[PriorityGroup]
    registered_at: dt.datetime | None
    current: GuaranteeRow | None
    episodes: list[EpisodeRead]


class Figure(BaseModel):
    """A published number; `value` is null and `suppressed` true when too few people are behind it."""

    value: int | float | None
    suppressed: bool


class GroupFigures(BaseModel):
    group: Literal["all"] | PriorityGroup
    too_small: bool = Field(
        False, description="fewer people than the threshold: every figure is hidden but zeros the town's zeros imply"
    )
    size: Figure
    counts: dict[GuaranteeStatus, Figure]
    median_days_to_offer: Figure
    share_offered_within_deadline: Figure


class GuaranteeSummary(BaseModel):
    as_at: dt.datetime
    adviser: str | None
    deadline_days: int
    warning_days: float
    suppression_threshold: int
    overall: GroupFigures
    groups: list[GroupFigures]
    notes: list[str]


class EmployerFigures(BaseModel):
    total: int
    living_wage_employer: int
    good_employment_charter: int
    disability_confident: int


class StatsQuery(InputModel):
    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(
        None, pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$",
        description="a calendar month from 1900-01 to 2099-12, YYYY-MM (default: all time). Figures are published "
                    "for whole months only, so no two answers differ by a few days' people.",
    )


class StatsRead(BaseModel):
    """The town's outcome figures. Flows (registrations, referrals, ...) count within the calendar month, or all
    time; states (NEET now, live opportunities, employers) are as at `as_at`. A people figure is null when it is
    hidden by disclosure control (listed in `suppressed`); every month and all time are protected together."""

    month: str | None = Field(description="YYYY-MM, or null for all time")
    as_at: dt.datetime
    registered_young_people: int | None
    neet_now: int | None
    referrals: int | None
    interviews: int | None
    offers: int | None
    starts: int | None
    starts_by_type: dict[OpportunityType, int | None]
    interests_expressed: int | None
    opportunities_published: int
    live_opportunities: int
    live_positions: int
    open_positions: int
    employers: EmployerFigures
    suppressed: list[str] = Field(description="the hidden figures, e.g. 'offers' or 'starts_by_type.kickstart'")
    suppression_threshold: int


class ExposureGroup(BaseModel):
    group: PriorityGroup
    too_small: bool = Field(False, description="fewer eligible people than the threshold: every figure hidden")
    people: Figure = Field(description="eligible candidates in the group (each person once)")
    eligible_share: Figure = Field(description="the group's share of the eligible candidacies")
    exposure_share: Figure = Field(description="the group's share of the exposure in the candidate lists")
    ratio: Figure = Field(description="exposure share over eligible share (1: shown as often as eligible)")


class ExposureKind(BaseModel):
    type: Literal["all"] | OpportunityType
    opportunities: int = Field(description="open opportunities whose candidate lists were read")
    people: Figure = Field(description="eligible candidates for them (each person once)")
    groups: list[ExposureGroup]


class ExposureRead(BaseModel):
    """The exposure audit of the candidate lists advisers see, overall and per opportunity type."""

    as_at: dt.datetime
    list_length: int
    suppression_threshold: int
    kinds: list[ExposureKind]
    notes: list[str]


class OversightFigures(BaseModel):
    """Advisers' decisions against the matcher's suggestions, for the town or one adviser. Counts of decisions about
    people are protected like every published figure; how many lists were shown is not about anyone."""

    lists_served: int = Field(description="suggestion lists of opportunities shown to advisers (one adviser: to them)")
    candidate_lists_served: int = Field(description="lists of people suggested for an opportunity shown to advisers")
    dismissed: Figure = Field(description="suggestions dismissed")
    dismissed_by_reason: dict[str, Figure] = Field(
        description="dismissals by reason: each code of the list, or `words_only` (a reason in words alone)")
    referred: Figure = Field(description="referrals made")
    referred_within_top: Figure = Field(description="referrals to one of the top suggestions of a list")
    referred_outside_top: Figure = Field(description="referrals to a suggestion ranked below the top")
    referred_not_suggested: Figure = Field(description="referrals to an opportunity not from a suggestion list")
    referred_against_suggestions: Figure = Field(description="outside the top or not suggested: the two together")
    against_by_reason: dict[str, Figure] = Field(
        description="those referrals by the reason given: a code, `words_only`, or `no_reason`")


class OversightSummary(BaseModel):
    adviser: str | None
    since: dt.datetime | None
    suppression_threshold: int
    lists_to_young_people: int | None = Field(
        None, description="suggestion lists young people were shown themselves (the town's summary only)")
    figures: OversightFigures


class RowFigures(BaseModel):
    """One row of a return's table: people split into categories. `size` is how many people the row counts;
    `counts` each category (and sums of categories, e.g. neet_or_not_known); `shares` categories as a share of the
    size, 0 to 1 with 3 decimals (null when the size is 0). Hidden figures are null with suppressed=true."""

    label: str = Field(description="what the row counts, e.g. a priority group, a cohort or a table's name")
    too_small: bool = Field(
        False, description="fewer people than the threshold: every figure is hidden but zeros the town's zeros imply"
    )
    size: Figure
    counts: dict[str, Figure]
    shares: dict[str, Figure]


class HeadlineRead(BaseModel):
    """The DfE headline measure: NEET and not known among the 16-17 year olds known to the hub, on each month end of
    a winter and as its 3-month average. Each list holds the row `all` first, then (the town's only, not a caseload's)
    each priority group; counts in each row: neet, not_known, participating, neet_or_not_known; shares: neet,
    not_known, neet_or_not_known."""

    winter: int = Field(description="the year of the December: the winter is December, January and February after")
    month_ends: list[dt.date]
    as_at: dt.date
    adviser: str | None
    complete: bool = Field(description="all three month ends are on or before as_at")
    suppression_threshold: int
    average: list[RowFigures] = Field(description="counts are the mean per month end (1 decimal)")
    months: dict[dt.date, list[RowFigures]] = Field(description="by month end reached by as_at")
    notes: list[str]


class IndicatorsRead(BaseModel):
    """The Youth Guarantee indicators (EU indicator framework) as at a date, exits over `since`..`as_at`."""

    as_at: dt.date
    since: dt.date
    adviser: str | None
    deadline_days: int
    suppression_threshold: int
    neet_population_estimate: int | None
    coverage: Figure = Field(description="people waiting on as_at over the NEET population estimate (null, not "
                                         "suppressed, when no estimate is set)")
    waiting: RowFigures = Field(description="people waiting for an offer on as_at: counts within_deadline and "
                                            "beyond_deadline; share beyond_deadline")
    exits_by_type: RowFigures = Field(description="counts offer_accepted, offer_made, activity_change, not_known")
    exits_by_destination: RowFigures = Field(description="counts by activity group entered")
    exits_by_timeliness: RowFigures = Field(
        description="counts timely_positive, timely_other, late_positive, late_other, timely, positive; shares timely, "
                    "positive, timely_positive")
    follow_up: dict[int, RowFigures] = Field(
        description="by months after exit (6, 12, 18): counts by activity group, unknown, not_yet_due and due "
                    "(all but not_yet_due)")
    notes: list[str]


class SeptemberGuaranteeRead(BaseModel):
    """The September Guarantee for a year: rows year_11, year_12 and all; counts and shares offer_made, no_offer,
    offer_not_appropriate, not_recorded; size is the cohort."""

    year: int
    as_at: dt.date
    adviser: str | None
    suppression_threshold: int
    cohorts: list[RowFigures]
    notes: list[str]
