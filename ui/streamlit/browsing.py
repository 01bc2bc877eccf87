"""The opportunity search and map that advisers and young people share."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.messaging import vocabulary
from ui.streamlit import labels, session
from ui.streamlit.client import ServiceError
from ui.streamlit.config import UISettings
from ui.streamlit.widgets import opportunity_map

SORTS = {"": "Usual order", "newest": "Newest", "closing_date": "Closing soonest", "wage": "Best paid",
         "distance": "Nearest"}


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
        near = left.text_input("Near postcode", value=default_near, key=f"{key}_near", max_chars=10)
        radius = middle.slider("Within (km)", min_value=1, max_value=50, value=10, key=f"{key}_radius")
        sort = right.selectbox("Sort by", options=list(SORTS), key=f"{key}_sort", format_func=SORTS.__getitem__)
    params: dict[str, Any] = {"q": words.strip() or None, "type": kind or None, "sector": sector or None}
    if near.strip():
        params["near"] = near.strip()
        params["radius_km"] = radius
    if sort and (sort != "distance" or near.strip()):
        params["sort"] = sort
    return params


def results(config: UISettings, params: dict[str, Any], *, key: str, page_size: int = 10,
            home: tuple[float, float] | None = None, map_first: bool = False) -> list[dict[str, Any]]:
    """Show the map of every match and return one page of results for the caller to list."""
    public = tuple(sorted((k, v) for k, v in params.items() if v is not None))
    page_no = int(st.session_state.get(f"{key}_page", 0))
    try:
        with st.spinner("Searching..."):
            everything = session.map_public(config.opportunities_url, public)
            page = session.browse_public(config.opportunities_url,
                                         (*public, ("limit", page_size), ("offset", page_no * page_size)))
    except ServiceError as err:
        session.show_error(err)
        return []
    total = page["total"]
    tabs = dict(zip(["Map", "List"] if map_first else ["List", "Map"],
                    st.tabs(["Map", "List"] if map_first else ["List", "Map"]), strict=True))
    with tabs["Map"]:
        opportunity_map(everything, key=f"{key}_map", home=home, map_style=config.map_style)
    with tabs["List"]:
        st.caption(f"{total} found." + (f" Page {page_no + 1} of {(total - 1) // page_size + 1}." if total else ""))
        if total > page_size:
            left, right = st.columns(2)
            if left.button("Previous page", key=f"{key}_prev", disabled=page_no == 0):
                st.session_state[f"{key}_page"] = page_no - 1
                st.rerun()
            if right.button("Next page", key=f"{key}_next", disabled=(page_no + 1) * page_size >= total):
                st.session_state[f"{key}_page"] = page_no + 1
                st.rerun()
    return list(page["items"]) if total else []
