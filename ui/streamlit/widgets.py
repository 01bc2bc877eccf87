"""Pieces the pages share: status badges (words and colour), opportunity cards, the map, field messages."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd
import pydeck as pdk
import streamlit as st

from services.common.auth import Role
from ui.streamlit import labels
from ui.streamlit.client import Api
from ui.streamlit.forms import qualification_body, qualification_choice, qualification_choices
from ui.streamlit.markdown import plain
from ui.streamlit.session import SignedIn, attempt, current, jitter

STOCKPORT = (53.4083, -2.1494)
QUALIFICATION_ROWS = 4
MAX_QUALIFICATIONS = 20  # as many as a profile may hold
# An icon from the font Streamlit ships: the emoji tick drew an empty box where no colour emoji font is installed.
SUCCESS_ICON = ":material/check_circle:"
TYPE_COLOURS = {
    "apprenticeship": [31, 119, 180],
    "kickstart": [214, 39, 40],
    "job": [44, 160, 44],
    "traineeship": [148, 103, 189],
    "training": [255, 127, 14],
    "work_experience": [140, 86, 75],
}


def require(role: Role) -> SignedIn:
    """The signed-in person, if they have this role; otherwise the page stops with a message."""
    user = current()
    if user is None or user.role is not role:
        st.warning("This page isn't available for your account.")
        st.stop()
    assert user is not None
    return user


def guarantee_badge(status: str | None) -> None:
    words, colour, _, _ = labels.guarantee(status)
    st.badge(words, color=colour)  # type: ignore[arg-type]


def status_badge(words: str, colour: str) -> None:
    st.badge(words, color=colour)  # type: ignore[arg-type]


class FieldMessages:
    """A slot under each form field, filled with the service's message for that field after a submit; with
    `labels`, an anchor by each message that a summary of every problem (at the top of the page) links to."""

    def __init__(self, labels: Mapping[str, str] | None = None, anchor: str = "problem") -> None:
        self.slots: dict[str, Any] = {}
        self.labels = dict(labels or {})
        self.anchor = anchor

    def slot(self, field: str) -> None:
        self.slots[field] = st.empty()

    def _anchor(self, field: str) -> str:
        return f"{self.anchor}-{field.replace('_', '-')}"

    def show(self, errors: dict[str, str]) -> list[str]:
        """Put each message under its field; returns the messages that name no field on this form."""
        unplaced = []
        for field, message in errors.items():
            if field in self.slots:
                with self.slots[field].container():
                    if self.labels:
                        st.html(f"<span id='{self._anchor(field)}'></span>")
                    st.error(message, icon="⚠️")
            else:
                unplaced.append(message)
        return unplaced

    def summary(self, where: Any, errors: dict[str, str], unplaced: Iterable[str] = ()) -> None:
        """Every problem at once, in `where` (a slot at the top of the page), each linking to its field."""
        lines = [f"- [{plain(self.labels.get(field, field))}: {plain(message)}](#{self._anchor(field)})"
                 for field, message in errors.items() if field in self.slots]
        lines += [f"- {plain(message)}" for message in unplaced]
        count = len(lines)
        where.error(f"**There {'is a problem' if count == 1 else f'are {count} problems'} to fix**\n\n"
                    + "\n".join(lines), icon="⚠️")


def qualification_chooser(form: str, current: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, str]]:
    """Rows of "Qualification n" (chosen by its name, or another one at a level) and "Subject n", inside a form,
    filled with `current` and one empty row more; returns the rows filled in, as the request body's
    qualifications (the service records a named one at its level)."""
    choices = qualification_choices()
    chosen = []
    for row in range(min(MAX_QUALIFICATIONS, max(QUALIFICATION_ROWS, len(current) + 1))):
        now = current[row] if row < len(current) else None
        left, right = st.columns(2)
        kind = left.selectbox(f"Qualification {row + 1}", options=choices, key=f"{form}_qual_type_{row}",
                              index=choices.index(qualification_choice(now)) if now else 0,
                              format_func=labels.qualification_type_label)
        subject = right.text_input(f"Subject {row + 1}", value=now["subject"] if now else "", max_chars=100,
                                   key=f"{form}_qual_subject_{row}", placeholder="English" if row == 0 else "")
        if (item := qualification_body(kind, subject)) is not None:
            chosen.append(item)
    return chosen


def form_key(name: str) -> str:
    """The key prefix of a form's widgets: a new one after clear_form(name), so its fields start empty (a widget
    keeps what was typed in it for as long as its key lives)."""
    emptied = st.session_state.get(f"_round_of_{name}", 0)
    return f"{name}{emptied}" if emptied else name


def clear_form(name: str) -> None:
    """Empty the form `name` on the next run."""
    st.session_state[f"_round_of_{name}"] = st.session_state.get(f"_round_of_{name}", 0) + 1


def adviser_contact(client: Api, adviser_id: str | None, *, whose: str, unknown: str) -> None:
    """A card naming a person's adviser ("{whose} adviser is ..."), their team and work contact; `unknown` says
    what to do when there is no adviser, or no record of them, to show."""
    with st.container(border=True):
        adviser = attempt(lambda: client.adviser(adviser_id)) if adviser_id else None
        if adviser is None:
            st.markdown(f"**{whose} adviser**: {unknown}")
            return
        st.markdown(f"**{whose} adviser is {plain(adviser['name'])}** ({plain(adviser['team'])})  \n"
                    f"Email {plain(adviser['email'])} · phone {plain(adviser['phone'])}")


def screening_warnings(warnings: list[dict[str, Any]]) -> None:
    """Explain, in plain words, each piece of free text a service kept apart as special category data."""
    for warning in warnings:
        field = labels.SCREENED_FIELDS.get(warning["field"], warning["field"])
        st.warning(f"**{field}: kept private.** {plain(warning['message'])}", icon=":material/lock:")
    if warnings:
        st.caption(labels.SPECIAL_CATEGORY_EXPLAINED)


def held_back_note(warnings: list[dict[str, Any]]) -> None:
    """Mark, on a profile, which of its free text is held apart as special category data."""
    if not warnings:
        return
    parts = [
        f"{labels.SCREENED_FIELDS.get(w['field'], w['field'])} “{plain(w['item'])}”" if w.get("item")
        else labels.SCREENED_FIELDS.get(w["field"], w["field"])
        for w in warnings
    ]
    st.info("Kept private as special category data (not used for matching, never shown to employers): "
            + "; ".join(parts) + ".", icon=":material/lock:")


def opportunity_facts(opportunity: dict[str, Any]) -> str:
    """One line of facts: type (with its level, unless the title says it), employer, pay, hours, places, closing
    date."""
    level = opportunity.get("level")
    said = level is not None and f"level {level}" in str(opportunity.get("title", "")).lower()
    bits = [labels.type_label(opportunity["type"]) + (f", level {level}" if level is not None and not said else ""),
            plain(opportunity.get("employer_name", ""))]
    if opportunity.get("wage_per_hour"):
        later = opportunity.get("wage_after_first_year")
        rises = later and later != opportunity["wage_per_hour"]
        rise = f", {labels.money(later)} after the first year" if rises else ""
        bits.append(f"{labels.money(opportunity['wage_per_hour'])} an hour{rise}")
    bits.append(f"{opportunity.get('hours_per_week', 0):g} hours a week")
    left = labels.places_left(opportunity)
    bits.append(f"{left} place{'s' if left != 1 else ''} left")
    bits.append(f"closes {labels.day(opportunity.get('closing_date'))}")
    if opportunity.get("remote"):
        bits.append("can work from home")
    elif opportunity.get("distance_km") is not None:
        km = float(opportunity["distance_km"])
        bits.append("under 1 km away" if km < 1 else f"{km:.1f} km away")
    return " · ".join(bit for bit in bits if bit)


def opportunity_card(opportunity: dict[str, Any], *, body: Callable[[], None] | None = None,
                     show_description: bool = True) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(opportunity['title'])}**")
        st.caption(opportunity_facts(opportunity))
        badges = []
        if opportunity.get("employer_disability_confident"):
            badges.append("Disability Confident")
        if opportunity.get("employer_living_wage_employer"):
            badges.append("Living Wage employer")
        if opportunity.get("employer_good_employment_charter"):
            badges.append("Good Employment Charter")
        if badges:
            st.caption("Employer: " + ", ".join(badges))
        if show_description:
            st.markdown(plain(opportunity.get("description", "")))
        if body is not None:
            body()


@lru_cache(maxsize=1)
def _area_labels() -> pd.DataFrame:
    """Postcode districts with their place names, so the map makes sense even without map tiles."""
    text = resources.files("services.common").joinpath("data/outward_codes.csv").read_text()
    rows = [{"lat": float(row["latitude"]), "lon": float(row["longitude"]),
             "label": f"{row['outward_code']} {row['area'].split(' and ')[0]}"}
            for row in csv.DictReader(text.splitlines())]
    return pd.DataFrame(rows)


def opportunity_map(items: Iterable[dict[str, Any]], *, key: str, home: tuple[float, float] | None = None,
                    map_style: str | None = None) -> None:
    """Live opportunities as dots around Stockport (colour by type, with a legend in words)."""
    rows = []
    for item in items:
        if item.get("latitude") is None:
            continue
        dlat, dlon = jitter(str(item["id"]))
        rows.append({
            "lat": item["latitude"] + dlat,
            "lon": item["longitude"] + dlon,
            "title": item["title"],
            "employer": item.get("employer_name", ""),
            "kind": labels.type_label(item["type"]),
            "color": TYPE_COLOURS.get(item["type"], [100, 100, 100]),
        })
    if not rows:
        st.info("Nothing to show on the map.")
        return
    frame = pd.DataFrame(rows)
    layers = [pdk.Layer(
        "TextLayer", data=_area_labels(), get_position="[lon, lat]", get_text="label", get_size=12,
        get_color=[120, 120, 120], get_alignment_baseline="'bottom'", pickable=False,
    ), pdk.Layer(
        "ScatterplotLayer", data=frame, get_position="[lon, lat]", get_fill_color="color", get_radius=180,
        radius_min_pixels=4, radius_max_pixels=14, pickable=True, opacity=0.8, stroked=True,
        get_line_color=[255, 255, 255], line_width_min_pixels=1,
    )]
    if home is not None:
        layers.append(pdk.Layer(
            "ScatterplotLayer", data=pd.DataFrame([{"lat": home[0], "lon": home[1]}]), get_position="[lon, lat]",
            get_fill_color=[0, 0, 0], get_radius=250, radius_min_pixels=6, pickable=False,
        ))
    centre = home or STOCKPORT
    deck = pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(latitude=centre[0], longitude=centre[1], zoom=10.5),
        tooltip={"text": "{title}\n{employer}\n{kind}"},  # type: ignore[arg-type]
        map_style=map_style,
    )
    st.pydeck_chart(deck, key=key, height=380,
                    alt=f"Map of {len(rows)} opportunities around Stockport, coloured by type")
    present = sorted({row["kind"] for row in rows})
    legend = " · ".join(
        f"<span style='color:rgb({','.join(map(str, TYPE_COLOURS[kind]))})'>●</span> {labels.type_label(kind)}"
        for kind in TYPE_COLOURS if labels.type_label(kind) in present
    )
    st.caption(legend + " — pins show the postcode area, not the exact address.", unsafe_allow_html=True)


def flash(message: str) -> None:
    """A success message that survives the rerun after an action."""
    st.session_state["_flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("_flash", None)
    if message:
        st.success(plain(message), icon=SUCCESS_ICON)


def addressed_id(name: str) -> str | None:
    """The id an address names (?person=<id>), if it is one; None when the address names none."""
    value = st.query_params.get(name)
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


def not_found(what: str) -> None:
    """Stop the page: the address names nothing this account may see (never saying which of the two it is)."""
    st.title("Not found")
    st.error(f"There is no {what} at this address that your account may see. It may not exist, or you may not be "
             "allowed to see it.", icon=":material/block:")
    st.stop()


def feedback_label(referral: dict[str, Any], *, reader: Role) -> str:
    """The heading over a referral's feedback, naming who wrote it (the service keeps whether the adviser or the
    employer did), said as the reader would say it."""
    writer = referral.get("feedback_by")
    if writer == Role.EMPLOYER:
        return {Role.YOUNG_PERSON: "What the employer said", Role.EMPLOYER: "Your feedback"}.get(
            reader, "The employer's feedback")
    if writer == Role.ADVISER:
        return {Role.YOUNG_PERSON: "What your adviser said", Role.ADVISER: "The adviser's feedback"}.get(
            reader, "The adviser's feedback")
    return "Feedback"
