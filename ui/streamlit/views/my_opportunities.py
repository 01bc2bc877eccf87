"""Employer: my opportunities: create a draft, edit it, publish it (rule failures said plainly), close it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from services.common.auth import Role
from services.common.eligibility import Posting, least_legal_pay
from services.common.minimum_wage import rates_on
from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.forms import changed_fields, split_list
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import (
    FieldMessages,
    clear_form,
    flash,
    form_key,
    opportunity_facts,
    require,
    show_flash,
    status_badge,
)

user = require(Role.EMPLOYER)
client = session.api()
today = dt.date.today()

FIELD_LABELS = {
    "type": "Type", "title": "Title", "description": "Description", "skills": "Skills", "sector": "Area of work",
    "level": "Level", "postcode": "Postcode", "hours_per_week": "Hours a week", "wage_per_hour": "Wage per hour",
    "annual_wage": "Yearly wage", "wage_after_first_year": "Pay after the first year",
    "duration_months": "Length (months)", "positions": "Places",
    "start_date": "Start date", "closing_date": "Closing date", "min_age": "Youngest age",
    "max_age": "Oldest age", "requires_universal_credit": "Universal Credit", "remote": "Remote", "status": "Status",
}

employer = session.attempt(lambda: client.employer(user.sub))
st.title("My opportunities")
show_flash()
if employer is not None:
    st.caption(f"{plain(employer['name'])} · {labels.sector_label(employer['sector'])} · {employer['postcode']}")


def legal_default_wage(start: dt.date) -> float:
    """The least a new posting's default (a job open to every age) may pay from its default start date."""
    least, _ = least_legal_pay(Posting(start, None, None, False, 0, None, False, None), default_min_age=16)
    return least / 100


def minimum_wage_hint(start: dt.date) -> str:
    """The rates in force on a start date, in words."""
    rates = rates_on(start)
    if rates is None:
        return ""
    return (f"Legal minimum from {labels.day(start)}: {labels.money(float(rates.age_21_and_over))} an hour for 21 and "
            f"over, {labels.money(float(rates.age_18_to_20))} for 18 to 20, {labels.money(float(rates.under_18))} "
            f"under 18 and {labels.money(float(rates.apprentice))} for apprentices under 19 or in their first year. "
            "Pay at least the rate of the oldest age you take on.")


def rule_failures(err: ServiceError, heading: str = "This can't go live yet:") -> None:
    """Every failed rule as its own line, naming the field in words."""
    if not err.fields:
        session.show_error(err)
        return
    lines = [f"- **{FIELD_LABELS.get(field, field.replace('_', ' ').capitalize() or 'Problem')}**: {message}"
             for field, message in err.fields.items()]
    st.error(heading + "\n\n" + "\n".join(lines), icon="⚠️")


