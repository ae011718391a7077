"""The folium map of a MapData: the GeoJSON layers, a legend, the tiles and the assets.

`build_map(data, ...)` is a plain function of the data and the display options, testable without
Streamlit. On Amap/Gaode tiles (GCJ-02) every coordinate is shifted when drawn; with no tiles the
polygons are drawn on a plain background.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from dashboard import assets
from dashboard.i18n import code, t
from dashboard.maps_coords import wgs84_to_gcj02
from dashboard.maps_data import MapColumns, MapData
from dashboard.maps_drawn import Drawn
from dashboard.maps_geojson import FieldsTooltip, PreparedFeatures, PreparedGeoJson, TextElement
from dashboard.maps_layers import (
    _GRID_LABELS,
    GRID_COLOUR,
    ZONE_COLOURS,
    _building_style,
    _compound_style,
    _entrance_style,
    _grid_style,
    _site_style,
    buildings_geojson,
    compounds_geojson,
    entrances_geojson,
    grids_geojson,
    safe,
    sites_geojson,
)

TILES = ("none", "osm", "amap")
BACKGROUND = "#f3f1ec"
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


def _point(lon: float, lat: float, shift: bool) -> list[float]:
    """[lat, lon] as Leaflet wants it, shifted to GCJ-02 when drawing on Amap tiles."""
    if shift:
        lon, lat = wgs84_to_gcj02(lon, lat)
    return [round(lat, 7), round(lon, 7)]


# --- the folium map -------------------------------------------------------------------------


class Legend(MacroElement):
    """A Leaflet control in a corner of the map holding pre-escaped HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create('div', 'juwei-legend');
                div.innerHTML = {{ this.content|tojson }};
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.content = content
        self.position = position


STYLE = f"""<style>
.leaflet-container {{ background: {BACKGROUND}; font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei",
  "PingFang SC", "Microsoft YaHei", sans-serif; }}
.juwei-legend {{ background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 18px; color: #222; }}
.juwei-legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  vertical-align: -1px; border-radius: 2px; }}
.juwei-legend b {{ display: block; margin-bottom: 2px; }}
.leaflet-tooltip.juwei-grid-label {{ background: rgba(255,255,255,.75); border: 0; box-shadow: none;
  font-size: 11px; font-weight: 600; color: {GRID_COLOUR}; padding: 0 3px; }}
.leaflet-tooltip.juwei-grid-label:before {{ display: none; }}
</style>"""


def _use_assets(m: folium.Map, mode: str) -> None:
    """Point the map at the app's own copy of Leaflet & co. (local) or leave folium's CDNs (cdn)."""
    if mode == "local":
        m.default_js = assets.local_js()
        m.default_css = assets.local_css()
    else:
        m.default_js = list(folium.Map.default_js)
        m.default_css = list(folium.Map.default_css)


def effective_assets(requested: str) -> str:
    """The asset mode to use: local only when the files are installed, else the CDN."""
    return "local" if requested == "local" and assets.installed() else "cdn"


def _tiles(m: folium.Map, tiles: str, lang: str) -> None:
    if tiles == "osm":
        folium.TileLayer("OpenStreetMap", name=t("map.tiles_osm", lang=lang), control=False).add_to(m)
    elif tiles == "amap":
        folium.TileLayer(
            tiles=AMAP_URL,
            attr=safe(t("map.attr_amap", lang=lang)),
            name=t("map.tiles_amap", lang=lang),
            subdomains="1234",
            max_zoom=19,
            control=False,
        ).add_to(m)


def _legend(lang: str, tiles: str, compact: bool = False) -> str:
    zones_part = "<br>".join(
        f'<i style="background:{colour}"></i>{safe(code("zone", zone, lang=lang))}'
        for zone, colour in ZONE_COLOURS.items()
    )
    if compact:
        return zones_part
    rows = [f"<b>{safe(t('map.legend_title', lang=lang))}</b>", zones_part + "<br>"]
    rows.append(
        f'<i style="background:none;border:2px dashed {GRID_COLOUR}"></i>'
        f"{safe(t('map.legend_grid', lang=lang))}<br>"
    )
    rows.append(f'<i style="background:#72b026"></i>{safe(t("map.legend_entrance_open", lang=lang))}<br>')
    rows.append(f'<i style="background:#a3a3a3"></i>{safe(t("map.legend_entrance_closed", lang=lang))}<br>')
    rows.append(f'<i style="background:#38aadd"></i>{safe(t("map.legend_site", lang=lang))}')
    if tiles == "amap":
        rows.append(f"<br><small>{safe(t('map.legend_gcj', lang=lang))}</small>")
    return "".join(rows)


