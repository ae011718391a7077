"""Coordinates for the map: the GCJ-02 shift of Amap/Gaode tiles, ground distance, a click's building.

Coordinates are stored WGS-84. On Amap tiles every coordinate is shifted to GCJ-02 when drawn;
`shifted_many` does the same for whole columns at once (numpy, the same formula and the same
rounding as one point at a time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

CLICK_RADIUS_M = 40.0

# The published GCJ-02 offset (Krasovsky 1940 ellipsoid); no shift outside China.
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lon: float, lat: float) -> bool:
    """True where the GCJ-02 offset does not apply."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    d = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return d


def _offset_lon(x: float, y: float) -> float:
    d = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return d


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """A WGS-84 point as drawn on GCJ-02 tiles (Amap/Gaode)."""
    if out_of_china(lon, lat):
        return lon, lat
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The inverse shift, by fixed-point iteration (millimetre accuracy after a few steps)."""
    w_lon, w_lat = lon, lat
    for _ in range(6):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon - (g_lon - lon), w_lat - (g_lat - lat)
    return w_lon, w_lat


def _wgs84_to_gcj02_arrays(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """wgs84_to_gcj02 over arrays: the same operations in the same order, point by point."""
    pi = math.pi
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def shifted_arrays(
    lons: Sequence[float], lats: Sequence[float], shift: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Points as drawn, not yet rounded: shifted to GCJ-02 on Amap tiles."""
    lon = np.asarray(lons, dtype=float)
    lat = np.asarray(lats, dtype=float)
    if shift and len(lon):
        with np.errstate(all="ignore"):
            lon, lat = _wgs84_to_gcj02_arrays(lon, lat)
    return lon, lat


def shifted_many(
    lons: Sequence[float], lats: Sequence[float], shift: bool
) -> tuple[list[float], list[float]]:
    """Points as drawn: (lons, lats) rounded to 7 decimals, shifted to GCJ-02 on Amap tiles.

    Point for point the same numbers as `wgs84_to_gcj02` and `round(v, 7)` give.
    """
    lon, lat = shifted_arrays(lons, lats, shift)
    return [round(v, 7) for v in lon.tolist()], [round(v, 7) for v in lat.tolist()]


def json_numbers(values: Sequence[float]) -> list[str]:
    """Each value (a float) rounded to 7 decimals as JSON writes it: json.dumps(round(v, 7)).

    For a coordinate (0.0001 <= |v| < 1e6) that is its 7 decimals without trailing zeros: ".7f"
    rounds as round() does, and with 13 significant digits at most no shorter text reads back as
    the same float (tests/test_map.py checks it against json.dumps on millions of values).
    """
    out = []
    for v in values:
        if 1e-4 <= abs(v) < 1e6:
            text = f"{v:.7f}".rstrip("0")
            out.append(text + "0" if text[-1] == "." else text)
        else:
            out.append(json.dumps(round(v, 7)))
    return out


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Ground distance in metres between two nearby points (equirectangular; fine within a town)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * 111_320.0 * k, (lat2 - lat1) * 110_574.0)


def nearest_building(
    buildings: pd.DataFrame, lat: float, lng: float, *, tiles: str = "none", within_m: float = CLICK_RADIUS_M
) -> int | None:
    """The building drawn nearest to a clicked point (on the tiles' coordinates), if close enough."""
    if buildings.empty:
        return None
    if tiles == "amap":
        lng, lat = gcj02_to_wgs84(lng, lat)
    best, best_d = None, within_m
    for bid, b_lat, b_lon in zip(buildings["building_id"], buildings["lat"], buildings["lon"], strict=True):
        if pd.isna(b_lat) or pd.isna(b_lon):
            continue
        d = distance_m(lng, lat, float(b_lon), float(b_lat))
        if d <= best_d:
            best, best_d = int(bid), d
    return best
