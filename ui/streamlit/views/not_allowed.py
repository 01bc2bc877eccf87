"""An address this account has no page for (e.g. an adviser's page about a young person, opened by an employer):
said plainly, and nothing about what the address names."""

from __future__ import annotations

import streamlit as st

st.title("Not found")
st.error("There is nothing at this address that your account may see. It may not exist, or it may be for another "
         "kind of account.", icon=":material/block:")
st.markdown("[Go to your home page](/)")
