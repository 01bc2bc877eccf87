from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.common.types import InputModel, Text
from services.messaging.vocabulary import OpportunityType

Sector = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, strict=True)]
K = Annotated[int, Field(ge=1, le=100)]


class SkillMatch(BaseModel):
    """A skill the posting asks for, met by the person's own words (the same words, or the same in meaning), with
    the ESCO skill that names it when one is close enough."""

    skill: str = Field(description="The skill as the posting lists it")
    own_words: str = Field(description="The person's words that meet it")
    esco_label: str | None = Field(description="The ESCO skill both are named by (None when none is close enough)")
    esco_uri: str | None
    similarity: float = Field(description="Cosine similarity of the two phrases (1 for the same words)")


class LevelFit(BaseModel):
    """A posting's level beside the person's highest recorded qualification (entry level: 0)."""

    posting_level: int
    asked_first: int = Field(description="The level of qualification a posting at this level usually asks for first")
    highest_recorded: int
    short: int = Field(description="Levels the person is below what it asks for first (0: within reach); each "
                       "lowers the score")
    step_up: bool = Field(description="Above the person's highest level, and asking for more than entry level first")


class Explanation(BaseModel):
    matched_skills: list[str]
    missing_skills: list[str] = Field(description="Skills the posting asks for that the person has not listed: "
                                      "things to learn, never a reason for the match")
    distance_km: float | None
    reasons: list[str] = Field(description="What speaks for the match, in words (positives only)")
    matched_interests: list[str] = Field(default=[], description="The person's interests the posting speaks of")
    skill_matches: list[SkillMatch] = Field(default=[], description="How each matched skill was met, in the "
                                            "person's own words beside the ESCO label")
    level_fit: LevelFit | None = Field(default=None, description="The posting's level beside the person's "
                                       "qualifications; None when either is not known")


class OpportunitySummary(BaseModel):
    """What a page shows of a matched opportunity, named as the opportunities service names it."""

    id: uuid.UUID
    title: str
    type: OpportunityType
    level: int | None
    employer_id: uuid.UUID | None
    employer_name: str
    employer_disability_confident: bool
    employer_living_wage_employer: bool
    employer_good_employment_charter: bool
    wage_per_hour: float
    hours_per_week: float
    postcode_district: str
    remote: bool
    start_date: dt.date
    closing_date: dt.date
    positions: int
    positions_filled: int
    requires_universal_credit: bool
    description: str
    distance_km: float | None


class OpportunityMatch(BaseModel):
    opportunity_id: uuid.UUID
    score: float
    explanation: Explanation
    opportunity: OpportunitySummary | None = None
    beyond_travel: bool = Field(default=False, description="Further away than the person said they would travel: "
                                "offered only because too few are within it")


class SearchMatch(OpportunityMatch):
    """An opportunity found by free text, with how near in meaning its text is to the words."""

    similarity: float = Field(description="cosine similarity of the query text and the opportunity's text")


class CandidateMatch(BaseModel):
    profile_id: uuid.UUID
    score: float
    explanation: Explanation


class WiderStep(BaseModel):
    radius_km: float
    found: int = Field(description="Eligible opportunities within this distance (remote ones included)")


LIST_ID = ("The suggestion list as recorded for the audit log: a referral or dismissal names it with the rank it "
           "was shown at (null when it was not recorded)")


class ProfileMatches(BaseModel):
    profile_id: uuid.UUID
    list_id: uuid.UUID | None = Field(default=None, description=LIST_ID)
    matches: list[OpportunityMatch] = Field(description="Within the person's travel distance (or remote)")
    travel_km: float | None = Field(default=None, description="The distance the person said they would travel "
                                    "(None when their postcode district is not located)")
    within_travel: int | None = Field(default=None, description="How many eligible opportunities are within it")
    fewer_than_k: bool = Field(default=False, description="Fewer than k eligible within the travel distance")
    wider_steps: list[WiderStep] = Field(default=[], description="Wider distances, each with how many it finds")
    wider_radius_km: float | None = Field(default=None, description="The step wider_matches come from: the first "
                                          "that finds k, else the widest")
    wider_matches: list[OpportunityMatch] = Field(default=[], description="Beyond the travel distance, best first, "
                                                  "each marked beyond_travel")


class OpportunityCandidates(BaseModel):
    opportunity_id: uuid.UUID
    list_id: uuid.UUID | None = Field(default=None, description=LIST_ID)
    matches: list[CandidateMatch]


class CandidateList(BaseModel):
    opportunity_id: uuid.UUID
    type: OpportunityType
    profile_ids: list[uuid.UUID] = Field(description="The candidate list an adviser sees for it, best first")


class EligibleFor(BaseModel):
    profile_id: uuid.UUID
    by_type: dict[OpportunityType, int] = Field(description="How many of the listed opportunities of each type "
                                                "the person is an eligible candidate for")


class CandidateLists(BaseModel):
    """Every open opportunity's candidate list and who is eligible for how many: what the events service's
    exposure audit joins with the priority groups it holds (this service holds no special category data)."""

    k: int
    lists: list[CandidateList]
    eligible: list[EligibleFor] = Field(description="Everyone eligible for at least one listed opportunity")


class SearchFilters(InputModel):
    model_config = ConfigDict(extra="forbid")

    type: OpportunityType | None = None
    sector: Sector | None = None
    max_distance_km: Annotated[float, Field(gt=0, le=500)] | None = None
    remote: bool | None = None
    # Where max_distance_km is measured from in a free-text search (a young person's own district by default).
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=10)] | None = None


class SearchRequest(InputModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, strict=True)]
    k: K = 10
    target: Literal["opportunities", "profiles"]
    filters: SearchFilters = SearchFilters()
    # Score these opportunities only (whatever their status or filters; at most 100): the notifications service
    # asks how well a newly live opportunity fits a saved search's text.
    opportunity_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=100)] | None = None


class SearchResults(BaseModel):
    target: Literal["opportunities", "profiles"]
    matches: list[SearchMatch] | list[CandidateMatch]
    not_indexed: list[uuid.UUID] = Field(default=[], description="Of the opportunity_ids asked for, those this "
                                         "matcher has not read yet")
