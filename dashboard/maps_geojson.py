"""The map's GeoJSON layer classes: folium.GeoJson with its style map worked out once per style,
and a layer handed its data as ready JSON text.

folium.GeoJson keeps its data as a dict: it calls the style function on every feature to group
them by style, checks the tooltip's fields against the features, measures their bounds and writes
the whole dict as JSON into the page. For thousands of buildings that is most of the map's cost,
each time it is drawn. `PreparedGeoJson` takes the FeatureCollection already written as folium
writes it (sorted keys, ASCII, HTML-safe: `{{ this.data|tojson }}`), with each feature's id and
style group and the bounds, and gives folium the same script without any of that work
(tests/test_map.py compares it with st_folium's). Asked for its `data`, it reads the text back into
the dict folium.GeoJson would hold; from then on that dict is the layer's data, as with
folium.GeoJson.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.features import GeoJsonStyleMapper
from folium.map import Layer
from folium.template import Template
from folium.utilities import get_obj_in_upper_tree
from jinja2.utils import htmlsafe_json_dumps


class GeoJsonLayer(folium.GeoJson):
    """folium.GeoJson that works out its style map once per distinct style, not once per feature.

    folium turns every feature's style into JSON to group the features sharing one (thousands of
    buildings, three zone colours); this layer does that once per distinct style, with the same
    result (tests/test_map.py compares it with folium's own mapping).
    """

    def render(self, **kwargs: Any) -> None:
        features = self.data["features"]
        if not self.style or self.highlight or not features or self.feature_identifier != "feature.id":
            super().render(**kwargs)
            return
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        mapping: dict[str, list[Any]] = {}
        keys: dict[tuple[Any, ...], str] = {}
        for feature in features:
            content = self.style_function(feature)
            try:  # the style's items and their types: equal ones give the same JSON (-0.0 aside)
                seen = (tuple(content.items()), tuple(map(type, content.values())))
                key = keys.get(seen)
            except TypeError:  # a value that cannot be a dict key (a list, say)
                seen, key = None, None
            if key is None:
                if any(isinstance(v, MacroElement) for v in content.values()):
                    super().render(**kwargs)  # folium's way with elements inside a style
                    return
                key = GeoJsonStyleMapper._to_key(content)
                if seen is not None:
                    keys[seen] = key
            fid = feature["id"]
            assert isinstance(fid, (str, int))
            mapping.setdefault(key, []).append(fid)
        GeoJsonStyleMapper._set_default_key(mapping)
        self.style_map = mapping
        self._render_as_layer()  # what folium.GeoJson.render goes on with

    def _render_as_layer(self) -> None:
        """folium's Layer.render: the layer added to its parent (an ElementAddToElement child, all
        script), then rendered as a MacroElement. While maps_render holds the scripts back (a
        template `held_back`, to lay the page out), the child's script is held back as well: it
        would only be compiled as a template and dropped."""
        template = self._template
        if not getattr(template, "held_back", False) or not self.show:
            Layer.render(self)
            return
        child = ElementAddToElement(element_name=self.get_name(), element_parent_name=self._parent.get_name())
        self.add_child(child, name=self.get_name() + "_add")
        child._template = type(template)(child._template)
        try:
            MacroElement.render(self)
        finally:
            del child._template  # its class's template again

    def data_text(self) -> str:
        """The layer's data as folium's template writes it into the script ({{ this.data|tojson }})."""
        return data_text(self)

    @contextmanager
    def script_set_aside(self) -> Iterator[dict[str, tuple[str, str]]]:
        """Meanwhile the layer's data, and the feature ids of each style but the default one, stand
        in its script as tokens: {token as the script holds it: (its text, what of the text
        streamlit-folium may rewrite)}, to put the texts in their places.

        The ids are the `case` labels of the style function folium writes (`case {{ id|tojson }}: `
        for each): thousands of buildings in a zone other than the default one would be as many
        rounds of the template's loop.
        """
        token = _token()
        text = self.data_text()
        texts = {f'"{token}"': (text, self.data_probe() or text)}
        style_map = self.__dict__.get("style_map")
        cases = None
        if (
            self.style
            and style_map
            and all(type(i) is int for k, v in style_map.items() if k != "default" for i in v)
        ):
            cases = {}
            for key, ids in style_map.items():
                if key == "default":
                    cases[key] = ids
                else:
                    case = _token()
                    cases[key] = [case]
                    labels = "".join(f"case {i}: " for i in ids)
                    texts[f'case "{case}": '] = (labels, "")  # numbers: nothing to rewrite
        with self._data_set_aside(token):
            if cases is not None:
                self.style_map = cases
            try:
                yield texts
            finally:
                if cases is not None:
                    self.style_map = style_map

    def data_probe(self) -> str | None:
        """What of data_text() streamlit-folium may rewrite, when known (else None: all of it)."""
        return None

    @contextmanager
    def _data_set_aside(self, token: str) -> Iterator[None]:
        data = self.data
        self.data = token
        try:
            yield
        finally:
            self.data = data


def _token() -> str:
    return "juweiheld" + uuid.uuid4().hex


def data_text(layer: folium.GeoJson) -> str:
    """A GeoJSON layer's data as folium's template writes it into the script ({{ this.data|tojson }})."""
    policies = layer._template.environment.policies
    return str(
        htmlsafe_json_dumps(
            layer.data, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"]
        )
    )


@dataclass
class PreparedFeatures:
    """A FeatureCollection written as JSON text, as folium writes a layer's data, with what the
    layer needs to know of it: each feature's id and style group (in order), the first feature of
    each group as a dict (its style stands for the group's; the first of all also stands for the
    features when folium checks the style function and the tooltip's fields), the bounds, and
    `probe`: the text's properties' names and strings (as the text has them, apart). Whatever
    streamlit-folium rewrites in a script (an element's name after "_", "{{", "alert(coords);",
    "drawnItems_draw_control_div_") can only stand in those, never in the rest of the text (its
    GeoJSON syntax and numbers): the probe says whether the text needs rewriting at all."""

    text: str
    ids: list[int]
    groups: list[Any]
    firsts: dict[Any, dict[str, Any]]
    bounds: list[list[float]] | None
    probe: str


_DEFAULT_POLICIES = {"json.dumps_function": None, "json.dumps_kwargs": {"sort_keys": True}}


class PreparedGeoJson(GeoJsonLayer):
    """A GeoJSON layer given as PreparedFeatures (see the module's docstring): Points or Polygons.

    The style function must depend on what makes a feature's group only (a building's zone, say).
    """

    def __init__(self, prepared: PreparedFeatures, **kwargs: Any) -> None:
        first = next(iter(prepared.firsts.values()))
        # folium checks the style function and finds the features' identifier on the first feature.
        super().__init__({"type": "FeatureCollection", "features": [first]}, **kwargs)
        policies = self._template.environment.policies
        assert {k: policies[k] for k in _DEFAULT_POLICIES} == _DEFAULT_POLICIES, "tojson changed"
        self._prepared: PreparedFeatures | None = prepared
        self._data: dict[str, Any] | None = None

    @property  # type: ignore[override]
    def data(self) -> Any:
        if self._data is None and self.__dict__.get("_prepared") is not None:
            self._data = json.loads(self._prepared.text)
            self._prepared = None  # the dict is the data from now on
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value
        self._prepared = None

    def render(self, **kwargs: Any) -> None:
        prepared = self._prepared
        if prepared is None or not self.style or self.highlight or self.feature_identifier != "feature.id":
            super().render(**kwargs)
            return
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)
        key_of = {
            group: GeoJsonStyleMapper._to_key(self.style_function(feature))
            for group, feature in prepared.firsts.items()
        }
        mapping: dict[str, list[Any]] = {}
        if len(key_of) == 1:  # one style for all (no zone but precaution, say)
            mapping[next(iter(key_of.values()))] = list(prepared.ids)
        else:
            for fid, group in zip(prepared.ids, prepared.groups, strict=True):
                mapping.setdefault(key_of[group], []).append(fid)
        GeoJsonStyleMapper._set_default_key(mapping)
        self.style_map = mapping
        self._render_as_layer()

    def data_text(self) -> str:
        if self._prepared is not None:
            return self._prepared.text
        return super().data_text()

    def data_probe(self) -> str | None:
        return self._prepared.probe if self._prepared is not None else None

    @contextmanager
    def _data_set_aside(self, token: str) -> Iterator[None]:
        if self._prepared is None:
            with super()._data_set_aside(token):
                yield
            return
        prepared = self._prepared
        self._data = token  # type: ignore[assignment]
        try:
            yield
        finally:
            self._data, self._prepared = None, prepared

    @contextmanager
    def first_feature_only(self) -> Iterator[None]:
        """Meanwhile `data` holds the first feature only (what the tooltip checks its fields on)."""
        prepared = self._prepared
        if prepared is None:
            yield
            return
        self._data = {"type": "FeatureCollection", "features": [next(iter(prepared.firsts.values()))]}
        try:
            yield
        finally:
            self._data, self._prepared = None, prepared

    def _get_self_bounds(self) -> list[list[Any]]:
        if self._prepared is None:
            return super()._get_self_bounds()
        return self._prepared.bounds or [[None, None], [None, None]]


_NEWLINE = re.compile(r"(\r\n|\r|\n)")


class TextElement(Element):
    """Element(text) for a text already rendered: it renders the same (the text read as a Jinja
    template: newlines made \\n, one trailing newline dropped) without compiling the text as a
    template, unless it holds template syntax."""

    def __init__(self, text: str) -> None:
        if "{{" in text or "{%" in text or "{#" in text:
            super().__init__(template=text)
            self.text: str | None = None
            return
        super().__init__()
        lines = _NEWLINE.split(text)[::2]
        if lines[-1] == "":
            del lines[-1]
        self.text = "\n".join(lines)

    def render(self, **kwargs: Any) -> str:
        if self.text is None:
            return super().render(**kwargs)
        return self.text


class FieldsTooltip(folium.GeoJsonTooltip):
    """folium.GeoJsonTooltip, its table's style added to the page without compiling templates
    (folium.GeoJsonDetail.render compiles two each time), and on a prepared layer its fields
    checked on the first feature (Points and Polygons only: folium's warning about geometry
    collections cannot apply) rather than on the layer's data."""

    _table_style = Template(
        """
                    <style>
                        .{{ this.class_name }} {
                            {{ this.style }}
                        }
                       .{{ this.class_name }} table{
                            margin: auto;
                        }
                        .{{ this.class_name }} tr{
                            text-align: left;
                        }
                        .{{ this.class_name }} th{
                            padding: 2px; padding-right: 8px;
                        }
                    </style>
            """
    )  # folium.GeoJsonDetail.render's, as it writes it

    def render(self, **kwargs: Any) -> None:
        parent = self._parent
        if not isinstance(parent, GeoJsonLayer):
            super().render(**kwargs)
            return
        with parent.first_feature_only() if isinstance(parent, PreparedGeoJson) else nullcontext():
            features = parent.data["features"]
            keys = tuple(features[0]["properties"].keys() if features else [])
            self.warn_for_geometry_collections()
        keys = tuple(x for x in keys if x not in ("style", "highlight"))
        for value in self.fields:
            assert value in keys, f"The field {value} is not available in the data. Choose from: {keys}."
        self.get_root().header.add_child(
            TextElement(self._table_style.render(this=self)), name=self.get_name() + "tablestyle"
        )
        MacroElement.render(self, **kwargs)
