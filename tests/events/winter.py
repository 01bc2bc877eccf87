"""The cohort the returns' tests read the headline measure from: eleven synthetic people through the winter of 2024
(month ends 2024-12-31, 2025-01-31 and 2025-02-28, when academic age is the age on 2024-08-31), with activity records
that lapse, a caseload transfer, a late registration and an erasure."""

from __future__ import annotations

import datetime as dt

from services.messaging.contract import EventEnvelope
from tests.support.events import YoungPerson, spell

D = dt.date


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), dt.UTC)


def person(registered: dt.date, born: dt.date, *, adviser: str = "adv-a", groups: list[str] | None = None,
           status: str = "neet") -> YoungPerson:
    return YoungPerson(adviser, at(registered), priority_groups=groups or [], status=status, date_of_birth=born)


class Winter:
    def __init__(self) -> None:
        reg = D(2024, 10, 1)
        self.a = person(reg, D(2008, 1, 15))   # academic 16
        self.b = person(reg, D(2007, 3, 10))   # academic 17, moves to adv-b on 2025-01-25
        self.c = person(reg, D(2007, 1, 20))   # academic 17, 18 in real years from 2025-01-20: still counted
        self.d = person(reg, D(2008, 6, 30))   # academic 16, nothing recorded
        self.e = person(reg, D(2007, 6, 1), groups=["care_leaver"])
        self.f = person(reg, D(2008, 2, 2), groups=["care_leaver"])
        self.g = person(D(2025, 1, 15), D(2007, 4, 4))  # registers mid-winter
        self.h = person(reg, D(2008, 10, 5))   # academic 15 (16 in real years from 2024-10-05): not counted
        self.i = person(reg, D(2006, 5, 1))    # academic 18: not counted
        self.j = person(reg, D(2007, 5, 5))    # academic 17, SEND
        self.k = person(reg, D(2007, 7, 7))    # academic 17, erased
        self.events: list[EventEnvelope] = [p.registered() for p in (self.a, self.b, self.c, self.d, self.e, self.f,
                                                                     self.g, self.h, self.i, self.j, self.k)]
        self.events += [
            self.a.activity(spell(230, D(2024, 9, 2), D(2024, 9, 10))),
            # neet_available lapses 31 days after the last confirmation: 2024-12-20 + 31 = 2025-01-20
            self.b.activity(spell(610, D(2024, 11, 1), D(2024, 11, 1), D(2024, 12, 20))),
            self.b.transferred("adv-b", at(D(2025, 1, 25))),
            self.c.activity(spell(330, D(2024, 10, 1), D(2024, 10, 1))),  # 183 days: lapses 2025-04-02
            # neet_not_available (92 days): 2024-10-15 + 92 = 2025-01-15, but confirmed again 2025-01-10
            self.e.activity(spell(630, D(2024, 10, 15), D(2024, 10, 15), D(2025, 1, 10))),
            self.f.activity(spell(230, D(2024, 9, 2), D(2024, 9, 2), ended_on=D(2025, 1, 10)),
                            spell(610, D(2025, 1, 11), D(2025, 1, 11))),  # lapses 2025-02-11
            self.g.activity(spell(310, D(2024, 9, 1), D(2025, 1, 15))),
            self.h.activity(spell(610, D(2024, 12, 1), D(2024, 12, 1), D(2025, 1, 25))),
            self.i.activity(spell(610, D(2024, 12, 1), D(2024, 12, 1), D(2025, 1, 25))),
            self.j.special(send=True),
            self.j.activity(spell(540, D(2024, 10, 1), D(2024, 12, 15), D(2025, 1, 20), D(2025, 2, 20))),
            self.k.activity(spell(610, D(2024, 10, 1), D(2024, 12, 20), D(2025, 1, 20), D(2025, 2, 20))),
            self.k.erased(at(D(2025, 3, 5))),
        ]
