"""The map of the area: roads, compounds with polygons, buildings, entrances, sampling sites.

Geometry is laid out in metres around the crossing of 七莘路 (north-south, x = 0) and 华美路
(east-west, y = 0), then converted to WGS-84 [lon, lat]. Compounds sit in blocks separated by
streets at least 30 m wide, and their outlines only jitter outwards from a rectangle whose
20 m inset holds the buildings, so outlines never overlap and buildings always lie inside.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from seed.story import CENTER_LAT, CENTER_LON

M_PER_DEG_LAT = 110_940.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTER_LAT))

ROADS = ("七莘路", "华美路", "纪翟路", "联友路", "申昆路")

# Copies of the area for scale > 1 sit on a lattice of this pitch (metres).
AREA_PITCH_X = 1500.0
AREA_PITCH_Y = 1300.0
AREAS_PER_ROW = 5


@dataclass(frozen=True)
class CompoundSpec:
    """One compound of the Huamei area: what it is, where, and how it is built."""

    name: str
    kind: str
    address: str
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1 in metres
    buildings: int
    floors: int = 6
    rooms_per_floor: int = 4


# 4 public housing, 4 homestead villages, 2 villa estates, 4 commodity estates; listed in the
# walking order used to cut the grids (NW → NE → SE → SW), so a grid is a contiguous patch.
COMPOUNDS: tuple[CompoundSpec, ...] = (
    CompoundSpec("华美新村", "public_housing", "华美路101弄", (-640, 30, -300, 300), 16, 6, 4),
    CompoundSpec("华美二村", "public_housing", "华美路201弄", (-270, 30, -30, 300), 12, 6, 4),
    CompoundSpec("华美别墅", "villa", "联友路88弄", (-300, 330, -30, 560), 34, 3, 1),
    CompoundSpec("许家宅", "homestead", "纪翟路许家宅", (-640, 330, -330, 560), 55, 3, 1),
    CompoundSpec("陈家宅", "homestead", "联友路陈家宅", (30, 310, 360, 560), 50, 3, 1),
    CompoundSpec("莘虹家园", "commodity", "联友路399弄", (390, 310, 640, 560), 8, 12, 3),
    CompoundSpec("华美花园", "commodity", "申昆路166弄", (330, 30, 640, 280), 9, 11, 3),
    CompoundSpec("新虹苑", "commodity", "七莘路1888弄", (30, 30, 300, 280), 10, 11, 3),
    CompoundSpec("新虹公寓", "public_housing", "七莘路1999弄", (30, -260, 260, -30), 9, 6, 4),
    CompoundSpec("锦绣华庭", "commodity", "华美路666弄", (290, -260, 560, -30), 7, 11, 3),
    CompoundSpec("杨家角", "homestead", "申昆路杨家角", (30, -560, 400, -290), 45, 3, 1),
    CompoundSpec("七莘新村", "public_housing", "七莘路2101弄", (-300, -300, -30, -30), 12, 6, 4),
    CompoundSpec("王家浜", "homestead", "纪翟路王家浜", (-640, -330, -330, -30), 45, 3, 1),
    CompoundSpec("林荫别墅", "villa", "纪翟路58弄", (-640, -560, -330, -360), 28, 3, 1),
)

# Entrances on the area's edge roads: (name, road, x, y, open). Exactly two stay open.
ENTRANCES = (
    ("七莘路1号门", "七莘路", -20.0, 160.0, True),
    ("华美路2号门", "华美路", 170.0, 18.0, True),
    ("纪翟路3号门", "纪翟路", -660.0, 200.0, False),
    ("联友路4号门", "联友路", 200.0, 578.0, False),
    ("申昆路5号门", "申昆路", 660.0, -150.0, False),
    ("华美路6号门", "华美路", -470.0, -18.0, False),
)

# Sampling sites: (name, compound name, dx, dy from the compound's centre).
SITES = (
    ("核酸点1·华美新村广场", "华美新村", 0.0, -40.0),
    ("核酸点2·新虹苑会所", "新虹苑", -30.0, 0.0),
    ("核酸点3·许家宅晒谷场", "许家宅", 20.0, -20.0),
    ("核酸点4·王家浜村口", "王家浜", 0.0, 30.0),
    ("核酸点5·锦绣华庭东门", "锦绣华庭", 60.0, 0.0),
)

DISINFECTION_ROUTES = (
    "七莘路1号门→核酸点1",
    "华美路2号门→核酸点2",
    "许家宅主巷→核酸点3",
    "王家浜村道→核酸点4",
    "物资中转点→各楼道口",
)

BUILDING_INSET = 20.0  # metres between a compound's edge and its outermost building
FOOTPRINT = 12.0  # half-size of a building's footprint, for grid outlines


def area_suffix(area: int) -> str:
    """Name suffix of copy `area` (0-based) of the whole area: '' for the first, '(2区)' after."""
    return "" if area == 0 else f"({area + 1}区)"


def area_offset(area: int) -> tuple[float, float]:
    """Offset in metres of copy `area` so that copies sit side by side without overlapping."""
    return (area % AREAS_PER_ROW) * AREA_PITCH_X, -(area // AREAS_PER_ROW) * AREA_PITCH_Y


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the centre to WGS-84 (lon, lat), rounded to ~1 cm."""
    return (
        round(CENTER_LON + x / M_PER_DEG_LON, 7),
        round(CENTER_LAT + y / M_PER_DEG_LAT, 7),
    )


