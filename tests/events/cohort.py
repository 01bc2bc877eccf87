"""The cohort the events service's tests read figures from: thirteen synthetic people with one adviser."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.messaging.contract import EventEnvelope
from tests.support.events import Referral, YoungPerson, days, offer_flow, spell

COHORT_STATUSES = ["overdue"] * 5 + ["at_risk", "on_track", "met_late"] + ["met"] * 5


@dataclass
class Cohort:
    """Thirteen people with one adviser, read at `as_at` = base + 150 days: five met (offers after 10..50
    days, three started), one met late (130 days), five overdue (one of them SEND), one at risk, and one
    whose first clock ended when they found work and who is NEET again (on track in a second episode), whose activity
record says so (three versions)."""

    adviser_id: str
    base: dt.datetime
    events: list[EventEnvelope]
    met: list[YoungPerson]
    met_late: YoungPerson
    overdue: list[YoungPerson]
    at_risk: YoungPerson
    restarted: YoungPerson

    @property
    def as_at(self) -> dt.datetime:
        return self.base + days(150)

    @property
    def people(self) -> list[YoungPerson]:
        return [*self.met, self.met_late, *self.overdue, self.at_risk, self.restarted]


def cohort(adviser_id: str, base: dt.datetime) -> Cohort:
    events: list[EventEnvelope] = []
    met = [YoungPerson(adviser_id, base) for _ in range(5)]
    start_types = ["apprenticeship", "kickstart", "job"]
    for index, person in enumerate(met):
        events.append(person.registered())
        offered = base + days(10 * (index + 1))
        accepted = offered + days(2) if index < 3 else None
        events += offer_flow(person, referred=base + days(5), offered=offered, accepted=accepted,
                             opportunity_type=start_types[index % 3])
    late = YoungPerson(adviser_id, base, priority_groups=["long_term_unemployed"])
    events += [late.registered(), *offer_flow(late, referred=base + days(100), offered=base + days(130))]
    overdue = [YoungPerson(adviser_id, base - days(i), priority_groups=["care_leaver", "young_carer"])
               for i in range(5)]
    for person in overdue:
        events.append(person.registered())
    events.append(overdue[0].special(send=True, ethnicity="Synthetic ethnicity"))
    unsuccessful = Referral(overdue[1])
    events += [unsuccessful.created(base + days(3)), unsuccessful.moved("unsuccessful", base + days(9))]
    at_risk = YoungPerson(adviser_id, base + days(40), priority_groups=["neet"])
    events.append(at_risk.registered())
    restarted = YoungPerson(adviser_id, base, priority_groups=["neet"])
    events += [restarted.registered(), restarted.becomes("employment", base + days(20)),
               restarted.becomes("neet", base + days(100))]
    # Their activity record, changed twice: the newest version (NEET again, confirmed 40 days after) must win.
    on = [(base + days(n)).date() for n in (0, 19, 20, 99, 100, 140)]
    events += [restarted.activity(spell(610, on[0], on[0]), at=base),
               restarted.activity(spell(610, on[0], on[0], ended_on=on[1]), spell(330, on[2], on[2]),
                                  at=base + days(20)),
               restarted.activity(spell(610, on[0], on[0], ended_on=on[1]), spell(330, on[2], on[2], ended_on=on[3]),
                                  spell(610, on[4], on[4], on[5]), at=base + days(140))]
    return Cohort(adviser_id, base, events, met, late, overdue, at_risk, restarted)
