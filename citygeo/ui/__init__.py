"""The Streamlit dashboard (L4): the only package that imports streamlit; pydeck only in maps."""
