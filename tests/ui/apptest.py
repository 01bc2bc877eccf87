"""Driving the app with Streamlit's AppTest: sign in through the sign-in page, open pages, read what shows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from ui.streamlit.markdown import WORD_JOINER

APP = Path(__file__).resolve().parents[2] / "ui" / "streamlit" / "app.py"
PAGE_BUG = "something went wrong on this page"

PAGES: dict[str, dict[str, str | None]] = {
    "adviser": {
        "views/caseload.py": "Caseload",
        "views/person.py": "Person",
        "views/register.py": "Register a young person",
        "views/opportunities.py": "Opportunities",
        "views/dashboard.py": "Guarantee dashboard",
        "views/activity.py": "Activity and tracing",
        "views/returns.py": "Returns and indicators",
    },
    "employer": {
        "views/my_opportunities.py": "My opportunities",
        "views/referrals.py": "Referrals",
    },
    "young_person": {
        "views/suggested.py": None,  # greets the person by name
        "views/browse.py": "Browse",
        "views/my_profile.py": "My profile",
    },
}


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def texts(at: AppTest) -> str:
    """Every piece of text on the page, for 'does it say ...' checks: the markdown source, with the escapes that
    show user text as typed (ui/streamlit/markdown.py) read as the characters they show."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error",
                 "metric", "expander"):
        for element in getattr(at, kind):
            value = getattr(element, "value", None)
            label = getattr(element, "label", None)
            parts.extend(str(v) for v in (label, value) if v not in (None, ""))
    return unescaped("\n".join(parts))


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescaped(text: str) -> str:
    """Markdown source with the escapes that show user text as typed read as the characters they show."""
    return _ESCAPED.sub(r"\1", text).replace(WORD_JOINER, "")


def assert_clean(at: AppTest) -> None:
    """No exception, no page-bug message, no traceback."""
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert PAGE_BUG not in shown.lower(), shown
    assert "Traceback" not in shown, shown


def sign_in(role: str, name_contains: str) -> AppTest:
    """Open the app and sign in as the demo user whose label contains `name_contains`."""
    at = new_app().run()
    assert_clean(at)
    pick = at.selectbox(key=f"pick_{role}")
    index = next(i for i, option in enumerate(pick.options) if name_contains in option)
    pick.select_index(index)
    at.button(key=f"go_{role}").click().run()
    assert_clean(at)
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert_clean(at)
    return at


def button(at: AppTest, label: str, within: Iterable[Any] | None = None) -> Any:
    matches = [b for b in (within or at.button) if getattr(b, "label", None) == label]
    assert matches, f"no button {label!r}; have {[getattr(b, 'label', None) for b in at.button]}"
    return matches[0]


def _in_order(node: object) -> list[object]:
    found: list[object] = []
    for child in getattr(node, "children", {}).values():
        found.append(child)
        found.extend(_in_order(child))
    return found


def message_under(at: AppTest, key: str) -> str | None:
    """The error shown right under the widget with this key (before the next widget), if any."""
    elements = _in_order(at.main)
    start = next(i for i, element in enumerate(elements) if getattr(element, "key", None) == key)
    for element in elements[start + 1:]:
        if getattr(element, "type", "") == "error" or type(element).__name__ == "Error":
            return str(element.value)  # type: ignore[attr-defined]
        if getattr(element, "key", None) or type(element).__name__ in ("Button", "Checkbox"):
            return None
    return None
