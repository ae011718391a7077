"""The map as a plain function of data (layers, zone colours, escaping, GCJ-02), the offline assets,
and the map page under AppTest in zh and en."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import folium
import pandas as pd
import pytest
import streamlit_folium
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dashboard import assets, i18n, maps, maps_coords
from dashboard.maps_geojson import PreparedFeatures
from tests.helpers import forget_app_state, open_app, texts
from tests.test_overview import JS_BREAK, XSS, D, build_world, world_database


@pytest.fixture
def world(engine: Engine) -> Iterator[tuple[Session, dict[str, int]]]:
    with Session(engine) as s:
        ids = build_world(s)
        s.commit()
        yield s, ids


@pytest.fixture
def world_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:

    yield world_database(tmp_path, monkeypatch)
    forget_app_state()


# --- GCJ-02 ---------------------------------------------------------------------------------

# (WGS-84 lon, lat) → (GCJ-02 lon, lat): values published with independent implementations of the
# same formula (coordtransform and its ports), plus the brief's Shanghai point.
REFERENCES = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((116.0, 40.0), (116.006141221789, 40.001213650174)),
    ((121.0917077, 30.6107779), (121.09626935575027, 30.608604331756705)),
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCES)
def test_gcj02_shift_matches_reference_points(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lon, lat = maps.wgs84_to_gcj02(*wgs)
    assert maps.distance_m(lon, lat, *gcj) < 0.01


def test_gcj02_shift_in_shanghai_is_hundreds_of_metres_and_reversible() -> None:
    lon, lat = maps.wgs84_to_gcj02(121.4737, 31.2304)
    assert maps.distance_m(lon, lat, 121.47822, 31.22845) < 1.5
    assert 300 < maps.distance_m(121.4737, 31.2304, lon, lat) < 700
    back = maps.gcj02_to_wgs84(lon, lat)
    assert maps.distance_m(*back, 121.4737, 31.2304) < 0.01


def test_no_shift_outside_china() -> None:
    assert maps.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


# --- safe text ------------------------------------------------------------------------------


def test_safe_neutralises_html_and_template_literals() -> None:
    assert maps.safe(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    out = maps.safe(JS_BREAK)
    assert "`" not in out and "$" not in out and "\\" not in maps.safe("a\\b")


# --- the built map --------------------------------------------------------------------------


def _html(m: folium.Map) -> str:
    return m.get_root().render()


def _shows(html: str, text: str) -> bool:
    """Text appears in the page, as written or as folium's JSON writes it (\\uXXXX escapes)."""
    return text in html or json.dumps(text)[1:-1] in html


def _layers(m: folium.Map, lang: str = "zh") -> dict[str, folium.GeoJson]:
    """The map's GeoJSON layers by catalogue key (layer_compounds, layer_grids, ...)."""
    names = {
        maps.safe(i18n.t(f"map.{k}", lang=lang)): k
        for k in ("layer_compounds", "layer_grids", "layer_buildings", "layer_entrances", "layer_sites")
    }
    return {names[c.layer_name]: c for c in m._children.values() if isinstance(c, folium.GeoJson)}


