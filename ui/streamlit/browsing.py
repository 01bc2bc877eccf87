"""The opportunity search and map that advisers and young people share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.config import UISettings
from ui.streamlit.markdown import plain
from ui.streamlit.widgets import opportunity_map

SORTS = {"": "Usual order", "newest": "Newest",
         "closing_date": "Closing soonest", "wage": "Best paid", "distance": "Nearest"}
MAX_RADIUS_KM = 100


@dataclass
class Found:
    """One page of results, and (when nothing is found) results related in meaning, for the caller to list."""

    items: list[dict[str, Any]] = field(default_factory=list)
    related: list[dict[str, Any]] = field(default_factory=list)


def filters(key: str, *, default_near: str = "", simple: bool = False) -> dict[str, Any]:
    """The search form; returns browse query parameters."""
    with st.container(border=True):
        words = st.text_input("What are you looking for?" if simple else "Search words", key=f"{key}_q",
                              placeholder="e.g. cooking, cars, office")
        left, right = st.columns(2)
        kind = left.selectbox("Type", options=["", *vocabulary.OPPORTUNITY_TYPES], key=f"{key}_type",
                              format_func=lambda t: labels.type_label(t) if t else "Any type")
        sector = right.selectbox("Area of work", options=["", *vocabulary.SECTORS], key=f"{key}_sector",
                                 format_func=lambda s: labels.sector_label(s) if s else "Any area")
        left, middle, right = st.columns(3)
        st.session_state.setdefault(f"{key}_near", default_near)  # set here, so "anywhere" can clear it
        st.session_state.setdefault(f"{key}_radius", 10)
        near = left.text_input("Near postcode", key=f"{key}_near", max_chars=10)
        radius = middle.slider("Within (km)", min_value=1, max_value=MAX_RADIUS_KM, key=f"{key}_radius")
        sort = right.selectbox("Sort by", options=list(SORTS), key=f"{key}_sort", format_func=SORTS.__getitem__,
                               help="The usual order puts the best match first when you search; without search "
                                    "words, the nearest first when a postcode is given, else the newest.")
    params: dict[str, Any] = {"q": words.strip() or None, "type": kind or None, "sector": sector or None}
    if near.strip():
        params["near"] = near.strip()
        params["radius_km"] = radius
    if sort and (sort != "distance" or near.strip()):
        params["sort"] = sort
    return params


def _widen(key: str, radius_km: float | None) -> None:
    """Search a wider area: a bigger circle, or (None) anywhere."""
    if radius_km is None:
        st.session_state[f"{key}_near"] = ""
    else:
        st.session_state[f"{key}_radius"] = int(radius_km)
    st.session_state[f"{key}_page"] = 0


def _asked(params: dict[str, Any]) -> str:
    """What was searched for, as the page says it: ' for “cars” within 10 km of SK1 3XE'."""
    words = f" for “{plain(params['q'])}”" if params.get("q") else ""
    where = f" within {params['radius_km']:g} km of {plain(params['near'].upper())}" if params.get("near") else ""
    return words + where


def _nothing_found(page: dict[str, Any], params: dict[str, Any], key: str) -> None:
    """Say so, and offer the wider areas that would find something (the person chooses)."""
    st.info(f"Nothing found{_asked(params)}.", icon=":material/search_off:")
    wider = page.get("wider_areas") or []
    if wider:
        st.write("Look further away:")
        columns = st.columns(len(wider))
        for column, area in zip(columns, wider, strict=True):
            found = f"{area['total']} found"
            label = (f"Anywhere ({found})" if area["radius_km"] is None
                     else f"Within {area['radius_km']:g} km ({found})")
            column.button(label, key=f"{key}_wider_{area['radius_km']}", on_click=_widen,
                          args=(key, area["radius_km"]))


def results(config: UISettings, params: dict[str, Any], *, key: str, page_size: int = 10,
            home: tuple[float, float] | None = None, map_first: bool = False) -> Found:
    """Show the map of every match and return one page of results for the caller to list; when nothing is found,
    say so, offer wider areas and return related results (the caller lists them under their own heading)."""
    public = tuple(sorted((k, v) for k, v in params.items() if v is not None))
    page_no = int(st.session_state.get(f"{key}_page", 0))
    try:
        with st.spinner("Searching..."):
            everything = session.map_public(config.opportunities_url, public)
            page = session.browse_public(config.opportunities_url,
                                         (*public, ("limit", page_size), ("offset", page_no * page_size)))
    except ServiceError as err:
        session.show_error(err)
        return Found()
    total = page["total"]
    if total == 0 and params.get("q"):
        _nothing_found(page, params, key)
        return Found(related=list(page.get("related") or []))
    tabs = dict(zip(["Map", "List"] if map_first else ["List", "Map"],
                    st.tabs(["Map", "List"] if map_first else ["List", "Map"]), strict=True))
    with tabs["Map"]:
        opportunity_map(everything, key=f"{key}_map", home=home, map_style=config.map_style)
    with tabs["List"]:
        st.caption(f"{total} found{_asked(params)}."
                   + (f" Page {page_no + 1} of {(total - 1) // page_size + 1}." if total else ""))
        if (page.get("search") or {}).get("semantic") == "unavailable":
            st.caption("Matching your words only: the search by meaning isn't answering right now.")
        if total > page_size:
            left, right = st.columns(2)
            if left.button("Previous page", key=f"{key}_prev", disabled=page_no == 0):
                st.session_state[f"{key}_page"] = page_no - 1
                st.rerun()
            if right.button("Next page", key=f"{key}_next", disabled=(page_no + 1) * page_size >= total):
                st.session_state[f"{key}_page"] = page_no + 1
                st.rerun()
    return Found(items=list(page["items"]) if total else [])


def related_heading(params: dict[str, Any]) -> None:
    """The label over related results: not matches for the words, near them in meaning."""
    st.subheader("Related results")
    st.caption(f"These don't match “{plain(params.get('q', ''))}”, but are close to it in meaning.")