def opportunity_form(key: str, current: dict[str, Any] | None) -> tuple[dict[str, Any], FieldMessages, bool]:
    """The fields of an opportunity (empty for a new draft); returns the body, the message slots, submitted."""
    now = current or {}
    default_start = today + dt.timedelta(days=60)
    messages = FieldMessages()
    with st.form(key):
        title = st.text_input("Title *", value=now.get("title", ""), key=f"{key}_title", max_chars=200)
        messages.slot("title")
        left, right = st.columns(2)
        kinds = list(vocabulary.OPPORTUNITY_TYPES)
        kind = left.selectbox("Type *", options=kinds, index=kinds.index(now.get("type", "job")),
                              key=f"{key}_type", format_func=labels.type_label)
        sectors = list(vocabulary.SECTORS)
        sector = right.selectbox("Area of work *", options=sectors,
                                 index=sectors.index(now.get("sector", employer["sector"] if employer else sectors[0])),
                                 key=f"{key}_sector", format_func=labels.sector_label)
        with left:
            messages.slot("type")
        with right:
            messages.slot("sector")
        description = st.text_area("Description *", value=now.get("description", ""), key=f"{key}_description")
        messages.slot("description")
        skills = st.text_input("Skills asked for (separate with commas)", value=", ".join(now.get("skills", [])),
                               key=f"{key}_skills")
        messages.slot("skills")
        left, middle, right = st.columns(3)
        with left:
            postcode = st.text_input("Postcode *", value=now.get("postcode", employer["postcode"] if employer else ""),
                                     key=f"{key}_postcode", max_chars=10)
            messages.slot("postcode")
        with middle:
            wage = st.number_input("Wage per hour (£) *", min_value=0.0, max_value=1000.0, step=0.05,
                                   value=float(now.get("wage_per_hour", legal_default_wage(default_start))),
                                   key=f"{key}_wage")
            messages.slot("wage_per_hour")
        with right:
            hours = st.number_input("Hours a week *", min_value=1.0, max_value=48.0, step=0.5,
                                    value=float(now.get("hours_per_week", 37.5)), key=f"{key}_hours")
            messages.slot("hours_per_week")
        left, middle, right = st.columns(3)
        with left:
            positions = st.number_input("Places *", min_value=1, max_value=1000, step=1,
                                        value=int(now.get("positions", 1)), key=f"{key}_positions")
            messages.slot("positions")
        with middle:
            start = st.date_input("Start date *", key=f"{key}_start", format="DD/MM/YYYY",
                                  value=dt.date.fromisoformat(now["start_date"]) if now.get("start_date")
                                  else default_start)
            messages.slot("start_date")
        with right:
            closing = st.date_input("Closing date *", key=f"{key}_closing", format="DD/MM/YYYY",
                                    value=dt.date.fromisoformat(now["closing_date"]) if now.get("closing_date")
                                    else today + dt.timedelta(days=30))
            messages.slot("closing_date")
        left, middle, right = st.columns(3)
        with left:
            level = st.number_input("Level (apprenticeships: 2-7)", min_value=0, max_value=8, step=1,
                                    value=int(now.get("level") or 0), key=f"{key}_level",
                                    help="0 means no level")
            messages.slot("level")
        with middle:
            min_age = st.number_input("Youngest age (0 = any)", min_value=0, max_value=99, step=1,
                                      value=int(now.get("min_age") or 0), key=f"{key}_min_age")
            messages.slot("min_age")
        with right:
            max_age = st.number_input("Oldest age (0 = any)", min_value=0, max_value=99, step=1,
                                      value=int(now.get("max_age") or 0), key=f"{key}_max_age")
            messages.slot("max_age")
        left, middle, right = st.columns(3)
        with left:
            duration = st.number_input("Length in months (0 = ongoing)", min_value=0, max_value=72, step=1,
                                       value=int(now.get("duration_months") or 0), key=f"{key}_duration")
            messages.slot("duration_months")
        with middle:
            needs_uc = st.checkbox("Only for people on Universal Credit",
                                   value=bool(now.get("requires_universal_credit")), key=f"{key}_uc")
            messages.slot("requires_universal_credit")
        with right:
            remote = st.checkbox("Can be done from home", value=bool(now.get("remote")), key=f"{key}_remote")
        later_wage = st.number_input(
            "Pay per hour after the first year (£; apprenticeships longer than a year; 0 = the same)",
            min_value=0.0, max_value=1000.0, step=0.05, value=float(now.get("wage_after_first_year") or 0),
            key=f"{key}_later_wage",
            help="The apprentice rate covers apprentices under 19 and those in their first year only: from the "
                 "second year, apprentices who are 19 or over then must get the rate for their age.")
        messages.slot("wage_after_first_year")
        st.caption(minimum_wage_hint(start if isinstance(start, dt.date) else default_start))
        submitted = st.form_submit_button("Save draft", type="primary")
    body: dict[str, Any] = {
        "type": kind, "title": title, "description": description, "skills": split_list(skills), "sector": sector,
        "level": int(level) or None, "postcode": postcode, "hours_per_week": hours,
        "wage_per_hour": round(wage, 2), "wage_after_first_year": round(later_wage, 2) or None,
        "duration_months": int(duration) or None, "positions": int(positions),
        "start_date": start.isoformat() if start else None, "closing_date": closing.isoformat() if closing else None,
        "min_age": int(min_age) or None, "max_age": int(max_age) or None,
        "requires_universal_credit": needs_uc, "remote": remote,
    }
    return body, messages, submitted


