"""地图: compounds by zone, grids, buildings, entrances and sampling sites; a clicked building's details."""

import streamlit as st

from dashboard import config, maps, privacy, roles, ui
from dashboard.i18n import code, t

user = ui.require_user()
day = ui.as_of()
lang = ui.lang()
settings = config.env()

st.title(t("map.title"))
tiles_word = t(f"map.tiles_{settings.tiles}")
st.caption(t("map.heading", date=day.isoformat()) + " · " + t("map.tiles_setting", tiles=tiles_word))
assets_mode = maps.effective_assets(settings.assets)
if assets_mode != settings.assets:
    st.warning(t("map.assets_missing"), icon=":material/cloud_off:")

# Built once per day, hour (guards on duty), tiles, language and asset mode, shared by every user.
map_args = (day, config.clock().hour, settings.tiles, lang, assets_mode, False)
if not ui.cached_value(maps.has_placed_buildings):
    ui.empty("map.no_map_data")

left, right = st.columns([3, 1])
with left:
    # Only the last clicked object comes back: panning and zooming do not rerun the page.
    clicked = ui.folium_map(
        maps.built_map, *map_args, key="juwei_map", height=600, returned_objects=["last_object_clicked"]
    )
with right:
    st.subheader(t("map.details"))
    point = (clicked or {}).get("last_object_clicked") if isinstance(clicked, dict) else None
    building_id = None
    if point and point.get("lat") is not None and point.get("lng") is not None:
        places = ui.cached(maps.building_locations)  # read once a click asks for it
        building_id = maps.nearest_building(places, point["lat"], point["lng"], tiles=settings.tiles)
        if building_id is None:
            st.caption(t("map.no_building_here"))
    if building_id is None and not point:
        # A link may name a building: ?building=<id> (from another page, or a shared link).
        wanted = str(st.query_params.get("building", ""))
        building_id = int(wanted) if wanted.isdigit() else None
    if building_id is None:
        st.caption(t("map.click_hint"))
    else:
        details = ui.cached(maps.building_details, building_id, day)
        if details is not None:
            st.text(f"{details.compound} · {details.name}")  # plain text: a name is never markup
            zone = code("zone", details.zone)
            if details.steps_down_on:
                zone = t("map.zone_until", zone=zone, date=details.steps_down_on.isoformat())
            st.caption(zone)
            a, b = st.columns(2)
            a.metric(t("map.households"), details.households)
            b.metric(t("map.residents"), details.residents)
            a.metric(t("map.active_cases"), details.active_cases)
            if details.batch:
                b.metric(
                    t("map.delivered"),
                    t("map.delivery_value", reached=details.delivered, entitled=details.entitled),
                    help=t("map.delivery", batch=details.batch),
                )
            else:
                b.caption(t("map.no_batch"))
            last = details.last_disinfection
            st.caption(
                t(
                    "map.last_disinfection_at",
                    when=last.strftime("%Y-%m-%d %H:%M") if last else t("map.never"),
                )
            )
            if details.active_cases:
                if roles.sees_personal(user, details.grid_id, meeting=ui.meeting_mode(user)):
                    cases = privacy.mask(details.cases, user, meeting=ui.meeting_mode(user)).assign(
                        status=[code("case_status", v) for v in details.cases["status"]],
                        severity=[code("case_severity", v) for v in details.cases["severity"]],
                    )
                    st.dataframe(
                        cases[["name", "found_on", "status", "severity"]].rename(
                            columns={
                                "name": t("map.col_name"),
                                "found_on": t("map.col_found_on"),
                                "status": t("map.col_status"),
                                "severity": t("map.col_severity"),
                            }
                        ),
                        hide_index=True,
                        width="stretch",
                    )
                else:
                    st.caption(t("map.counts_only"))
