"""The sections of the larger pages (one module per tab or section), and what they share.

A page file keeps its frame (title, section picker, dispatch) and calls a section's `render(ctx)`.
These are modules, not pages: st.navigation lists only the pages dashboard/nav.py names.
"""
