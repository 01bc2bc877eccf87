from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Response, status

from services.common.db import scrub_after_erasure
from services.common.types import Offset, Text
from services.messaging.sealing import KeyPage, KeyRequest, SubjectRead
from services.messaging.vocabulary import PriorityGroup, ProfileStatus
from services.profiles import activity, adviser_work, advisers, keys, lapses, service
from services.profiles.dependencies import (
    AdviserOnly,
    AnyoneSignedIn,
    ClockDep,
    ContactReader,
    EligibilityReader,
    EmployerViewReader,
    EngineDep,
    LapsedListReader,
    PersonalKeyHolder,
    PersonOrAdviser,
    Reader,
    SessionDep,
    SettingsDep,
    SpecialKeyHolder,
    editing,
    registering,
)
from services.profiles.schemas import (
    ActionDone,
    ActivityConfirm,
    ActivityCreate,
    ActivityRecord,
    AdviserPage,
    AdviserRead,
    AdviserWrite,
    AppointmentCreate,
    AppointmentList,
    AppointmentOutcomeWrite,
    AppointmentRead,
    ContactAttemptCreate,
    ContactDetails,
    DueActions,
    EligibilityFacts,
    EmployerView,
    LapsedList,
    LapsesApplied,
    PlannedActionCreate,
    PlannedActionList,
    PlannedActionRead,
    ProfileCreate,
    ProfilePage,
    ProfileRead,
    ProfileUpdate,
    SeptemberGuaranteeWrite,
    TraceQueue,
    TransferCreate,
    TransferHistory,
    TransferRead,
)

router = APIRouter(tags=["profiles"])


