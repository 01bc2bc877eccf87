"""The returns and indicators on seeded cohorts fed through the real ingest path, every expected figure worked out by
hand below (the arithmetic in the comments), never by the code under test."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator, Sequence

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from services.common.db import make_engine, make_session_factory, run_migrations
from services.events import extract, returns
from services.events.activity import load_people
from services.events.guarantee import ClockRules
from services.events.main import MIGRATIONS, make_handler
from services.events.models import ActivitySpell, ExtractDownload, Person, SeptemberOffer, StoredEvent
from services.events.returns import ReturnsRules
from services.events.schemas import RowFigures
from services.messaging.contract import EventEnvelope
from tests.events.winter import D, Winter, at, person
from tests.support.databases import TestDatabases
from tests.support.events import offer_flow, spell
from tests.support.keys import CONSUMER_KEYS

OPEN = ReturnsRules(clock=ClockRules(suppression_threshold=1))  # threshold 1: nothing is hidden


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def deliver(self, events: Sequence[EventEnvelope]) -> None:
        make_handler(self.sessions, self.engine, CONSUMER_KEYS, "events-test")(list(events))


@pytest.fixture
def store(databases: TestDatabases) -> Iterator[Store]:
    url = databases.new_url("events_returns")
    run_migrations(url, MIGRATIONS)
    engine = make_engine(url)
    yield Store(engine)
    engine.dispose()


def values(row: RowFigures) -> dict[str, object]:
    return {"size": row.size.value, **{name: f.value for name, f in row.counts.items()},
            **{f"share:{name}": f.value for name, f in row.shares.items()}}


def test_headline_month_by_month_and_the_3_month_average(store: Store) -> None:
    winter = Winter()
    store.deliver(winter.events)
    with store.sessions() as session:
        read = returns.headline(session=session, as_at=D(2025, 3, 31), winter=2024, adviser=None, rules=OPEN)
    assert read.complete and read.month_ends == [D(2024, 12, 31), D(2025, 1, 31), D(2025, 2, 28)]
    months = {end: {row.label: row for row in rows} for end, rows in read.months.items()}
    # 31 Dec: a c d e f j b known and 16-17 (g not yet registered, k erased, h 15, i 18) = 7;
    # NEET b e j = 3, not known d = 1, participating a c f = 3
    assert values(months[D(2024, 12, 31)]["all"]) == {
        "size": 7, "neet": 3, "not_known": 1, "participating": 3, "neet_or_not_known": 4,
        "share:neet": 0.429, "share:not_known": 0.143, "share:neet_or_not_known": 0.571}
    # 31 Jan: + g = 8; NEET e f j = 3; not known d, and b lapsed on 20 Jan = 2; participating a c g = 3
    assert values(months[D(2025, 1, 31)]["all"]) == {
        "size": 8, "neet": 3, "not_known": 2, "participating": 3, "neet_or_not_known": 5,
        "share:neet": 0.375, "share:not_known": 0.25, "share:neet_or_not_known": 0.625}
    # 28 Feb: NEET e j = 2; not known b d, and f lapsed on 11 Feb = 3; participating a c g = 3
    assert values(months[D(2025, 2, 28)]["all"]) == {
        "size": 8, "neet": 2, "not_known": 3, "participating": 3, "neet_or_not_known": 5,
        "share:neet": 0.25, "share:not_known": 0.375, "share:neet_or_not_known": 0.625}
    average = {row.label: row for row in read.average}
    # totals over the three months: cohort 7+8+8 = 23, NEET 3+3+2 = 8, not known 1+2+3 = 6, participating 9,
    # combined 14; means 23/3 = 7.7, 8/3 = 2.7, 6/3 = 2.0, 9/3 = 3.0, 14/3 = 4.7; shares 8/23 = 0.348,
    # 6/23 = 0.261, 14/23 = 0.609
    assert values(average["all"]) == {
        "size": 7.7, "neet": 2.7, "not_known": 2.0, "participating": 3.0, "neet_or_not_known": 4.7,
        "share:neet": 0.348, "share:not_known": 0.261, "share:neet_or_not_known": 0.609}
    # care leavers e f: Dec e NEET, f participating; Jan both NEET; Feb e NEET, f lapsed: cohort 6, NEET 4,
    # not known 1, participating 1; 4/6 = 0.667, 1/6 = 0.167, 5/6 = 0.833
    assert values(average["care_leaver"]) == {
        "size": 2.0, "neet": 1.3, "not_known": 0.3, "participating": 0.3, "neet_or_not_known": 1.7,
        "share:neet": 0.667, "share:not_known": 0.167, "share:neet_or_not_known": 0.833}
    # SEND: j NEET on all three month ends
    assert values(average["send"])["share:neet"] == 1.0
    assert values(average["young_carer"])["size"] == 0 and values(average["young_carer"])["share:neet"] is None


def test_headline_for_one_caseload_follows_the_transfer(store: Store) -> None:
    winter = Winter()
    store.deliver(winter.events)
    with store.sessions() as session:
        read = returns.headline(session=session, as_at=D(2025, 3, 31), winter=2024, adviser="adv-b", rules=OPEN)
        rest = returns.headline(session=session, as_at=D(2025, 3, 31), winter=2024, adviser="adv-a", rules=OPEN)
    months = {end: rows[0] for end, rows in read.months.items()}
    # b joined adv-b on 25 Jan: nobody on 31 Dec; b (lapsed: not known) on 31 Jan and 28 Feb
    assert values(months[D(2024, 12, 31)])["size"] == 0
    assert values(months[D(2025, 1, 31)])["not_known"] == 1 and values(months[D(2025, 2, 28)])["size"] == 1
    assert values(read.average[0])["share:not_known"] == 1.0  # 2 of 2
    # adv-a: b on 31 Dec only: 7 + 7 + 7 = 21 people, NEET 3 + 3 + 2 = 8
    assert (rest.average[0].size.value, rest.average[0].counts["neet"].value) == (7.0, 2.7)
    # a caseload's figures are overall only
    assert [row.label for row in rest.average] == ["all"] and all(len(rows) == 1 for rows in rest.months.values())


def test_headline_small_numbers_are_hidden_and_none_can_be_worked_out(store: Store) -> None:
    winter = Winter()
    store.deliver(winter.events)
    rules = ReturnsRules(clock=ClockRules(suppression_threshold=5))
    with store.sessions() as session:
        read = returns.headline(session=session, as_at=D(2025, 3, 31), winter=2024, adviser=None, rules=rules)
    # the whole town's counts as worked out in test_headline_month_by_month_and_the_3_month_average (size, NEET,
    # not known, participating, combined), and the care leavers' (e f)
    truth = {
        ("2024-12-31", "all"): (7, 3, 1, 3, 4), ("2025-01-31", "all"): (8, 3, 2, 3, 5),
        ("2025-02-28", "all"): (8, 2, 3, 3, 5), ("average", "all"): (23, 8, 6, 9, 14),
        ("2024-12-31", "care_leaver"): (2, 1, 0, 1, 1), ("2025-01-31", "care_leaver"): (2, 2, 0, 0, 2),
        ("2025-02-28", "care_leaver"): (2, 1, 1, 0, 1),
    }
    names = ("size", "neet", "not_known", "participating", "neet_or_not_known")
    rows = {(end.isoformat(), row.label): row for end, month in read.months.items() for row in month}
    rows |= {("average", row.label): row for row in read.average}
    shown: dict[tuple[str, str, str], int | None] = {}
    for key, counts in truth.items():
        row = rows[key]
        for name, count in zip(names, counts, strict=True):
            figure = row.size if name == "size" else row.counts[name]
            shown[(*key, name)] = None if figure.suppressed else count
            if not figure.suppressed:  # what is shown is true (a mean over the three months for the average)
                assert figure.value == (count if key[0] != "average" else round(count / 3, 1))
            # no count from 1 to 4 is shown
            assert figure.suppressed or not 0 < count < 5
    # two care leavers: the whole row is hidden
    assert rows[("2024-12-31", "care_leaver")].too_small
    # no hidden count follows from a relation whose other cells are shown: a row's size is its three categories, the
    # combined count NEET plus not known, the winter's total the three months'
    relations = []
    for group in ("all", "care_leaver"):
        months = [key for key in truth if key[1] == group and key[0] != "average"]
        for key in months + ([("average", group)] if ("average", group) in truth else []):
            relations += [[(*key, "size"), (*key, "neet"), (*key, "not_known"), (*key, "participating")],
                          [(*key, "neet_or_not_known"), (*key, "neet"), (*key, "not_known")]]
        if ("average", group) in truth:
            relations += [[("average", group, name), *[(*key, name) for key in months]] for name in names]
    for cells in relations:
        assert sum(shown[cell] is None for cell in cells) != 1, cells
    # and the shares go with their counts
    december = rows[("2024-12-31", "all")]
    assert december.shares["neet"].suppressed == (december.counts["neet"].suppressed or december.size.suppressed)


def test_currency_lapses_as_at_a_past_month_end_in_the_extract(store: Store) -> None:
    winter = Winter()
    store.deliver(winter.events)
    with store.sessions() as session:
        december = extract.activity_extract(session=session, month="2024-12", as_at=D(2025, 3, 31), adviser=None,
                                            currency=OPEN.currency, downloaded_by="adv-a", now=at(D(2025, 3, 31)))
        january = extract.activity_extract(session=session, month="2025-01", as_at=D(2025, 3, 31), adviser=None,
                                           currency=OPEN.currency, downloaded_by="adv-a", now=at(D(2025, 3, 31)))
    with store.sessions() as session:
        downloads = session.scalars(select(ExtractDownload).order_by(ExtractDownload.id)).all()
    rows_dec = {row["person_ref"]: row for row in csv.DictReader(io.StringIO(december))}
    rows_jan = {row["person_ref"]: row for row in csv.DictReader(io.StringIO(january))}
    b = extract.person_reference(winter.b.profile_id)
    assert {k: rows_dec[b][k] for k in ("activity_code", "recorded_code", "date_last_confirmed", "currency_lapsed",
                                        "adviser_id", "academic_age", "year_of_birth")} == {
        "activity_code": "610", "recorded_code": "610", "date_last_confirmed": "2024-12-20", "currency_lapsed": "N",
        "adviser_id": "adv-a", "academic_age": "17", "year_of_birth": "2007"}
    # 2024-12-20 + 31 days = 2025-01-20: lapsed on 31 Jan, counted 810; by then on adv-b's caseload
    assert {k: rows_jan[b][k] for k in ("activity_code", "activity_group", "recorded_code", "currency_lapsed",
                                        "adviser_id")} == {
        "activity_code": "810", "activity_group": "not_known", "recorded_code": "610", "currency_lapsed": "Y",
        "adviser_id": "adv-b"}
    d = extract.person_reference(winter.d.profile_id)
    assert (rows_jan[d]["activity_code"], rows_jan[d]["recorded_code"], rows_jan[d]["start_date"]) == ("810", "", "")
    # known on 31 Dec: everyone registered on 1 Oct but k (erased) = 9; g joins in January = 10
    assert (len(rows_dec), len(rows_jan)) == (9, 10)
    e = extract.person_reference(winter.e.profile_id)
    assert rows_jan[e]["priority_care_leaver"] == "Y" and rows_jan[e]["priority_send"] == "N"
    assert str(winter.b.profile_id) not in january
    assert [(row.month, row.rows, row.downloaded_by) for row in downloads] == [("2024-12", 9, "adv-a"),
                                                                               ("2025-01", 10, "adv-a")]


def test_a_figure_as_at_a_day_stays_what_it_was_though_a_later_record_reaches_back(store: Store) -> None:
    """On 10 January the adviser learns that p has been working since 28 December: a return as at 5 January still
    counts p NEET on 31 December (as the record stood then); as at 15 January it counts p participating."""
    p = person(D(2024, 10, 1), D(2008, 1, 15))  # academic 16 that winter
    neet = spell(610, D(2024, 12, 1), D(2024, 12, 20), ended_on=D(2024, 12, 28))
    working = spell(330, D(2024, 12, 28)).model_copy(update={"recorded_at": at(D(2025, 1, 10))})
    store.deliver([p.registered(), p.activity(spell(610, D(2024, 12, 1), D(2024, 12, 20))), p.activity(neet, working)])

    def december(as_at: dt.date) -> dict[str, object]:
        with store.sessions() as session:
            read = returns.headline(session=session, as_at=as_at, winter=2024, adviser=None, rules=OPEN)
            rows = list(csv.DictReader(io.StringIO(extract.activity_extract(
                session=session, month="2024-12", as_at=as_at, adviser=None, currency=OPEN.currency,
                downloaded_by="adv-a", now=at(as_at)))))
        everyone = next(row for row in read.months[D(2024, 12, 31)] if row.label == "all")
        return {"neet": everyone.counts["neet"].value, "participating": everyone.counts["participating"].value,
                "code": rows[0]["activity_code"]}

    assert december(D(2025, 1, 5)) == {"neet": 1, "participating": 0, "code": "610"}
    assert december(D(2025, 1, 15)) == {"neet": 0, "participating": 1, "code": "330"}


# ---- The Youth Guarantee indicators, as at 2026-06-30 over exits since 2024-07-01 (deadline 120 days) ----

def test_youth_guarantee_indicators(store: Store) -> None:
    born = D(2006, 1, 1)
    w1, w2, w3 = person(D(2026, 5, 1), born), person(D(2026, 1, 1), born), person(D(2025, 12, 1), born)
    x1, x2, x3 = person(D(2025, 9, 1), born), person(D(2025, 7, 15), born), person(D(2025, 8, 1), born)
    x4, x5 = person(D(2026, 1, 1), born), person(D(2024, 9, 1), born)
    events = [p.registered() for p in (w1, w2, w3, x1, x2, x3, x4, x5)]
    # x1: offer after 34 days, when the NEET activity had lapsed unconfirmed (2025-09-01 + 31 = 2025-10-02),
    # accepted, starts an apprenticeship on 2025-10-20: the destination is the apprenticeship, not "not known"
    events += offer_flow(x1, referred=at(D(2025, 9, 10)), offered=at(D(2025, 10, 5)), accepted=at(D(2025, 10, 8)))
    events.append(x1.activity(spell(610, D(2025, 9, 1), D(2025, 9, 1), ended_on=D(2025, 10, 19)),
                              spell(310, D(2025, 10, 20), D(2025, 10, 20))))
    # x2: offer after 184 days (late), not accepted; still NEET
    events += offer_flow(x2, referred=at(D(2026, 1, 1)), offered=at(D(2026, 1, 15)))
    events.append(x2.activity(spell(610, D(2025, 7, 15), D(2025, 7, 15), D(2026, 1, 15))))
    # x3: into work after 61 days, no offer
    events.append(x3.becomes("employment", at(D(2025, 10, 1))))
    events.append(x3.activity(spell(610, D(2025, 8, 1), D(2025, 8, 1), ended_on=D(2025, 9, 30)),
                              spell(330, D(2025, 10, 1), D(2025, 10, 1))))  # 183 days: lapses 2026-04-02
    # x4: status education after 59 days, nothing in the activity record: an exit to not known
    events.append(x4.becomes("education", at(D(2026, 3, 1))))
    # x5: a traineeship after 75 days, then work from 2025-06-01 (lapses 2025-06-01 + 183 = 2025-12-01)
    events.append(x5.becomes("training", at(D(2024, 11, 15))))
    events.append(x5.activity(spell(610, D(2024, 9, 1), D(2024, 9, 1), ended_on=D(2024, 11, 14)),
                              spell(410, D(2024, 11, 15), D(2024, 11, 15), ended_on=D(2025, 5, 31)),
                              spell(330, D(2025, 6, 1), D(2025, 6, 1))))
    store.deliver(events)
    rules = ReturnsRules(clock=ClockRules(suppression_threshold=1), neet_population_estimate=60)
    with store.sessions() as session:
        read = returns.indicators(session=session, as_at=D(2026, 6, 30), since=D(2024, 7, 1), adviser=None,
                                  rules=rules)
        unset = returns.indicators(session=session, as_at=D(2026, 6, 30), since=None, adviser=None, rules=OPEN)
    # waiting on 2026-06-30: w1 60 days, w2 180 days, w3 211 days: 2 beyond 120 days; coverage 3/60 = 0.05
    assert values(read.waiting) == {"size": 3, "within_deadline": 1, "beyond_deadline": 2,
                                    "share:beyond_deadline": 0.667}
    assert read.coverage.value == 0.05
    assert unset.coverage.value is None and not unset.coverage.suppressed and "estimate" in unset.notes[0]
    assert unset.since == D(2025, 7, 1)
    # exits: x1 offer accepted, x2 offer made, x3 and x5 activity change, x4 not known
    assert values(read.exits_by_type) == {"size": 5, "offer_accepted": 1, "offer_made": 1, "activity_change": 2,
                                          "not_known": 1}
    destinations = {name: f.value for name, f in read.exits_by_destination.counts.items() if f.value}
    assert destinations == {"apprenticeship": 1, "neet_available": 1, "employment": 1, "training": 1, "not_known": 1}
    # timely (within 120 days): x1 34, x3 61, x4 59, x5 75 = 4; positive x1 x3 x5 = 3, all timely
    assert values(read.exits_by_timeliness) == {
        "size": 5, "timely_positive": 3, "timely_other": 1, "late_positive": 0, "late_other": 1, "timely": 4,
        "positive": 3, "share:timely": 0.8, "share:positive": 0.6, "share:timely_positive": 0.6}
    follow = {months: {name: f.value for name, f in row.counts.items() if f.value}
              for months, row in read.follow_up.items()}
    # 6 months: x1 2026-04-01 apprenticeship, x3 2026-04-01 employment (lapses a day later), x5 2025-05-15
    # traineeship; x2 (2026-07-15) and x4 (2026-09-01) not yet due
    assert follow[6] == {"apprenticeship": 1, "employment": 1, "training": 1, "not_yet_due": 2, "due": 3}
    # 12 months: only x5 due (2025-11-15, in work); 18 months: x5 on 2026-05-15, work lapsed: unknown
    assert follow[12] == {"employment": 1, "not_yet_due": 4, "due": 1}
    assert follow[18] == {"unknown": 1, "not_yet_due": 4, "due": 1}

    # x5 is erased: their exit stays in every exit figure (anonymously), their later situation becomes unknown
    store.deliver([x5.erased(at(D(2026, 6, 1)))])
    with store.sessions() as session:
        after = returns.indicators(session=session, as_at=D(2026, 6, 30), since=D(2024, 7, 1), adviser=None,
                                   rules=rules)
        assert session.get(Person, x5.profile_id) is None
    assert after.exits_by_type == read.exits_by_type and after.exits_by_destination == read.exits_by_destination
    assert after.exits_by_timeliness == read.exits_by_timeliness
    follow = {months: {name: f.value for name, f in row.counts.items() if f.value}
              for months, row in after.follow_up.items()}
    # 6 months: x5's traineeship now unknown; 12 months: x5's work now unknown; 18: still unknown
    assert follow[6] == {"apprenticeship": 1, "employment": 1, "unknown": 1, "not_yet_due": 2, "due": 3}
    assert follow[12] == {"unknown": 1, "not_yet_due": 4, "due": 1}
    assert follow[18] == {"unknown": 1, "not_yet_due": 4, "due": 1}


# ---- The September Guarantee of 2025 (Year 11: 16 on 2025-08-31; Year 12: 17), as at 2025-10-31 ----

def test_september_guarantee_table(store: Store) -> None:
    reg = D(2025, 6, 1)
    year11 = [person(reg, D(2009, 1, 1 + n)) for n in range(5)]
    year12 = [person(reg, D(2008, 3, 1 + n)) for n in range(3)]
    late = person(D(2025, 11, 15), D(2009, 2, 2))  # registers after as_at
    older = person(reg, D(2006, 1, 1))
    events = [p.registered() for p in (*year11, *year12, late, older)]
    outcomes = [("offer_made", D(2025, 9, 20)), ("offer_made", D(2025, 9, 25)), ("no_offer", D(2025, 9, 30)), None,
                ("offer_not_appropriate", D(2025, 11, 5))]  # recorded after as_at: not recorded as at then
    for someone, outcome in zip(year11, outcomes, strict=True):
        events.append(someone.activity(spell(230, D(2025, 9, 3), D(2025, 9, 3)),
                                       september={2025: outcome} if outcome else None))
    events += [year12[0].activity(september={2025: ("offer_made", D(2025, 9, 1))}),
               year12[1].activity(september={2025: ("offer_not_appropriate", D(2025, 9, 1))}),
               year12[2].activity(september={2024: ("offer_made", D(2024, 9, 1))}),
               late.activity(september={2025: ("offer_made", D(2025, 9, 1))}),
               older.activity(september={2025: ("offer_made", D(2025, 9, 1))})]
    store.deliver(events)
    with store.sessions() as session:
        read = returns.september_guarantee(session=session, as_at=D(2025, 10, 31), year=None, adviser=None,
                                           rules=OPEN)
    assert read.year == 2025
    rows = {row.label: values(row) for row in read.cohorts}
    # Year 11: 5; made 2 (0.4), no offer 1 (0.2), not appropriate 0, not recorded 2 (0.4)
    assert rows["year_11"] == {
        "size": 5, "offer_made": 2, "no_offer": 1, "offer_not_appropriate": 0, "not_recorded": 2,
        "share:offer_made": 0.4, "share:no_offer": 0.2, "share:offer_not_appropriate": 0.0,
        "share:not_recorded": 0.4}
    # Year 12: 3; made 1, not appropriate 1, not recorded 1 (only a 2024 outcome): 1/3 = 0.333 each
    assert rows["year_12"] == {
        "size": 3, "offer_made": 1, "no_offer": 0, "offer_not_appropriate": 1, "not_recorded": 1,
        "share:offer_made": 0.333, "share:no_offer": 0.0, "share:offer_not_appropriate": 0.333,
        "share:not_recorded": 0.333}
    # both: 8; made 3 (0.375), no offer 1 (0.125), not appropriate 1 (0.125), not recorded 3 (0.375)
    assert rows["all"]["size"] == 8 and rows["all"]["share:offer_made"] == 0.375
    assert rows["all"]["share:no_offer"] == 0.125 and rows["all"]["share:not_recorded"] == 0.375


# ---- The projection ----

def test_the_newest_activity_record_wins_and_erasure_removes_it(store: Store) -> None:
    someone = person(D(2025, 1, 6), D(2008, 1, 1))
    first = someone.activity(spell(610, D(2025, 1, 6), D(2025, 1, 6)),
                             september={2024: ("no_offer", D(2024, 9, 30))})
    second = someone.activity(spell(640, D(2025, 1, 6), D(2025, 1, 6)))
    store.deliver([someone.registered(), second, first, second])  # the older version last, and a duplicate
    with store.sessions() as session:
        spells = session.scalars(select(ActivitySpell).where(ActivitySpell.profile_id == someone.profile_id)).all()
        person_row = session.get(Person, someone.profile_id)
        assert [s.code for s in spells] == [640] and person_row is not None and person_row.activity_version == 2
        assert person_row.date_of_birth == D(2008, 1, 1)
        assert session.scalar(select(func.count()).select_from(SeptemberOffer)) == 0
        # the audit log keeps no code about health or religion
        stored = session.scalars(select(StoredEvent).where(StoredEvent.event_id == str(second.event_id))).one()
        assert stored.payload["spells"][0]["code"] == "[withheld]"
    store.deliver([someone.erased(at(D(2025, 2, 1)))])
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ActivitySpell)) == 0
        assert session.get(Person, someone.profile_id) is None


def test_an_activity_record_before_registration_is_kept_for_it(store: Store) -> None:
    someone = person(D(2025, 1, 6), D(2008, 1, 1))
    store.deliver([someone.activity(spell(330, D(2025, 1, 6), D(2025, 1, 6))), someone.registered()])
    with store.sessions() as session:
        rows = extract.activity_extract(session=session, month="2025-01", as_at=D(2025, 2, 1), adviser="adv-a",
                                        currency=OPEN.currency, downloaded_by="adv-a", now=at(D(2025, 2, 1)))
    assert [row["activity_code"] for row in csv.DictReader(io.StringIO(rows))] == ["330"]
    assert uuid.UUID(str(someone.profile_id))  # the reference is not the id
    assert str(someone.profile_id) not in rows


def test_the_migration_fills_what_earlier_snapshots_said(databases: TestDatabases) -> None:
    """A database from before the returns: revision 0003 takes each version's adviser and the newest date of birth
    from the snapshots the event store kept."""
    url = databases.new_url("events_returns_migration")
    run_migrations(url, MIGRATIONS)
    store = Store(make_engine(url))
    someone = person(D(2024, 10, 1), D(2008, 1, 15))
    store.deliver([someone.registered(), someone.transferred("adv-b", at(D(2025, 1, 25)))])
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    store.engine.dispose()
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
    with store.sessions() as session:
        record = load_people(session)[0]
    store.engine.dispose()
    assert (record.date_of_birth, record.postcode_district) == (D(2008, 1, 15), "SK1")
    assert (record.adviser_on(D(2025, 1, 24)), record.adviser_on(D(2025, 1, 25))) == ("adv-a", "adv-b")
