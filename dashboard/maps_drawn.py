"""The map's coordinates as drawn, and its layers' features written as JSON text.

Coordinates are stored WGS-84 and drawn shifted to GCJ-02 on Amap/Gaode tiles, rounded to 7
decimals. `Drawn` works them out once per map for every layer (NumPy for the shift), each point as
the JSON text of its two numbers, with the unrounded values for the boxes (rounding keeps the
order: the box of the rounded points is the rounded box).

folium writes a layer's data with `{{ this.data|tojson }}`: json.dumps with sorted keys, then <,
>, & and ' escaped for HTML. `FeatureWriter` writes the same text feature by feature (the layers
call it with their keys in sorted order), without a dict per feature to build and serialise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import numpy as np

from dashboard.maps_coords import json_numbers, shifted_arrays
from dashboard.maps_data import MapColumns, MapData
from dashboard.maps_geojson import PreparedFeatures

_HTML_IN_JSON = re.compile(r"[<>&']")  # what jinja's htmlsafe_json_dumps (folium's tojson) escapes


def json_text(text: str) -> str:
    """A string as folium writes it into a layer's data: JSON (ASCII), made safe for HTML."""
    out = encode_basestring_ascii(text)
    if _HTML_IN_JSON.search(out) is None:
        return out
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


def json_safe(text: str) -> str:
    """json_text of a text made safe() already: of the characters to escape for HTML, only the "&"
    of its entities can be left."""
    out = encode_basestring_ascii(text)
    return out.replace("&", "\\u0026") if "&" in out else out


def _placed(lats: list[Any], lons: list[Any]) -> list[bool]:
    """Which places have both coordinates (None from the database, NaN from a DataFrame)."""
    return [a is not None and o is not None and a == a and o == o for a, o in zip(lats, lons, strict=True)]


@dataclass
class Places:
    """One layer's coordinates as drawn, feature by feature, and every point unrounded with the
    index of its feature (for boxes).

    `shapes` holds for an outline the JSON text of each of its points ("[lon, lat]"), for a place
    the JSON text of its GeoJSON Point (None where it has no coordinates).
    """

    shapes: list[Any]
    lon: np.ndarray
    lat: np.ndarray
    owner: np.ndarray
    starts: list[int]  # where each feature's points begin in lon/lat (and where the last ends)

    def box(self, features: Sequence[bool] | None = None) -> list[list[float]] | None:
        """[[s, w], [n, e]] around the points of the features marked (all when None), as drawn."""
        lon, lat = self.lon, self.lat
        if features is not None and len(lon):
            keep = np.asarray(features, dtype=bool)[self.owner]
            lon, lat = lon[keep], lat[keep]
        if not len(lon):
            return None
        return [
            [round(float(lat.min()), 7), round(float(lon.min()), 7)],
            [round(float(lat.max()), 7), round(float(lon.max()), 7)],
        ]

    def polygon(self, i: int) -> str | None:
        """The GeoJSON Polygon of outline i (closed if it is not), as JSON text; None under 3 points."""
        ring = self.shapes[i]
        if len(ring) < 3:
            return None
        first, last = self.starts[i], self.starts[i + 1] - 1
        if self._drawn(first) != self._drawn(last):
            ring = [*ring, ring[0]]
        return '{"coordinates": [[' + ", ".join(ring) + ']], "type": "Polygon"}'

    def _drawn(self, j: int) -> tuple[float, float]:
        return round(float(self.lon[j]), 7), round(float(self.lat[j]), 7)


def _ring(poly: Any) -> tuple[list[float], list[float]]:
    ring = poly or []
    return [float(p[0]) for p in ring], [float(p[1]) for p in ring]


