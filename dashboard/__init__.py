"""Juwei's logic, by area of work: plain Python over db/, testable without Streamlit (except ui.py)."""
