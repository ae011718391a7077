"""A folium map as the arguments streamlit-folium's component takes, with folium's tree rendered once.

streamlit-folium 0.27's st_folium renders a map three times before it sends it: the whole figure,
the map again, then every element's script once more for the component. `folium_parts` gives the
same arguments (tests/test_map.py checks them against st_folium's own) doing each piece once:

1. the layout pass: every element's render() as folium runs it (style maps, links, headers, the
   layers' add-to-map children), but with the elements' script macros held back: nothing reads
   the figure's script, and for the GeoJSON layers it is the costly part (their data as JSON,
   compiled again as a Jinja template);
2. the header and html from the figure, and the script from streamlit-folium's own helpers;
3. the bounds of what is drawn, from the layers' coordinates in one sweep.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from textwrap import dedent
from types import SimpleNamespace
from typing import Any

import folium
import folium.elements
import folium.plugins
from branca.element import Element, MacroElement

from dashboard.maps_geojson import GeoJsonLayer, data_text


class _NoScript:
    """An element's template with its script macro held back (everything else as it was)."""

    held_back = True  # (a layer holds back the script of the child it adds too: GeoJsonLayer)

    def __init__(self, template: Any) -> None:
        self._template = template
        module = template.module
        self.module = SimpleNamespace(
            **{name: getattr(module, name) for name in ("header", "html") if hasattr(module, name)}
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._template, name)


def _elements(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _elements(child)


@contextmanager
def _scripts_held_back(m: folium.Map) -> Iterator[None]:
    swapped: list[tuple[MacroElement, bool, Any]] = []
    stubs: dict[int, _NoScript] = {}
    try:
        for element in _elements(m):
            template = getattr(element, "_template", None)
            if not isinstance(element, MacroElement) or template is None:
                continue
            if not hasattr(template.module, "script"):
                continue
            stub = stubs.get(id(template))
            if stub is None:
                stub = stubs[id(template)] = _NoScript(template)
            swapped.append((element, "_template" in vars(element), template))
            element._template = stub
        yield
    finally:
        for element, own, template in swapped:
            if own:
                element._template = template
            else:
                del element._template


def _rewritten(text: str) -> str:
    """streamlit-folium's rewrites of the leaflet script (all but dedent and the drawnItems line)."""
    if "alert(coords);" in text:
        text = text.replace("alert(coords);", "")
    if "drawnItems_draw_control_div_" in text:
        text = re.sub(r"drawnItems_draw_control_div_\d+", "drawnItems", text)
    return text


_NAME = re.compile(r"[a-z0-9]+")
_HEX = re.compile(r"[0-9a-f]{32}")
_UNDERSCORE_HEX = re.compile(r"_[0-9a-f]{32}")


def _may_rename(text: str, mappings: dict[str, str]) -> bool:
    """False when streamlit-folium's renaming leaves text as it is.

    It rewrites "_" + a name of `mappings` ([a-z0-9]+, the part its pattern can match); names are
    mostly folium's element ids (32 hex digits), all looked for in one sweep.
    """
    names = [k for k in mappings if _NAME.fullmatch(k)]
    if any(_HEX.fullmatch(k) for k in names) and _UNDERSCORE_HEX.search(text):
        return True
    return any("_" + k in text for k in names if not _HEX.fullmatch(k))


@contextmanager
def _set_aside(element: folium.GeoJson) -> Iterator[dict[str, tuple[str, str]]]:
    """The layer's data set aside meanwhile: {its token as the script holds it: (its text, what of
    the text streamlit-folium may rewrite)}."""
    if isinstance(element, GeoJsonLayer):
        with element.script_set_aside() as texts:
            yield texts
        return
    token = "juweiheld" + uuid.uuid4().hex
    text = data_text(element)
    texts = {f'"{token}"': (text, text)}
    data = element.data
    element.data = token
    try:
        yield texts
    finally:
        element.data = data


def _map_string(m: folium.Map, sf: Any) -> str:
    """streamlit_folium._get_map_string(m), with the GeoJSON layers' data set aside meanwhile.

    The layers' data is nearly all of the script. It is written once, into a one-line JSON text
    (never holding a newline, starting and ending with a brace), so streamlit-folium's rewrites of
    the whole script (renaming variables, resolving element references, dedent) do to it exactly
    what they do to it in place: nothing, unless it holds one of the renamed names. So are the
    `case` labels of the layers' style functions (GeoJsonLayer.script_set_aside).
    """
    if isinstance(m, folium.plugins.DualMap):
        return sf._get_map_string(m)
    held: dict[str, tuple[str, str]] = {}
    with ExitStack() as stack:
        for element in _elements(m):
            if isinstance(element, folium.GeoJson) and element.embed:
                held.update(stack.enter_context(_set_aside(element)))
        leaflet, mappings = sf._generate_leaflet_string(m, nested=True, base_id="div")
    leaflet = dedent(_rewritten(sf._resolve_element_refs(sf._replace_folium_vars(leaflet, mappings))))
    texts = {}
    for token, (text, probe) in held.items():
        if _may_rename(probe, mappings):
            text = probe = sf._replace_folium_vars(text, mappings)
        if "{{" in probe:  # what an element reference needs
            text = sf._resolve_element_refs(text)
        if "alert(coords);" in probe or "drawnItems_draw_control_div_" in probe:
            text = _rewritten(text)
        texts[token] = text
    if texts:  # each text in place of its token, in one pass
        tokens = re.compile("|".join(re.escape(token) for token in texts))
        leaflet = tokens.sub(lambda match: texts[match.group(0)], leaflet)
    if "drawnItems" not in leaflet:
        leaflet += "\nvar drawnItems = [];"
    return leaflet


def _positions(coords: Any, out: list[Any]) -> None:
    if coords and isinstance(coords[0], (float, int)):
        out.append(coords)
        return
    for c in coords:
        _positions(c, out)


def _min_max(bounds: list[list[Any]], other: list[list[Any]]) -> list[list[Any]]:
    """branca's way of merging two bounds (None where nothing is known)."""

    def pick(f: Any, x: Any, y: Any) -> Any:
        return y if x is None else x if y is None else f(x, y)

    return [
        [pick(min, bounds[0][0], other[0][0]), pick(min, bounds[0][1], other[0][1])],
        [pick(max, bounds[1][0], other[1][0]), pick(max, bounds[1][1], other[1][1])],
    ]


def _self_bounds(element: Element) -> list[list[Any]]:
    if type(element)._get_self_bounds is not folium.GeoJson._get_self_bounds:
        return element._get_self_bounds()  # an element with its own way (a prepared layer knows its bounds)
    data = element.data
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return element._get_self_bounds()
    points: list[Any] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        if not geometry:
            continue
        coords = geometry["coordinates"]
        if coords and isinstance(coords[0], (float, int)):
            points.append(coords)  # a point
        else:
            _positions(coords, points)
    if not points:
        return [[None, None], [None, None]]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]  # GeoJSON is [lon, lat]