@router.post(
    "/profiles",
    status_code=status.HTTP_201_CREATED,
    response_model=ProfileRead,
    dependencies=[Depends(registering)],
    responses={409: {"description": "Likely a person already registered: `detail[0].ctx.similar` names them and "
                     "their adviser; an adviser may register anyway with `duplicate_reason`"}},
)
def create_profile(
    data: ProfileCreate, principal: PersonOrAdviser, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ProfileRead:
    """Register a young person. Every problem with the form comes back in one 422, the age rule included."""
    return service.register_profile(session=session, data=data, principal=principal, settings=settings, now=clock.now())


@router.get("/profiles", response_model=ProfilePage)
def list_profiles(
    _principal: AdviserOnly,
    session: SessionDep,
    clock: ClockDep,
    status_: Annotated[ProfileStatus | None, Query(alias="status")] = None,
    priority_group: PriorityGroup | None = None,
    adviser_id: Annotated[Text | None, Query(max_length=64)] = None,
    q: Annotated[Text | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ProfilePage:
    return service.list_profiles(
        session=session,
        today=clock.today(),
        status=status_,
        priority_group=priority_group,
        adviser_id=adviser_id,
        text=q,
        limit=limit,
        offset=offset,
    )


@router.get("/profiles/{profile_id}", response_model=ProfileRead)
def get_profile(
    profile_id: uuid.UUID, principal: Reader, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ProfileRead:
    return service.get_profile(
        session=session, profile_id=profile_id, principal=principal, kek=settings.kek(), now=clock.now()
    )


@router.get("/profiles/{profile_id}/eligibility", response_model=EligibilityFacts)
def get_eligibility_facts(profile_id: uuid.UUID, principal: EligibilityReader, session: SessionDep) -> EligibilityFacts:
    return service.eligibility_facts(session=session, profile_id=profile_id, principal=principal)


@router.get("/profiles/{profile_id}/contact", response_model=ContactDetails)
def get_contact_details(profile_id: uuid.UUID, principal: ContactReader, session: SessionDep) -> ContactDetails:
    return service.contact_details(session=session, profile_id=profile_id, principal=principal)


@router.get("/profiles/{profile_id}/employer-view", response_model=EmployerView)
def get_employer_view(profile_id: uuid.UUID, principal: EmployerViewReader, session: SessionDep) -> EmployerView:
    return service.employer_view(session=session, profile_id=profile_id, principal=principal)


@router.patch(
    "/profiles/{profile_id}",
    response_model=ProfileRead,
    dependencies=[Depends(editing)],
    responses={409: {"description": "A changed email, phone or name looks like another person's: "
                     "`detail[0].ctx.similar` names them; an adviser may go on with `duplicate_reason`"}},
)
def update_profile(
    profile_id: uuid.UUID,
    data: ProfileUpdate,
    principal: PersonOrAdviser,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> ProfileRead:
    return service.update_profile(
        session=session, profile_id=profile_id, data=data, principal=principal, settings=settings, now=clock.now()
    )


@router.delete("/profiles/{profile_id}", status_code=status.HTTP_204_NO_CONTENT)
def erase_profile(
    profile_id: uuid.UUID,
    principal: PersonOrAdviser,
    session: SessionDep,
    clock: ClockDep,
    engine: EngineDep,
    background: BackgroundTasks,
) -> Response:
    service.erase_profile(session=session, profile_id=profile_id, principal=principal, now=clock.now())
    background.add_task(scrub_after_erasure, engine)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


activity_router = APIRouter(tags=["activity"])


@activity_router.get("/profiles/{profile_id}/activity", response_model=ActivityRecord)
def get_activity(
    profile_id: uuid.UUID, _principal: AdviserOnly, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ActivityRecord:
    """What the person is doing today (an NCCIS activity code; "not known" once a confirmation lapsed), their
    activity history and the attempts to contact them."""
    return activity.record_of(session=session, profile_id=profile_id, today=clock.today(), settings=settings)


@activity_router.post("/profiles/{profile_id}/activity", status_code=status.HTTP_201_CREATED,
                      response_model=ActivityRecord)
def record_activity(
    profile_id: uuid.UUID, data: ActivityCreate, principal: AdviserOnly, session: SessionDep, settings: SettingsDep,
    clock: ClockDep,
) -> ActivityRecord:
    """A new activity spell: the current one ends the day it starts, and the profile's status follows it."""
    return activity.record_activity(session=session, profile_id=profile_id, data=data, principal=principal,
                                    settings=settings, now=clock.now())


@activity_router.post("/profiles/{profile_id}/activity/confirmation", response_model=ActivityRecord)
def confirm_activity(
    profile_id: uuid.UUID, data: ActivityConfirm, principal: AdviserOnly, session: SessionDep, settings: SettingsDep,
    clock: ClockDep,
) -> ActivityRecord:
    """The current activity is confirmed: it stays current for its group's period from that day."""
    return activity.confirm_activity(session=session, profile_id=profile_id, confirmed_on=data.confirmed_on,
                                     principal=principal, settings=settings, now=clock.now())


@activity_router.post("/profiles/{profile_id}/contact-attempts", status_code=status.HTTP_201_CREATED,
                      response_model=ActivityRecord)
def record_contact_attempt(
    profile_id: uuid.UUID, data: ContactAttemptCreate, principal: AdviserOnly, session: SessionDep,
    settings: SettingsDep, clock: ClockDep,
) -> ActivityRecord:
    """An attempt to reach a person whose activity is not known; enough failed ones record 820, a refusal 830."""
    return activity.record_contact_attempt(session=session, profile_id=profile_id, data=data, principal=principal,
                                           settings=settings, now=clock.now())


@activity_router.put("/profiles/{profile_id}/september-guarantee/{year}", response_model=ActivityRecord)
def record_september_guarantee(
    profile_id: uuid.UUID, year: int, data: SeptemberGuaranteeWrite, principal: AdviserOnly, session: SessionDep,
    settings: SettingsDep, clock: ClockDep,
) -> ActivityRecord:
    """Whether a young person leaving Year 11 or Year 12 was made a suitable offer of education or training by the
    end of September of `year` (for those in that year's cohorts only)."""
    return activity.record_september_guarantee(session=session, profile_id=profile_id, year=year, data=data,
                                               principal=principal, settings=settings, now=clock.now())


@activity_router.get("/activity/not-known", response_model=TraceQueue)
def not_known(
    _principal: AdviserOnly, session: SessionDep, settings: SettingsDep, clock: ClockDep,
    adviser_id: Annotated[Text | None, Query(max_length=64)] = None,
) -> TraceQueue:
    """The people to trace: whose activity is not known today, longest first, with their contact attempts."""
    return activity.trace_queue(session=session, today=clock.today(), settings=settings, adviser_id=adviser_id)


@activity_router.post("/activity/lapses", response_model=LapsesApplied)
def apply_lapses(_principal: AdviserOnly, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> LapsesApplied:
    """Write down every lapse up to today (run daily): the spell ends, a not known (810) spell starts on the day it
    lapsed, and the profile's status turns not known. Reads show lapses whether or not this has run."""
    return LapsesApplied(lapsed=activity.apply_lapses(session=session, settings=settings, now=clock.now()))


AdviserId = Annotated[Text, Path(min_length=1, max_length=64)]
advisers_router = APIRouter(tags=["advisers"])


@advisers_router.get("/advisers", response_model=AdviserPage)
def list_advisers(_principal: AnyoneSignedIn, session: SessionDep) -> AdviserPage:
    return advisers.list_advisers(session=session)


@advisers_router.get("/advisers/{adviser_id}", response_model=AdviserRead)
def get_adviser(adviser_id: AdviserId, _principal: AnyoneSignedIn, session: SessionDep) -> AdviserRead:
    """An adviser's name, team and work contact details: for employers they refer people to and young people."""
    return advisers.get_adviser(session=session, adviser_id=adviser_id)


@advisers_router.put("/advisers/{adviser_id}", response_model=AdviserRead)
def save_adviser(
    adviser_id: AdviserId, data: AdviserWrite, _principal: AdviserOnly, session: SessionDep, clock: ClockDep
) -> AdviserRead:
    return advisers.save_adviser(session=session, adviser_id=adviser_id, data=data, now=clock.now())


NO_STORE = {"Cache-Control": "no-store"}
keys_router = APIRouter(tags=["keys"])


@keys_router.post("/keys/personal", response_model=KeyPage)
def personal_keys(
    body: KeyRequest, _caller: PersonalKeyHolder, session: SessionDep, settings: SettingsDep, response: Response
) -> KeyPage:
    """Data keys that open people's profile events (and name them in referrals), by subject reference; erased
    people are left out."""
    response.headers.update(NO_STORE)
    return keys.fetch_keys(session=session, purpose="personal", subjects=body.subjects, kek=settings.kek())


@keys_router.post("/keys/special", response_model=KeyPage)
def special_keys(
    body: KeyRequest, _caller: SpecialKeyHolder, session: SessionDep, settings: SettingsDep, response: Response
) -> KeyPage:
    """Data keys that open special category events: for the events service only."""
    response.headers.update(NO_STORE)
    return keys.fetch_keys(session=session, purpose="special", subjects=body.subjects, kek=settings.kek())


@keys_router.get("/profiles/{profile_id}/subject", response_model=SubjectRead)
def subject_of(
    profile_id: uuid.UUID, _caller: PersonalKeyHolder, session: SessionDep, settings: SettingsDep
) -> SubjectRead:
    """The subject reference events name a person by, for a service that emits events about them."""
    return keys.subject_of(session=session, profile_id=profile_id, kek=settings.kek())


adviser_work_router = APIRouter(tags=["adviser work"])
CaseloadOf = Annotated[Text | None, Query(max_length=64, description="an adviser's id: their caseload only")]


@adviser_work_router.post("/profiles/{profile_id}/actions", status_code=status.HTTP_201_CREATED,
                          response_model=PlannedActionRead)
def plan_action(
    profile_id: uuid.UUID, data: PlannedActionCreate, principal: AdviserOnly, session: SessionDep, clock: ClockDep
) -> PlannedActionRead:
    """An action agreed with the person, by category, due on a day from today on."""
    return adviser_work.plan_action(session=session, profile_id=profile_id, data=data, principal=principal,
                                    now=clock.now())


@adviser_work_router.get("/profiles/{profile_id}/actions", response_model=PlannedActionList)
def list_actions(profile_id: uuid.UUID, _principal: AdviserOnly, session: SessionDep,
                 clock: ClockDep) -> PlannedActionList:
    return adviser_work.actions_of(session=session, profile_id=profile_id, today=clock.today())


@adviser_work_router.post("/profiles/{profile_id}/actions/{action_id}/done", response_model=PlannedActionRead)
def mark_action_done(
    profile_id: uuid.UUID, action_id: uuid.UUID, data: ActionDone, principal: AdviserOnly, session: SessionDep,
    clock: ClockDep,
) -> PlannedActionRead:
    return adviser_work.mark_done(session=session, profile_id=profile_id, action_id=action_id, done_on=data.done_on,
                                  principal=principal, now=clock.now())


@adviser_work_router.get("/actions/due", response_model=DueActions)
def due_actions(
    _principal: AdviserOnly, session: SessionDep, clock: ClockDep, adviser_id: CaseloadOf = None,
    by: Annotated[dt.date | None, Query(description="due on or before this day; today if not given")] = None,
) -> DueActions:
    """Open actions due by a day across a caseload, the longest overdue first (`overdue`: its day has passed)."""
    return adviser_work.due_actions(session=session, today=clock.today(), by=by, adviser_id=adviser_id)


@adviser_work_router.post("/profiles/{profile_id}/appointments", status_code=status.HTTP_201_CREATED,
                          response_model=AppointmentRead)
def book_appointment(
    profile_id: uuid.UUID, data: AppointmentCreate, principal: AdviserOnly, session: SessionDep, clock: ClockDep
) -> AppointmentRead:
    return adviser_work.book_appointment(session=session, profile_id=profile_id, data=data, principal=principal,
                                         now=clock.now())


@adviser_work_router.get("/profiles/{profile_id}/appointments", response_model=AppointmentList)
def list_appointments(profile_id: uuid.UUID, _principal: AdviserOnly, session: SessionDep) -> AppointmentList:
    return adviser_work.appointments_of(session=session, profile_id=profile_id)


@adviser_work_router.post("/profiles/{profile_id}/appointments/{appointment_id}/outcome",
                          response_model=AppointmentRead)
def record_appointment_outcome(
    profile_id: uuid.UUID, appointment_id: uuid.UUID, data: AppointmentOutcomeWrite, principal: AdviserOnly,
    session: SessionDep, clock: ClockDep,
) -> AppointmentRead:
    """Attended or missed once its time has come, cancelled at any time; recorded once."""
    return adviser_work.record_outcome(session=session, profile_id=profile_id, appointment_id=appointment_id,
                                       outcome=data.outcome, principal=principal, now=clock.now())


@adviser_work_router.post("/profiles/{profile_id}/transfers", status_code=status.HTTP_201_CREATED,
                          response_model=TransferRead)
def transfer(
    profile_id: uuid.UUID, data: TransferCreate, principal: AdviserOnly, session: SessionDep, settings: SettingsDep,
    clock: ClockDep,
) -> TransferRead:
    """Move the person to another adviser's caseload (one the hub has a record of), keeping the move in their
    history; the profile's event names the new adviser."""
    return adviser_work.transfer(session=session, profile_id=profile_id, data=data, principal=principal,
                                 settings=settings, now=clock.now())


@adviser_work_router.get("/profiles/{profile_id}/transfers", response_model=TransferHistory)
def list_transfers(profile_id: uuid.UUID, _principal: AdviserOnly, session: SessionDep) -> TransferHistory:
    return adviser_work.transfers_of(session=session, profile_id=profile_id)


@adviser_work_router.get("/activity/lapsed", response_model=LapsedList)
def lapsed(
    _caller: LapsedListReader, session: SessionDep, settings: SettingsDep, clock: ClockDep,
    adviser_id: Annotated[Text, Query(min_length=1, max_length=64)],
) -> LapsedList:
    """An adviser's people whose confirmation lapsed and who are still not known, by id and day only: for the
    notifications service's daily digest to the adviser."""
    return lapses.lapsed_people(session=session, today=clock.today(), settings=settings, adviser_id=adviser_id)