def report(err: ServiceError, messages: FieldMessages) -> None:
    unplaced = messages.show(err.fields)
    if err.fields:
        st.error("Please check the highlighted fields." + "".join(f" {m}" for m in unplaced), icon="⚠️")
    else:
        session.show_error(err)


def save_changes(oid: str, changes: dict[str, Any], failed: Callable[[ServiceError], None], done: str) -> None:
    """Send what changed; on success say `done` after the rerun, else let `failed` show why."""
    if not changes:
        st.info("Nothing changed.")
        return
    try:
        client.update_opportunity(oid, changes)
    except ServiceError as err:
        failed(err)
    else:
        session.clear_public_caches()
        flash(done)
        st.rerun()


def held_back(opportunity: dict[str, Any]) -> None:
    """A live posting a new minimum wage rate left below it: why, and a form to fix it."""
    oid = opportunity["id"]
    st.warning(f"**Held back from young people since {labels.day(opportunity.get('held_back_at'))}: a new minimum "
               f"wage rate applies.** {opportunity['held_back_reason']}", icon=":material/pause_circle:")
    with st.form(f"fix_{oid}", border=False):
        st.markdown("**Fix it**: raise the pay, or lower the oldest age you take on.")
        apprenticeship = opportunity["type"] == "apprenticeship"
        left, middle, right = st.columns(3)
        wage = left.number_input("New pay per hour (£)", min_value=0.0, max_value=1000.0, step=0.05,
                                 value=float(opportunity["wage_per_hour"]), key=f"fix_wage_{oid}")
        later = 0.0
        if apprenticeship:
            later = middle.number_input("Pay after the first year (£, 0 = the same)", min_value=0.0,
                                        max_value=1000.0, step=0.05,
                                        value=float(opportunity.get("wage_after_first_year") or 0),
                                        key=f"fix_later_{oid}")
        oldest = right.number_input("Oldest age (0 = any)", min_value=0, max_value=99, step=1,
                                    value=int(opportunity.get("max_age") or 0), key=f"fix_oldest_{oid}")
        if st.form_submit_button("Save the fix", type="primary"):
            changes: dict[str, Any] = {}
            if round(wage, 2) != opportunity["wage_per_hour"]:
                changes["wage_per_hour"] = round(wage, 2)
            if round(later, 2) and round(later, 2) != opportunity.get("wage_after_first_year"):
                changes["wage_after_first_year"] = round(later, 2)
            if int(oldest) and int(oldest) != opportunity.get("max_age"):
                changes["max_age"] = int(oldest)
            save_changes(oid, changes, partial(rule_failures, heading="That isn't enough yet:"),
                         f"Fixed: “{opportunity['title']}” is offered to young people again.")


with st.expander("Post a new opportunity", icon=":material/add:"):
    st.caption("It is saved as a draft. Nobody sees it until you publish it.")
    body, messages, submitted = opportunity_form(form_key("new_opp"), None)
    if submitted:
        try:
            with st.spinner("Saving..."):
                made = client.create_opportunity({**body, "employer_id": user.sub})
        except ServiceError as err:
            report(err, messages)
        else:
            clear_form("new_opp")
            flash(f"Saved the draft “{made['title']}”. Publish it below when it's ready.")
            st.rerun()

page = session.attempt(lambda: client.employer_opportunities(user.sub, limit=100), spinner="Loading...")
if page is None:
    st.stop()
counts = {status: sum(1 for o in page["items"] if o["status"] == status) for status in labels.OPPORTUNITY_STATUS}
st.caption(" · ".join(f"{labels.OPPORTUNITY_STATUS[s][0].split(':')[0]}: {n}" for s, n in counts.items()))
if not page["items"]:
    st.info("You haven't posted anything yet.")