def _bounds(element: Element) -> list[list[Any]]:
    """element.get_bounds(), with each GeoJSON layer's coordinates swept in one pass."""
    if type(element).get_bounds is not Element.get_bounds:
        return element.get_bounds()  # an element with its own way
    bounds = _self_bounds(element)
    for child in element._children.values():
        bounds = _min_max(bounds, _bounds(child))
    return bounds


def folium_parts(m: folium.Map, key: str | None, sf: Any) -> dict[str, Any]:
    """What st_folium(m, key=key) sends streamlit-folium's component, derived from map `m`.

    `sf` is the streamlit_folium module, handed in by dashboard/ui (the one module of dashboard/
    that imports Streamlit): its helpers rename the elements and write the script.
    Keys: script, header, html, id, css_links, js_links, hash (the component key), bounds, zoom.
    The map is used up: render a new one for another call.
    """
    figure = m.get_root()
    with _scripts_held_back(m):
        for child in list(figure._children.values()):
            child.render()
    html, header = sf._get_html(m), sf._get_header(m)  # before the script: it renames elements
    script = _map_string(m, sf)
    css: list[str] = []
    js: list[str] = []
    for element in _elements(m):
        if isinstance(element, folium.elements.JSCSSMixin):
            css.extend(href for _, href in element.default_css)
            js.extend(src for _, src in element.default_js)
    (s, w), (n, e) = _bounds(m)
    return {
        "script": script,
        "header": header,
        "html": html,
        "id": sf.get_full_id(m),
        "css_links": list(dict.fromkeys(css)),
        "js_links": list(dict.fromkeys(js)),
        "hash": sf.generate_js_hash(script, key, False),
        "bounds": {"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}},
        "zoom": m.options.get("zoom"),
    }