def compound_outline(
    rng: random.Random, rect: tuple[float, float, float, float]
) -> list[tuple[float, float]]:
    """An irregular outline around rect in metres, counter-clockwise, never inside rect's inset."""
    x0, y0, x1, y1 = rect

    def out() -> float:
        return rng.uniform(0.0, 12.0)

    points = [(x0 - out(), y0 - out())]
    # Some compounds get a bulge on their southern or eastern side, some a cut corner.
    if rng.random() < 0.5:
        points.append(((x0 + x1) / 2 + rng.uniform(-30, 30), y0 - rng.uniform(4, 14)))
    points.append((x1 + out(), y0 - out()))
    if rng.random() < 0.5:
        points.append((x1 + rng.uniform(4, 14), (y0 + y1) / 2 + rng.uniform(-30, 30)))
    if rng.random() < 0.4:
        cut = rng.uniform(8.0, 15.0)
        points.extend([(x1, y1 - cut), (x1 - cut, y1)])
    else:
        points.append((x1 + out(), y1 + out()))
    points.append((x0 - out(), y1 + out()))
    return points


def building_spots(
    rng: random.Random, rect: tuple[float, float, float, float], n: int, loose: bool
) -> list[tuple[float, float]]:
    """n building positions inside rect's inset, row by row in a serpentine walking order."""
    x0, y0, x1, y1 = rect
    x0, y0, x1, y1 = x0 + BUILDING_INSET, y0 + BUILDING_INSET, x1 - BUILDING_INSET, y1 - BUILDING_INSET
    w, h = x1 - x0, y1 - y0
    cols = max(1, round(math.sqrt(n * w / h)))
    rows = math.ceil(n / cols)
    cw, ch = w / cols, h / rows
    jitter = 0.3 if loose else 0.12
    spots = []
    for r in range(rows):
        order = range(cols) if r % 2 == 0 else range(cols - 1, -1, -1)
        for c in order:
            if len(spots) == n:
                break
            x = x0 + (c + 0.5) * cw + rng.uniform(-jitter, jitter) * cw
            y = y1 - (r + 0.5) * ch + rng.uniform(-jitter, jitter) * ch
            spots.append((min(max(x, x0), x1), min(max(y, y0), y1)))
    return spots


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Counter-clockwise convex hull (Andrew's monotone chain), without the closing point."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def ring(points_m: list[tuple[float, float]], dx: float, dy: float) -> list[list[float]]:
    """A closed [[lon, lat], ...] ring from metre points shifted by (dx, dy)."""
    coords = [list(to_lonlat(x + dx, y + dy)) for x, y in points_m]
    return coords + [coords[0]]


def point_in_polygon(lon: float, lat: float, polygon: list[list[float]]) -> bool:
    """Ray casting: True when (lon, lat) lies inside the closed ring polygon."""
    inside = False
    for (ax, ay), (bx, by) in zip(polygon, polygon[1:], strict=False):
        if (ay > lat) != (by > lat):
            x = ax + (lat - ay) * (bx - ax) / (by - ay)
            if lon < x:
                inside = not inside
    return inside
