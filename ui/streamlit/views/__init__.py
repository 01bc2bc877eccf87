"""The pages: scripts that st.navigation runs by path (a package only so the import rules check them too)."""
