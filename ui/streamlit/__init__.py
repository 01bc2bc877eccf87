"""The Streamlit front end: one multipage app whose pages depend on the signed-in person's role."""