def _pin() -> folium.Marker:
    """The marker template GeoJSON points are drawn with: a Font Awesome pin (styled per feature)."""
    return folium.Marker(icon=folium.Icon(prefix="fa"))


def _tip() -> folium.GeoJsonTooltip:
    return FieldsTooltip(fields=["tip"], labels=False)


def build_map(
    data: MapData | MapColumns,
    *,
    tiles: str = "none",
    lang: str = "zh",
    assets_mode: str = "local",
    compact: bool = False,
) -> folium.Map:
    """The folium map of `data` on the chosen tiles (none | osm | amap), labels in `lang`.

    Every layer is ONE GeoJSON layer (compounds, grids, buildings, entrances, sites), so the page
    stays as fast with thousands of buildings as with a hundred.

    The compact map (the overview's, at a glance) keeps the zones: compounds in their zone's colour,
    grids without labels, only the buildings of a sealed or controlled zone, the open entrances, no
    sampling sites; it still opens on the box around everything placed.
    """
    data = MapColumns.of(data)
    shift = tiles == "amap"
    restricted = [zone != "precaution" for zone in data.buildings["zone"]] if compact else None
    drawn = Drawn.of(data, shift, buildings=restricted)
    center = _point(data.center[1], data.center[0], shift) if data.center else [31.19, 121.33]
    m = folium.Map(
        location=center,
        zoom_start=15 if compact else 16,
        tiles=None,
        control_scale=not compact,
        max_zoom=20,
        zoom_control=not compact,
        zoom_snap=0.25,  # fit the area snugly in a narrow column, not one whole zoom level out
        zoom_delta=0.5,
    )
    _use_assets(m, assets_mode)
    m.get_root().header.add_child(TextElement(STYLE), name="juwei_style")
    _tiles(m, tiles, lang)

    def layer(features: PreparedFeatures, name_key: str, **kwargs: Any) -> None:
        if features.ids:
            name = safe(t(name_key, lang=lang))
            PreparedGeoJson(features, name=name, zoom_on_click=False, **kwargs).add_to(m)

    layer(
        compounds_geojson(data, shift, lang, drawn),
        "map.layer_compounds",
        style_function=_compound_style,
        tooltip=_tip(),
    )
    layer(
        grids_geojson(data, shift, lang, drawn),
        "map.layer_grids",
        style_function=_grid_style,
        on_each_feature=None if compact else _GRID_LABELS,
    )
    aliases = [
        safe(t(f"map.{key}", lang=lang))
        for key in ("f_building", "f_grid", "f_zone", "f_households", "f_active_cases")
    ]
    layer(
        buildings_geojson(data, shift, lang, drawn),
        "map.layer_buildings",
        marker=folium.CircleMarker(radius=5),
        style_function=_building_style,
        tooltip=FieldsTooltip(
            fields=["label", "grid", "zone", "households", "active_cases"], aliases=aliases
        ),
    )
    layer(
        entrances_geojson(data, shift, lang, open_only=compact, drawn=drawn),
        "map.layer_entrances",
        marker=_pin(),
        style_function=_entrance_style,
        tooltip=_tip(),
    )
    if not compact:
        layer(
            sites_geojson(data, shift, drawn),
            "map.layer_sites",
            marker=_pin(),
            style_function=_site_style,
            tooltip=_tip(),
        )

    Legend(_legend(lang, tiles, compact)).add_to(m)
    if not compact:
        folium.LayerControl(collapsed=True).add_to(m)
    bounds = drawn.bounds()
    if bounds:
        m.fit_bounds(bounds, padding=(24, 24))
    return m
