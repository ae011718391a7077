"""The render floor of a page: the same elements, rendered by Streamlit from constants.

`record(at)` walks a page's element tree as AppTest saw it and keeps, for every element, what
Streamlit needs to draw it again (texts, table data, chart specs, widget labels and options,
the map component's arguments) — the page's answers, frozen. tests/bench_floor_app.py, a Streamlit
script (AppTest `from_file`, with BENCH_FLOOR_SPEC naming a pickled record), renders those elements
again in the same layout from memory, without touching the database: the cost of drawing the page
when all of its work is already done. The benchmark puts every page beside its floor.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import re
from pathlib import Path
from typing import Any

Spec = dict[str, Any]
_LOADED: dict[str, tuple[list[Spec], list[Spec]]] = {}


# --- recording (from an AppTest element tree) -------------------------------------------------


def _block(node: Any) -> Spec:
    children = [_node(c) for c in node.children.values()]
    kind = getattr(node, "type", "")
    proto = node.proto
    if kind == "column":
        return {"block": "column", "children": children, "weight": proto.weight or 1.0}
    if kind in ("expander", "status"):
        return {"block": "expandable", "children": children, "label": proto.label, "expanded": proto.expanded}
    if kind == "tab":
        return {"block": "tab", "children": children, "label": proto.label}
    kind = proto.WhichOneof("type") if proto is not None else None
    spec: Spec = {"block": kind or "vertical", "children": children}
    if kind == "flex_container":
        fc = proto.flex_container
        spec["border"] = bool(fc.border)
        if (
            children
            and all(c["block"] == "column" for c in children if "block" in c)
            and all("block" in c for c in children)
        ):
            spec["block"] = "columns"
            spec["weights"] = [c["weight"] for c in children]
        elif fc.direction == 2:
            spec["horizontal"] = True
    elif kind == "popover":
        spec["label"] = proto.popover.label
    elif kind == "form":
        spec["border"] = bool(proto.form.border)
    elif kind == "tab_container":
        spec["labels"] = [c["label"] for c in children]
    return spec


def _element(node: Any) -> Spec:
    kind = node.type
    proto = node.proto
    spec: Spec = {"el": kind}
    if kind in ("title", "header", "subheader", "markdown", "caption", "divider"):
        spec["body"] = proto.body
        spec["html"] = bool(getattr(proto, "allow_html", False))
    elif kind in ("info", "success", "warning", "error"):
        spec["body"] = proto.body
    elif kind == "metric":
        spec.update(label=proto.label, body=proto.body, delta=proto.delta, border=bool(proto.show_border))
    elif kind == "dataframe":
        spec["data"] = node.value
        spec["editable"] = bool(proto.editing_mode)
        spec["columns"] = proto.columns  # the column config, as JSON
        spec["order"] = list(proto.column_order)
        styler = proto.arrow_data.styler if proto.arrow_data.HasField("styler") else None
        spec["styles"] = styler.styles if styler is not None else ""
    elif kind == "table":
        spec["data"] = node.value
    elif kind in ("button", "download_button"):
        spec["label"] = proto.label
        spec["submit"] = bool(getattr(proto, "is_form_submitter", False))
    elif kind in ("selectbox", "radio", "multiselect"):
        spec.update(label=proto.label, options=list(proto.options))
        default = proto.default
        if not isinstance(default, int):
            default = list(default)[0] if len(default) else None
        spec["index"] = default if isinstance(default, int) else None
        spec["horizontal"] = bool(getattr(proto, "horizontal", False))
    elif kind in ("text_input", "text_area"):
        spec.update(label=proto.label, value=node.value or "")
    elif kind == "number_input":
        spec.update(label=proto.label, value=node.value, integer=proto.data_type == proto.INT)
    elif kind in ("date_input", "time_input"):
        spec.update(label=proto.label, value=node.value)
    elif kind in ("toggle", "checkbox"):
        spec.update(label=proto.label, value=bool(node.value))
    elif kind == "progress":
        spec["value"] = proto.value
    elif kind == "code":
        spec.update(body=proto.code_text, language=proto.language)
    elif kind == "html":
        spec["body"] = proto.body
    elif kind == "toast":
        spec["body"] = proto.body
    elif kind == "plotly_chart":
        spec["spec"] = proto.spec  # UnknownElement: proto is the chart's own message
    elif kind == "component_instance":
        spec.update(name=proto.component_name, args=proto.json_args)
    else:
        spec["el"] = "unknown"
        spec["size"] = proto.ByteSize() if proto is not None else 0
    return spec


def _node(node: Any) -> Spec:
    from streamlit.testing.v1.element_tree import Block

    return _block(node) if isinstance(node, Block) else _element(node)


def record(at: Any, nav: list[tuple[str, str, str, bool]], title: str) -> dict[str, Any]:
    """What a page drew in its AppTest's last run: main and sidebar element specs, plus the navigation
    menu (group, title, icon, is this page) and the page title the frame set."""
    return {
        "main": [_node(c) for c in at.main.children.values()],
        "sidebar": [_node(c) for c in at.sidebar.children.values()],
        "nav": nav,
        "title": title,
    }


def save(record: dict[str, Any], path: Path) -> None:
    path.write_bytes(pickle.dumps(record))


def count(specs: list[Spec]) -> dict[str, int]:
    """How many of each element a record holds (for the report)."""
    out: dict[str, int] = {}
    for s in specs:
        if "block" in s:
            for k, v in count(s["children"]).items():
                out[k] = out.get(k, 0) + v
        else:
            out[s["el"]] = out.get(s["el"], 0) + 1
    return out


# --- replay (inside a Streamlit script run) -----------------------------------------------------


class _Keys:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"floor_{self.n}"


def _replay_block(st: Any, spec: Spec, key: _Keys, in_form: bool) -> None:
    kind = spec["block"]
    children = spec["children"]
    if kind == "columns":
        cols = st.columns(spec["weights"])
        for col, child in zip(cols, children, strict=False):
            with col:
                _replay(st, child["children"], key, in_form)
        return
    if kind == "expandable":
        ctx = st.expander(spec["label"] or " ", expanded=bool(spec["expanded"]))
    elif kind == "popover":
        ctx = st.popover(spec["label"] or " ")
    elif kind == "form":
        ctx = st.form(key(), border=spec["border"])
    elif kind == "tab_container":
        tabs = st.tabs([lbl or " " for lbl in spec["labels"]])
        for tab, child in zip(tabs, children, strict=False):
            with tab:
                _replay(st, child["children"], key, in_form)
        return
    elif spec.get("horizontal"):
        ctx = st.container(horizontal=True, border=spec.get("border", False))
    else:
        ctx = st.container(border=spec.get("border", False))
    with ctx:
        _replay(st, children, key, in_form or kind == "form")
        if kind == "form" and not any(c.get("submit") for c in children):
            st.form_submit_button(" ")


def _replay_element(st: Any, s: Spec, key: _Keys, in_form: bool) -> None:
    kind = s["el"]
    if kind in ("title", "header", "subheader"):
        getattr(st, kind)(s["body"])
    elif kind == "markdown":
        st.markdown(s["body"], unsafe_allow_html=s["html"])
    elif kind == "caption":
        st.caption(s["body"], unsafe_allow_html=s["html"])
    elif kind == "divider":
        st.divider()
    elif kind in ("info", "success", "warning", "error"):
        getattr(st, kind)(s["body"])
    elif kind == "toast":
        st.toast(s["body"])
    elif kind == "metric":
        st.metric(s["label"], s["body"], delta=s["delta"] or None, border=s["border"])
    elif kind == "dataframe":
        config = json.loads(s["columns"]) if s.get("columns") else None
        order = s.get("order") or None
        if s["editable"]:
            st.data_editor(s["data"], key=key(), hide_index=True, column_config=config, column_order=order)
        else:
            data = s["data"]
            if s.get("styles"):  # a Styler: the same cell styles, computed again
                css = _cell_styles(s["styles"], data)
                data = data.style.apply(lambda _frame: css, axis=None)
            st.dataframe(data, hide_index=True, column_config=config, column_order=order)
    elif kind == "table":
        st.table(s["data"])
    elif kind == "button":
        if in_form:
            if s["submit"]:
                st.form_submit_button(s["label"] or " ", key=key())
        else:
            st.button(s["label"] or " ", key=key())
    elif kind == "download_button":
        st.download_button(s["label"] or " ", data=b"", key=key())
    elif kind in ("selectbox", "radio"):
        options = s["options"] or [" "]
        index = s["index"] if s["index"] is not None and s["index"] < len(options) else 0
        if kind == "radio":
            st.radio(s["label"] or " ", options, index=index, horizontal=s["horizontal"], key=key())
        else:
            st.selectbox(s["label"] or " ", options, index=index, key=key())
    elif kind == "multiselect":
        st.multiselect(s["label"] or " ", s["options"], key=key())
    elif kind == "text_input":
        st.text_input(s["label"] or " ", value=str(s["value"]), key=key())
    elif kind == "text_area":
        st.text_area(s["label"] or " ", value=str(s["value"]), key=key())
    elif kind == "number_input":
        value = s["value"]
        st.number_input(s["label"] or " ", value=int(value or 0) if s["integer"] else value, key=key())
    elif kind == "date_input":
        st.date_input(s["label"] or " ", value=s["value"] or dt.date(2022, 5, 29), key=key())
    elif kind == "time_input":
        st.time_input(s["label"] or " ", value=s["value"] or dt.time(8, 0), key=key())
    elif kind == "toggle":
        st.toggle(s["label"] or " ", value=s["value"], key=key())
    elif kind == "checkbox":
        st.checkbox(s["label"] or " ", value=s["value"], key=key())
    elif kind == "progress":
        st.progress(int(s["value"]))
    elif kind == "code":
        st.code(s["body"], language=s["language"] or None)
    elif kind == "html":
        st.html(s["body"])
    elif kind == "plotly_chart":
        import plotly.io as pio

        st.plotly_chart(pio.from_json(s["spec"]), key=key())
    elif kind == "component_instance":
        _component(st, s, key)
    else:
        st.markdown("·" * min(int(s.get("size", 1)), 2000))


_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
_CELL = re.compile(r"_row(\d+)_col(\d+)")


def _cell_styles(styles: str, data: Any) -> Any:
    """The per-cell CSS of a Styler, back from the stylesheet Streamlit sent (#T_uuid_rowR_colC {…})."""
    import pandas as pd

    shape = data.shape
    cells = [[""] * shape[1] for _ in range(shape[0])]
    for selectors, body in _RULE.findall(styles):
        for r, c in _CELL.findall(selectors):
            if int(r) < shape[0] and int(c) < shape[1]:
                cells[int(r)][int(c)] = body.strip()
    return pd.DataFrame(cells, index=data.index, columns=data.columns)


def _component(st: Any, s: Spec, key: _Keys) -> None:
    if s["name"].endswith("st_folium"):
        import streamlit_folium

        args = json.loads(s["args"])
        args.pop("key", None)
        streamlit_folium._component_func(**args, key=key())
    else:
        st.html(f"<div>{s['args'][:50_000]}</div>")


def _replay(st: Any, specs: list[Spec], key: _Keys, in_form: bool = False) -> None:
    for s in specs:
        if "block" in s:
            _replay_block(st, s, key, in_form)
        else:
            _replay_element(st, s, key, in_form)


def render(path: str) -> None:
    """Render a recorded page from its constants (the record is loaded once per process): the page
    config and the navigation menu the frame draws, the sidebar, then the page's own elements."""
    import streamlit as st

    if path not in _LOADED:
        _LOADED[path] = pickle.loads(Path(path).read_bytes())
    record = _LOADED[path]
    main, sidebar = record["main"], record["sidebar"]

    def page() -> None:
        key = _Keys()
        with st.sidebar:
            _replay(st, sidebar, key)
        _replay(st, main, key)

    st.set_page_config(page_title=record["title"], page_icon="🏘️", layout="wide")
    groups: dict[str, list] = {}
    for i, (group, title, icon, current) in enumerate(record["nav"]):
        target = page if current else (lambda: None)
        groups.setdefault(group, []).append(
            st.Page(target, title=title, icon=icon, url_path=f"floor{i}", default=current)
        )
    st.navigation(groups).run()