for opportunity in page["items"]:
    oid = opportunity["id"]
    words, colour = labels.OPPORTUNITY_STATUS[opportunity["status"]]
    if opportunity["status"] == "live" and opportunity.get("held_back_reason"):
        words, colour = "Live, but held back: the pay needs fixing", "orange"
    with st.container(border=True):
        st.markdown(f"**{plain(opportunity['title'])}**")
        status_badge(words, colour)
        st.caption(opportunity_facts(opportunity))
        st.page_link("views/opportunity.py", query_params={"opportunity": oid}, label="Open its page",
                     icon=":material/open_in_new:")
        st.markdown(f"**Places** {opportunity['positions']} ({opportunity['positions_filled']} filled) · "
                    f"**Closing date** {labels.day(opportunity['closing_date'])} · "
                    f"**Starts** {labels.day(opportunity['start_date'])}")
        if opportunity.get("closed_reason"):
            st.caption(f"Closed: {plain(opportunity['closed_reason'])}")
        rise = opportunity.get("pay_rise_after_first_year")
        if rise:
            st.caption(f"From {labels.day(rise['from_date'])}, when its second year starts, apprentices who are 19 or "
                       f"over then must be paid at least {labels.money(rise['at_least'])} an hour.")
        if opportunity["status"] == "live" and opportunity.get("held_back_reason"):
            held_back(opportunity)
        if opportunity["status"] == "draft":
            with st.expander("Edit draft"):
                body, messages, submitted = opportunity_form(f"edit_{oid}", opportunity)
                if submitted:
                    save_changes(oid, changed_fields(opportunity, body), partial(report, messages=messages),
                                 "Saved your changes.")
            if st.button("Publish", key=f"publish_{oid}", type="primary", icon=":material/publish:"):
                try:
                    with st.spinner("Checking the rules and publishing..."):
                        client.publish_opportunity(oid)
                except ServiceError as err:
                    rule_failures(err)
                else:
                    session.clear_public_caches()
                    flash(f"“{opportunity['title']}” is live. Young people and advisers can see it now.")
                    st.rerun()
        if opportunity["status"] == "live":
            with st.form(f"extend_{oid}", border=False):
                new_closing = st.date_input("Move the closing date later", key=f"extend_date_{oid}",
                                            value=dt.date.fromisoformat(opportunity["closing_date"]),
                                            format="DD/MM/YYYY")
                if st.form_submit_button("Change closing date"):
                    done = session.attempt(partial(client.update_opportunity, oid,
                                                   {"closing_date": new_closing.isoformat()}))
                    if done is not None:
                        session.clear_public_caches()
                        flash("Changed the closing date.")
                        st.rerun()
        if opportunity["status"] in ("draft", "live"):
            closing_key = f"close_asked_{oid}"
            with st.form(f"close_{oid}", border=False):
                reason = st.text_input("Reason for closing", key=f"close_reason_{oid}", placeholder="e.g. filled")
                if st.form_submit_button("Close", icon=":material/block:"):
                    st.session_state[closing_key] = reason.strip()
            if closing_key in st.session_state:
                # Closing a posting cannot be undone: say what it does and ask first.
                with st.container(border=True, key=f"confirm_close_{oid}"):
                    st.warning(f"**Close “{opportunity['title']}”?** "
                               + ("Young people and advisers will no longer see it, and nobody more can be referred "
                                  "to it. " if opportunity["status"] == "live" else "")
                               + "This can't be undone.", icon=":material/help:")
                    yes, no = st.columns(2)
                    if yes.button("Yes, close it", key=f"close_yes_{oid}", type="primary"):
                        done = session.attempt(
                            partial(client.close_opportunity, oid, st.session_state.pop(closing_key)))
                        if done is not None:
                            session.clear_public_caches()
                            flash(f"Closed “{opportunity['title']}”.")
                            st.rerun()
                    if no.button("No, keep it open", key=f"close_no_{oid}"):
                        st.session_state.pop(closing_key, None)
                        st.rerun()