@dataclass
class Drawn:
    """Every coordinate of a map's data as drawn, layer by layer."""

    compounds: Places
    grids: Places
    buildings: Places
    entrances: Places
    sites: Places

    @classmethod
    def of(cls, data: MapData | MapColumns, shift: bool, buildings: Sequence[bool] | None = None) -> Drawn:
        """The coordinates of data as drawn; of the buildings only those marked in `buildings` get
        their Point's text (all when None), though every placed one counts for the boxes."""
        cols = MapColumns.of(data)
        lons: list[float] = []
        lats: list[float] = []
        sizes: list[list[int]] = []  # per layer, how many points each feature has
        for layer in (cols.compounds, cols.grids):
            counts = []
            for poly in layer["polygon"]:
                x, y = _ring(poly)
                lons += x
                lats += y
                counts.append(len(x))
            sizes.append(counts)
        for layer in (cols.buildings, cols.entrances, cols.sites):
            ok = _placed(layer["lat"], layer["lon"])
            lons += [v for v, keep in zip(layer["lon"], ok, strict=True) if keep]  # (NumPy makes floats)
            lats += [v for v, keep in zip(layer["lat"], ok, strict=True) if keep]
            sizes.append([1 if keep else 0 for keep in ok])
        lon, lat = shifted_arrays(lons, lats, shift)
        all_x, all_y = lon.tolist(), lat.tolist()
        places = []
        start = 0
        for layer, counts in enumerate(sizes):
            starts = list(accumulate(counts, initial=start))  # where each feature's points begin
            end = starts[-1]
            if layer < 2:  # an outline: each point's text
                pairs = zip(json_numbers(all_x[start:end]), json_numbers(all_y[start:end]), strict=True)
                shapes: list[Any] = [[f"[{x}, {y}]" for x, y in islice(pairs, n)] for n in counts]
            else:  # a place: the Point's text, of each feature placed (and, of the buildings, drawn)
                wanted = buildings if layer == 2 and buildings is not None else None
                at = [i for i, n in enumerate(counts) if n and (wanted is None or wanted[i])]
                xs = json_numbers([all_x[starts[i]] for i in at])
                ys = json_numbers([all_y[starts[i]] for i in at])
                shapes = [None] * len(counts)
                for i, x, y in zip(at, xs, ys, strict=True):
                    shapes[i] = f'{{"coordinates": [{x}, {y}], "type": "Point"}}'
            owner = np.repeat(np.arange(len(counts)), counts)
            places.append(Places(shapes, lon[start:end], lat[start:end], owner, [i - start for i in starts]))
            start = end
        return cls(*places)

    def bounds(self) -> list[list[float]] | None:
        """The box around everything placed: outlines, buildings, entrances and sites, [[s, w], [n, e]]."""
        boxes = [
            box
            for box in (
                p.box() for p in (self.compounds, self.grids, self.buildings, self.entrances, self.sites)
            )
            if box
        ]
        if not boxes:
            return None
        return [
            [min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
            [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)],
        ]


class FeatureWriter:
    """A FeatureCollection written feature by feature as JSON text (PreparedFeatures).

    The strings go through `text` or `safe_text` (JSON text of a string), so the writer also knows
    what of the text is not its fixed syntax: the properties' names and the strings.
    """

    def __init__(self, *keys: str) -> None:
        self.lines: list[str] = []
        self.ids: list[int] = []
        self.groups: list[Any] = []
        self._first: dict[Any, int] = {}
        self._strings: list[str] = [json_text(key) for key in keys]

    def text(self, value: str) -> str:
        """The JSON text of a string value."""
        out = json_text(value)
        self._strings.append(out)
        return out

    def safe_text(self, value: str) -> str:
        """The JSON text of a string value made safe() already."""
        out = json_safe(value)
        self._strings.append(out)
        return out

    def add(self, fid: int, geometry: str, properties: str, group: Any) -> None:
        """One feature: its id, geometry text, the text of its properties (`"key": value, ...` in
        sorted order, the keys given to the writer) and its style group (what its style depends on)."""
        if group not in self._first:
            self._first[group] = len(self.lines)
        self.lines.append(
            f'{{"geometry": {geometry}, "id": {fid}, "properties": {{{properties}}}, "type": "Feature"}}'
        )
        self.ids.append(fid)
        self.groups.append(group)

    def done(self, bounds: list[list[float]] | None) -> PreparedFeatures:
        return PreparedFeatures(
            text='{"features": [' + ", ".join(self.lines) + '], "type": "FeatureCollection"}',
            ids=self.ids,
            groups=self.groups,
            firsts={group: json.loads(self.lines[i]) for group, i in self._first.items()},
            bounds=bounds,
            probe="\0".join(self._strings),
        )
