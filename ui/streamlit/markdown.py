"""User text inside the markdown Streamlit renders (st.markdown, st.write, captions, alerts, titles and widget
labels): every piece of it goes through `plain`, so a title, name, skill or note shows as typed and never becomes
a link, an image (a request from every viewer's browser), a colour, an icon or a formula."""

from __future__ import annotations

import re

# Every ASCII punctuation character, each of which CommonMark lets a backslash make literal; that also stops
# Streamlit's own ":red[...]", ":material/...:" and emoji codes.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub-flavoured markdown turns bare web addresses into links after escapes are read ("http://x", "www.x"): an
# invisible word joiner (U+2060) inside each keeps them from being recognised, and shows nothing. Email addresses
# stay mailto: links (an adviser's contact details are meant to be used; a mail link fetches nothing).
_BARE_LINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Text shown as it was typed, not read as markdown."""
    raw = "" if text is None else str(text)
    return _PUNCTUATION.sub(r"\\\1", _BARE_LINK.sub(WORD_JOINER, raw))
