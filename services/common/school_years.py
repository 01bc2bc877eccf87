"""England's school years, as the Department for Education counts them: a child's year group follows their age on
31 August, before the academic year that starts on 1 September."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from services.common.eligibility import age_on

# The September Guarantee is for young people leaving Year 11 (academic age 15 in the year just ended, so 16 on the
# 31 August before the September) and leaving Year 12 (17 then).
SeptemberCohort = Literal["year_11", "year_12"]
COHORT_OF_AGE: dict[int, SeptemberCohort] = {16: "year_11", 17: "year_12"}


def academic_year_of(day: dt.date) -> int:
    """The academic year a day falls in, named by the calendar year of its September."""
    return day.year if day.month >= 9 else day.year - 1


def academic_age(date_of_birth: dt.date, day: dt.date) -> int:
    """Age on the 31 August before the academic year of `day` (NCCIS's "academic age": Year 12 is 16, Year 13 17)."""
    return age_on(date_of_birth, dt.date(academic_year_of(day), 8, 31))


def september_cohort(date_of_birth: dt.date, year: int) -> SeptemberCohort | None:
    """Which September Guarantee cohort of `year` (its September) a young person is in, if any."""
    return COHORT_OF_AGE.get(age_on(date_of_birth, dt.date(year, 8, 31)))