def test_map_has_every_layer_and_a_legend(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    m = maps.build_map(maps.map_data(s, D, hour=10), lang="zh")
    layers = _layers(m)
    counts = {k: len(v.data["features"]) for k, v in layers.items()}
    # 2 compounds, 2 grids with an outline (grid 3 has none), 4 buildings, 3 entrances, 1 site.
    assert counts == {
        "layer_compounds": 2,
        "layer_grids": 2,
        "layer_buildings": 4,
        "layer_entrances": 3,
        "layer_sites": 1,
    }
    entrances = layers["layer_entrances"]
    classes = [entrances.style_function(f)["extraClasses"] for f in entrances.data["features"]]
    assert sum(maps.CLASS_ENTRANCE_OPEN in c for c in classes) == 1
    assert sum(maps.CLASS_ENTRANCE_CLOSED in c for c in classes) == 2
    html = _html(m)
    for key in counts:
        assert _shows(html, i18n.t(f"map.{key}", lang="zh"))
    assert "L.control.layers" in html
    assert "juwei-legend" in html
    assert "permanent: true" in html  # grid labels


def test_compact_map_keeps_zones_and_open_entrances_only(world: tuple[Session, dict[str, int]]) -> None:
    """The overview's map at a glance: both compounds, the open entrance, and of the buildings only
    those of a sealed or controlled zone (a1 sealed, b1 controlled; b2 in precaution is left out)."""
    s, ids = world
    data = maps.map_data(s, D)
    layers = _layers(maps.build_map(data, compact=True))
    assert "layer_sites" not in layers
    assert len(layers["layer_entrances"].data["features"]) == 1
    assert len(layers["layer_compounds"].data["features"]) == 2
    shown = {f["id"]: f["properties"]["zone_code"] for f in layers["layer_buildings"].data["features"]}
    restricted = {
        b: z
        for b, z in zip(data.buildings["building_id"], data.buildings["zone"], strict=True)
        if z != "precaution"
    }
    assert shown == restricted
    assert shown[ids["a1"]] == "sealed" and shown[ids["b1"]] == "controlled" and ids["b2"] not in shown
    full = _layers(maps.build_map(data))["layer_buildings"].data["features"]
    assert ids["b2"] in {f["id"] for f in full}


def test_zone_colours_follow_the_cases(world: tuple[Session, dict[str, int]]) -> None:
    """A case 3 days ago seals a building (red), one 10 days ago leaves it controlled (orange)."""
    s, ids = world
    data = maps.map_data(s, D)
    zone = dict(zip(data.buildings["building_id"], data.buildings["zone"], strict=True))
    assert zone[ids["a1"]] == "sealed"  # case 04-07
    assert zone[ids["b1"]] == "controlled"  # case 03-31
    assert zone[ids["b2"]] == "precaution"
    compound_zone = dict(zip(data.compounds["compound_id"], data.compounds["zone"], strict=True))
    assert compound_zone == {ids["ca"]: "sealed", ids["cb"]: "controlled"}
    html = _html(maps.build_map(data))
    sealed = re.search(
        r'"className": "juwei-compound juwei-compound-sealed".*?"fillColor": "([^"]+)"', html, re.S
    )
    controlled = re.search(
        r'"className": "juwei-compound juwei-compound-controlled".*?"fillColor": "([^"]+)"', html, re.S
    )
    assert sealed and sealed.group(1) == maps.ZONE_COLOURS["sealed"]
    assert controlled and controlled.group(1) == maps.ZONE_COLOURS["controlled"]
    assert maps.ZONE_COLOURS["sealed"] in html and maps.ZONE_COLOURS["controlled"] in html


def test_every_layer_is_one_geojson_layer_however_many_buildings(
    world: tuple[Session, dict[str, int]],
) -> None:
    s, _ = world
    data = maps.map_data(s, D)
    many = data.buildings.loc[data.buildings.index.repeat(500)].assign(
        building_id=range(len(data.buildings) * 500)
    )
    m = maps.build_map(
        maps.MapData(D, data.moment, data.compounds, data.grids, many, data.entrances, data.sites)
    )
    geojson = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(geojson) == 5
    assert len(_layers(m)["layer_buildings"].data["features"]) == 2000
    # Drawn elements do not grow with the buildings: one script block per layer.
    assert len(list(m._children)) < 12


def test_names_are_escaped_everywhere(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    html = _html(maps.build_map(maps.map_data(s, D)))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html.replace("\\u0026", "&")
    assert "${alert(2)}" not in html  # the grid leader's name cannot break out of a template literal


def test_entrance_tooltip_names_the_guard_on_duty(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    on = _html(maps.build_map(maps.map_data(s, D, hour=10), lang="en"))
    off = _html(maps.build_map(maps.map_data(s, D, hour=22), lang="en"))
    assert _shows(on, "On duty: 赵保安")
    assert _shows(off, "On duty: nobody")
    data = maps.map_data(s, dt.date(2022, 4, 4))
    states = dict(zip(data.entrances["name"], data.entrances["is_open"], strict=True))
    # Before its first recorded change (closed on 04-05) the third entrance was open.
    assert states == {"七莘路1号门": True, "华美路2号门": False, "纪翟路3号门": True}


def test_amap_tiles_shift_every_coordinate(world: tuple[Session, dict[str, int]]) -> None:
    s, ids = world
    data = maps.map_data(s, D)
    plain = maps.build_map(data, tiles="none")
    amap = maps.build_map(data, tiles="amap")
    lat, lon = 31.1915, 121.3315  # building A1, stored WGS-84
    g_lon, g_lat = maps.wgs84_to_gcj02(lon, lat)
    html_amap, html_plain = _html(amap), _html(plain)
    assert f"[{round(g_lon, 7)}, {round(g_lat, 7)}]" in html_amap
    assert f"[{lon}, {lat}]" in html_plain and f"[{lon}, {lat}]" not in html_amap
    assert "autonavi" in html_amap and "autonavi" not in html_plain and "openstreetmap" not in html_plain
    assert "tile.openstreetmap.org" in _html(maps.build_map(data, tiles="osm"))
    # A click on the shifted drawing finds the building stored in WGS-84.
    assert maps.nearest_building(data.buildings, g_lat, g_lon, tiles="amap") == ids["a1"]
    assert maps.nearest_building(data.buildings, g_lat, g_lon, tiles="none") is None


def test_local_assets_replace_every_cdn_link(world: tuple[Session, dict[str, int]]) -> None:
    s, _ = world
    data = maps.map_data(s, D)
    local = _html(maps.build_map(data, assets_mode="local"))
    cdn = _html(maps.build_map(data, assets_mode="cdn"))
    for url in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', local):
        assert url.startswith(assets.ROUTE + "/vendor/"), url
    assert "/juwei-static/vendor/leaflet-1.9.3/dist/leaflet.js" in local
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in cdn
    # folium's own defaults are untouched by a local map.
    assert folium.Map.default_js[0][1].startswith("https://")


def test_building_details(world: tuple[Session, dict[str, int]]) -> None:
    s, ids = world
    d = maps.building_details(s, ids["a1"], D)
    assert d is not None
    assert (d.households, d.residents, d.active_cases, d.zone) == (2, 8, 1, "sealed")
    assert d.steps_down_on == dt.date(2022, 4, 14)
    assert d.cases["name"].tolist() == ["居民01"]
    assert d.last_disinfection == dt.datetime(2022, 4, 10, 10, 0)
    assert (d.batch, d.entitled, d.delivered) == ("第二批", 2, 2)
    assert maps.building_details(s, 999_999, D) is None


def test_nearest_building_within_a_few_metres_only(world: tuple[Session, dict[str, int]]) -> None:
    s, ids = world
    places = maps.building_locations(s)
    assert maps.nearest_building(places, 31.19151, 121.33151) == ids["a1"]
    assert maps.nearest_building(places, 31.1990, 121.3300) is None


def test_built_map_pickles_for_the_shared_cache(world: tuple[Session, dict[str, int]]) -> None:
    import pickle

    s, _ = world
    m = pickle.loads(pickle.dumps(maps.built_map(s, D, 10, "none", "en", "local", False)))
    assert "juwei-compound" in _html(m)


# --- offline assets -------------------------------------------------------------------------


def _fake_tarball(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_assets_are_verified_extracted_and_skipped_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = assets.Package("leaflet", "1.9.3", "", ("dist/leaflet.js", "dist/images/"))
    data = _fake_tarball(
        {
            "package/dist/leaflet.js": b"L={}",
            "package/dist/images/a.png": b"png",
            "package/src/other.js": b"no",
            "package/../../evil.js": b"no",
        }
    )
    pkg = assets.Package(pkg.name, pkg.version, assets.integrity_of(data), pkg.keep)
    monkeypatch.setattr(assets, "PACKAGES", (pkg,))
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return data

    assert assets.ensure(vendor_dir=tmp_path, fetch=fetch, registry="https://mirror.example") == [
        "leaflet-1.9.3"
    ]
    assert fetched == ["https://mirror.example/leaflet/-/leaflet-1.9.3.tgz"]
    assert (tmp_path / "leaflet-1.9.3/dist/leaflet.js").read_bytes() == b"L={}"
    assert (tmp_path / "leaflet-1.9.3/dist/images/a.png").exists()
    assert not (tmp_path / "leaflet-1.9.3/src").exists()
    assert not list(tmp_path.rglob("evil.js"))
    assert assets.ensure(vendor_dir=tmp_path, fetch=fetch) == []  # idempotent: nothing fetched again
    assert len(fetched) == 1


def test_a_tampered_tarball_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _fake_tarball({"package/dist/leaflet.js": b"L={}"})
    bad = _fake_tarball({"package/dist/leaflet.js": b"alert(1)"})
    pkg = assets.Package("leaflet", "1.9.3", assets.integrity_of(good), ("dist/leaflet.js",))
    monkeypatch.setattr(assets, "PACKAGES", (pkg,))
    with pytest.raises(assets.IntegrityError):
        assets.ensure(vendor_dir=tmp_path, fetch=lambda url: bad)
    assert not (tmp_path / "leaflet-1.9.3").exists()


def test_scoped_package_tarball_url() -> None:
    assert (
        assets.FONTAWESOME.tarball_url()
        == "https://registry.npmjs.org/@fortawesome/fontawesome-free/-/fontawesome-free-6.2.0.tgz"
    )
    assert (
        assets.FONTAWESOME.url("css/all.min.css")
        == "/juwei-static/vendor/fontawesome-free-6.2.0/css/all.min.css"
    )


def test_static_route_serves_the_vendor_folder() -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    route = assets.static_route()
    probe = assets.STATIC_DIR / "juwei-probe.txt"
    probe.write_text("ok", encoding="utf-8")
    try:
        client = TestClient(Starlette(routes=[route]))
        assert client.get(assets.ROUTE + "/juwei-probe.txt").text == "ok"
        assert client.get(assets.ROUTE + "/../assets.py").status_code == 404
    finally:
        probe.unlink()


# --- the page -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_page_renders(world_app: str, lang: str) -> None:
    at_ = open_app("shuji", lang=lang)
    at_.switch_page("pages/map.py").run()
    at_.date_input(key="as_of").set_value(D).run()
    assert not at_.exception
    page = texts(at_)
    assert i18n.t("map.title", lang=lang) in page
    assert i18n.t("map.click_hint", lang=lang) in page


def _map_page(user: str, lang: str, building: int | None = None):  # noqa: ANN202 - AppTest
    at_ = open_app(user, lang=lang)
    if building is not None:
        at_.query_params["building"] = str(building)
    at_.switch_page("pages/map.py").run()
    return at_.date_input(key="as_of").set_value(D).run()


def test_building_details_for_the_secretary_name_the_cases(world_app: str) -> None:
    from sqlalchemy import select

    from db import make_engine
    from db.models import Building

    with Session(make_engine()) as s:
        a1 = s.scalar(select(Building.id).where(Building.name == "1号楼"))
    at_ = _map_page("shuji", "en", a1)
    assert not at_.exception
    metrics = {m.label: m.value for m in at_.metric}
    assert metrics[i18n.t("map.households", lang="en")] == "2"
    assert metrics[i18n.t("map.active_cases", lang="en")] == "1"
    assert metrics[i18n.t("map.delivered", lang="en")] == "2/2"
    assert "居民01" in texts(at_)
    assert i18n.t("map.last_disinfection_at", lang="en", when="2022-04-10 10:00") in texts(at_)


@pytest.mark.parametrize("user", ["meeting", "grid02"])
def test_building_details_show_counts_only_without_personal_rights(world_app: str, user: str) -> None:
    from sqlalchemy import select

    from db import make_engine
    from db.models import Building

    with Session(make_engine()) as s:
        a1 = s.scalar(select(Building.id).where(Building.name == "1号楼"))
    at_ = _map_page(user, "zh", a1)
    assert not at_.exception
    page = texts(at_)
    assert "居民01" not in page and "居*1" not in page
    assert i18n.t("map.counts_only", lang="zh") in page


def test_map_page_falls_back_to_the_cdn_when_assets_are_missing(
    world_app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assets, "installed", lambda *a, **k: False)
    at_ = _map_page("shuji", "zh")
    assert not at_.exception
    assert i18n.t("map.assets_missing", lang="zh") in texts(at_)


def _st_folium_sends(m: folium.Map, key: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The arguments streamlit-folium's own st_folium hands its component for map m (its layers
    read back into the dicts folium.GeoJson holds: folium writes their data and styles itself)."""
    import streamlit_folium as sf

    for layer in m._children.values():
        if isinstance(layer, folium.GeoJson):
            assert isinstance(layer.data["features"], list)
    sent: list[dict[str, object]] = []
    monkeypatch.setattr(sf, "_component_func", lambda **kwargs: sent.append(kwargs))
    sf.st_folium(m, key=key, height=500, use_container_width=True, returned_objects=["last_object_clicked"])
    return sent[0]


def _same_as_st_folium(ours: dict[str, object], theirs: dict[str, object]) -> None:
    for name in ("script", "header", "html", "id", "css_links", "js_links"):
        assert ours[name] == theirs[name], name
    assert ours["hash"] == theirs["key"]


@pytest.mark.parametrize(
    ("tiles", "compact", "lang"), [("none", False, "zh"), ("amap", False, "en"), ("osm", True, "zh")]
)
def test_folium_parts_are_what_st_folium_sends(
    world: tuple[Session, dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    tiles: str,
    compact: bool,
    lang: str,
) -> None:
    """maps.folium_parts renders the tree once; the component gets what st_folium would send it."""
    import copy

    import streamlit_folium as sf

    s, _ = world
    m = maps.build_map(maps.map_data(s, D, hour=10), tiles=tiles, lang=lang, compact=compact)
    twin = copy.deepcopy(m)  # the same map, element ids and all
    ours = maps.folium_parts(m, "m", streamlit_folium)
    _same_as_st_folium(ours, _st_folium_sends(twin, "m", monkeypatch))
    (south, west), (north, east) = twin.get_bounds()
    assert ours["bounds"] == {
        "_southWest": {"lat": south, "lng": west},
        "_northEast": {"lat": north, "lng": east},
    }
    assert ours["zoom"] == twin.options.get("zoom") and ours["id"] == sf.get_full_id(twin)
    assert "juwei-compound" in str(ours["script"]) and "L.geoJson" in str(ours["script"])


def test_folium_parts_rewrite_the_layers_data_as_st_folium_does(
    world: tuple[Session, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text in a layer that streamlit-folium rewrites (an element's id, its alert, drawnItems)
    comes out the same as when st_folium rewrites the whole script; so do thousands of buildings."""
    import copy

    s, _ = world
    data = maps.map_data(s, D, hour=10)
    many = data.buildings.loc[data.buildings.index.repeat(300)].assign(
        building_id=range(len(data.buildings) * 300)
    )
    m = maps.build_map(
        maps.MapData(D, data.moment, data.compounds, data.grids, many, data.entrances, data.sites)
    )
    layers = _layers(m)
    buildings, compounds = layers["layer_buildings"], layers["layer_compounds"]
    tricky = [
        f"楼_{compounds._id}",  # streamlit-folium renames this id wherever it stands
        f"geo_json_{buildings._id}_add",
        "alert(coords);",
        "drawnItems_draw_control_div_7",
        "{{ map_div }}",  # (with quotes, folium's own first pass fails: it compiles the script)
    ]
    for feature, text in zip(buildings.data["features"], tricky, strict=False):
        feature["properties"]["label"] = text
    twin = copy.deepcopy(m)
    ours = maps.folium_parts(m, "big", streamlit_folium)
    theirs = _st_folium_sends(twin, "big", monkeypatch)
    _same_as_st_folium(ours, theirs)
    assert f"楼_{compounds._id}" not in str(theirs["script"])  # the rewrite did happen
    assert len(str(ours["script"])) > 200_000


def test_layers_written_as_text_are_what_st_folium_sends(
    world: tuple[Session, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with the tricky texts in the data the layers are written from (names of buildings,
    compounds and entrances), on a day with buildings in every zone (their styles' case labels)."""
    import copy

    s, ids = world
    data = maps.map_data(s, D, hour=10)
    element = "0123456789abcdef0123456789abcdef"
    tricky = [f"楼_{element}", "alert(coords);", "drawnItems_draw_control_div_7", "{{ map_div }}"]
    data.buildings["name"] = tricky
    # (no quotes inside the braces: st_folium's first pass compiles each script as a template)
    data.compounds["name"] = ["{{ x }}", "drawnItems_draw_control_div_3"]
    data.entrances["name"] = ["alert(coords);", f"门_{element}", "${x}"]
    assert sorted(data.buildings["zone"]) == ["controlled", "precaution", "sealed", "sealed"]
    for tiles, compact in (("none", False), ("amap", True)):
        m = maps.build_map(data, tiles=tiles, compact=compact)
        _layers(m)["layer_compounds"]._id = element  # the id a building's name holds
        twin = copy.deepcopy(m)
        ours = maps.folium_parts(m, "m", streamlit_folium)
        theirs = _st_folium_sends(twin, "m", monkeypatch)
        _same_as_st_folium(ours, theirs)
        assert f"楼_{element}" not in str(theirs["script"])  # the rewrite did happen
        assert all(isinstance(layer._prepared, PreparedFeatures) for layer in _layers(m).values())
        assert "case " in str(ours["script"])  # the styles of the zones but the default one


def test_built_map_draws_the_data_map_data_reads(world: tuple[Session, dict[str, int]]) -> None:
    """built_map draws straight from the rows (map_columns): the same map as build_map(map_data())."""
    s, _ = world
    for day, options in (
        (D, {"hour": 10, "lang": "en"}),
        (dt.date(2022, 4, 4), {"tiles": "amap", "compact": True}),
    ):
        hour = options.pop("hour", None)
        direct = maps.folium_parts(maps.built_map(s, day, hour, **options), "m", streamlit_folium)
        framed = maps.folium_parts(
            maps.build_map(maps.map_data(s, day, hour), **options), "m", streamlit_folium
        )
        for name in ("script", "header", "html"):
            assert _numbered(str(direct[name])) == _numbered(str(framed[name])), name
        assert direct["bounds"] == framed["bounds"]
        columns = maps.map_columns(s, day, hour)
        again = maps.MapColumns.of(columns.frames())
        for layer in ("compounds", "grids", "buildings", "entrances", "sites"):
            assert _same_columns(getattr(again, layer), getattr(columns, layer)), layer


def _numbered(text: str) -> str:
    """Element ids (random) numbered in order of appearance."""
    seen: dict[str, int] = {}
    return re.sub(r"[0-9a-f]{32}", lambda m: f"id{seen.setdefault(m.group(0), len(seen))}", text)


def _same_columns(a: dict[str, list[object]], b: dict[str, list[object]]) -> bool:
    def same(x: object, y: object) -> bool:
        return x == y or (x != x and y != y) or (x is None and y != y) or (y is None and x != x)

    return a.keys() == b.keys() and all(
        len(a[k]) == len(b[k]) and all(same(x, y) for x, y in zip(a[k], b[k], strict=True)) for k in a
    )


def test_a_layer_written_as_text_is_folium_s_json_of_its_features(
    world: tuple[Session, dict[str, int]],
) -> None:
    """Each layer's text is what folium writes for the dict it reads back as ({{ this.data|tojson }});
    once read back, the dict is the layer's data."""
    from dashboard.maps_geojson import data_text

    s, _ = world
    m = maps.build_map(maps.map_data(s, D, hour=10), tiles="amap")
    for layer in _layers(m).values():
        text = layer.data_text()
        assert layer._prepared is not None
        plain = folium.GeoJson(json.loads(text))
        assert data_text(plain) == text
        layer.data["features"][0]["properties"]["extra"] = "<&>"
        assert layer._prepared is None and '"extra": "\\u003c\\u0026\\u003e"' in layer.data_text()


def test_json_numbers_are_json_dumps_of_the_rounded_value() -> None:
    import random

    from dashboard.maps_coords import json_numbers

    rng = random.Random(11)
    values = [rng.uniform(-180, 180) for _ in range(50_000)]
    values += [round(rng.uniform(-180, 180), rng.randint(0, 9)) for _ in range(20_000)]
    values += [rng.randint(-200, 200) + k * 1e-8 for k in (0, 4.9999, 5, 5.0001, 15, 25) for _ in range(2000)]
    values += [
        0.0,
        -0.0,
        1e-4,
        -1e-4,
        9.99999e-5,
        5e-8,
        -5e-8,
        1e-9,
        999999.99999999,
        1e6,
        -1e6,
        1e17,
        121.0,
        31.0,
    ]
    assert json_numbers(values) == [json.dumps(round(v, 7)) for v in values]


def test_a_text_element_renders_as_element_does() -> None:
    from branca.element import Element

    from dashboard.maps_geojson import TextElement

    for text in (
        "",
        "a",
        "a\n",
        "a\n\n",
        "a\r\nb\rc\n",
        "  <style>\n  .x {}\n  </style>\n   ",
        "{{ 1 + 1 }}\n",
        "{% if 1 %}y{% endif %}",
        "{# c #}z",
    ):
        assert TextElement(text).render() == Element(text).render(), repr(text)


def test_the_tooltip_style_is_folium_s() -> None:
    from dashboard.maps_geojson import FieldsTooltip

    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 1,
                "geometry": {"type": "Point", "coordinates": [121.3, 31.2]},
                "properties": {"tip": "x"},
            }
        ],
    }
    headers = []
    for tooltip in (
        folium.GeoJsonTooltip(fields=["tip"], labels=False),
        FieldsTooltip(fields=["tip"], labels=False),
    ):
        m = folium.Map()
        folium.GeoJson(data, tooltip=tooltip).add_to(m)
        m.get_root().render()
        headers.append(m.get_root().header._children[tooltip.get_name() + "tablestyle"].render())
    assert headers[0] == headers[1]
    with pytest.raises(AssertionError):
        layer = folium.GeoJson(data, tooltip=FieldsTooltip(fields=["nope"]))
        layer.add_to(folium.Map())
        layer.get_root().render()


def test_a_building_without_a_grid_leaves_the_others_numbers_whole(
    world: tuple[Session, dict[str, int]],
) -> None:
    from db.models import Building

    s, ids = world
    s.add(Building(compound_id=ids["ca"], grid_id=None, name="无网格楼", lat=31.193, lon=121.333))
    s.flush()
    data = maps.map_data(s, D)
    assert data.buildings["grid_number"].isna().sum() == 1  # the column holds floats now
    for drawn in (maps.build_map(data), maps.built_map(s, D)):
        grids = [f["properties"]["grid"] for f in _layers(drawn)["layer_buildings"].data["features"]]
        assert grids == ["1", "1", "2", "2", ""]


def test_the_map_s_zones_and_active_cases_are_the_rule_s_on_every_day(
    world: tuple[Session, dict[str, int]],
) -> None:
    """The map reads only the cases that can still make a zone or be active; its zones, step-down
    days and active cases are those of zones.building_zones and the active cases themselves, on every
    day, with the usual rule and with a sealed period longer than the controlled one."""
    from sqlalchemy import select

    from dashboard import zones
    from db.models import Case, Household, Resident, Setting

    s, _ = world
    cases = s.execute(
        select(Household.building_id, Case.found_on, Case.recovered_on)
        .join(Resident, Resident.household_id == Household.id)
        .join(Case, Case.resident_id == Resident.id)
    ).all()
    for rule in (None, ("10", "3")):
        if rule:
            s.add_all(
                [
                    Setting(key="zone_sealed_days", value=rule[0]),
                    Setting(key="zone_controlled_days", value=rule[1]),
                ]
            )
            s.flush()
        for day in (dt.date(2022, 3, 30) + dt.timedelta(days=n) for n in range(40)):
            b = maps.map_data(s, day).buildings
            expected = zones.building_zones(s, day)
            assert b["zone"].tolist() == expected["zone"].tolist(), day
            assert b["steps_down_on"].tolist() == expected["steps_down_on"].tolist(), day
            active = [
                sum(
                    1
                    for bid, found, recovered in cases
                    if bid == building and found <= day and (recovered is None or recovered > day)
                )
                for building in b["building_id"]
            ]
            assert b["active_cases"].tolist() == active, day


def test_has_placed_buildings(world: tuple[Session, dict[str, int]]) -> None:
    from sqlalchemy import update

    from db.models import Building

    s, _ = world
    assert maps.has_placed_buildings(s)
    s.execute(update(Building).values(lat=None))
    assert not maps.has_placed_buildings(s)
    assert maps.building_locations(s).empty


def test_folium_parts_of_the_drawing_map_are_what_st_folium_sends(
    world: tuple[Session, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set-up page's map (the area's map with folium's drawing tools) goes the same way."""
    import copy

    from dashboard import geo

    s, _ = world
    for target, tiles in (("grid", "none"), ("entrance", "amap")):
        m = geo.drawing_map(s, D, target, tiles=tiles, lang="en")
        twin = copy.deepcopy(m)
        ours = maps.folium_parts(m, "draw", streamlit_folium)
        _same_as_st_folium(ours, _st_folium_sends(twin, "draw", monkeypatch))
        assert "drawnItems" in str(ours["script"])


def test_a_name_written_like_a_template_still_draws(world: tuple[Session, dict[str, int]]) -> None:
    """folium's full render compiles each script as a Jinja template, so a name like {{'x'}} or {%
    broke it; folium_parts never compiles the layers' scripts."""
    s, ids = world
    data = maps.map_data(s, D, hour=10)
    names = {ids["a1"]: "{{'楼'}}", ids["b1"]: "{% 楼"}
    data.buildings["name"] = [
        names.get(b, n) for b, n in zip(data.buildings["building_id"], data.buildings["name"], strict=True)
    ]
    parts = maps.folium_parts(maps.build_map(data), "m", streamlit_folium)
    script = str(parts["script"])
    assert "{{\\u0026#x27;\\u697c\\u0026#x27;}}" in script and "{% \\u697c" in script


def test_the_renaming_is_skipped_only_where_it_changes_nothing() -> None:
    from dashboard import maps_render

    element = "0123456789abcdef0123456789abcdef"
    mappings = {element: "div_1", f"geo_json_{element}": "div_1", "legend7": "div_2"}
    assert maps_render._may_rename(f'{{"label": "a_{element}"}}', mappings)
    assert maps_render._may_rename('{"label": "a_legend7"}', mappings)
    assert not maps_render._may_rename(f'{{"label": "a{element} legend7 geo_json_x"}}', mappings)


def test_geojson_layers_group_styles_as_folium_does(world: tuple[Session, dict[str, int]]) -> None:
    from folium.features import GeoJsonStyleMapper

    s, _ = world
    data = maps.map_data(s, D, hour=10)
    for compact in (False, True):
        m = maps.build_map(data, compact=compact)
        maps.folium_parts(m, None, streamlit_folium)
        for layer in _layers(m).values():
            mapper = GeoJsonStyleMapper(layer.data, layer.feature_identifier, layer)
            assert layer.style_map == mapper.get_style_map(layer.style_function)


def test_gcj02_for_many_points_is_the_shift_one_point_at_a_time() -> None:
    import random

    rng = random.Random(7)
    points = [(rng.uniform(70, 140), rng.uniform(0, 56)) for _ in range(20_000)]
    points += [(121.3315, 31.1915), (2.35, 48.85), (72.004, 0.8293), (137.8347, 55.8271)]
    lons, lats = zip(*points, strict=True)
    for shift in (False, True):
        xs, ys = maps_coords.shifted_many(lons, lats, shift)
        for (lon, lat), x, y in zip(points, xs, ys, strict=True):
            g_lon, g_lat = maps.wgs84_to_gcj02(lon, lat) if shift else (lon, lat)
            assert (x, y) == (round(g_lon, 7), round(g_lat, 7)), (lon, lat)
    assert maps_coords.shifted_many([], [], True) == ([], [])


def test_the_map_fits_everything_placed(world: tuple[Session, dict[str, int]]) -> None:
    """The map opens on the box around every outline point, building, entrance and site (shifted
    on Amap tiles), drawn or not (the compact map leaves sites out but still fits them)."""
    s, _ = world
    data = maps.map_data(s, D, hour=10)
    points = [
        tuple(p) for frame in (data.compounds, data.grids) for poly in frame["polygon"] for p in poly or []
    ]
    for frame in (data.buildings, data.entrances, data.sites):
        points += [
            (o, a) for a, o in zip(frame["lat"], frame["lon"], strict=True) if pd.notna(a) and pd.notna(o)
        ]
    for tiles, compact in (("none", False), ("amap", True)):
        drawn = [maps.wgs84_to_gcj02(o, a) if tiles == "amap" else (o, a) for o, a in points]
        lats = [round(a, 7) for _, a in drawn]
        lons = [round(o, 7) for o, _ in drawn]
        fit = [
            c
            for c in maps.build_map(data, tiles=tiles, compact=compact)._children.values()
            if isinstance(c, folium.map.FitBounds)
        ]
        assert fit[0].bounds == [[min(lats), min(lons)], [max(lats), max(lons)]]


def test_a_building_named_like_markup_shows_as_text_in_the_details(world_app: str) -> None:
    from sqlalchemy import select

    from db import make_engine
    from db.models import Building

    with Session(make_engine()) as s:
        b2 = s.scalar(select(Building.id).where(Building.name == XSS))
    at_ = _map_page("shuji", "zh", b2)
    assert not at_.exception
    assert any(XSS in str(e.value) for e in at_.text)
    assert not any(XSS in str(e.value) for e in at_.markdown)
