"""The set-up's geometry for one target (compound, grid, building, entrance): drawn on the area's
map and saved to the record the user picks, or read from a GeoJSON/KML/KMZ file and matched to the
records by name."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import config, geo, setup, ui
from dashboard.errors import JuweiError
from dashboard.i18n import t
from pages.sections.common import Ctx
from pages.sections.setup_common import done


def draw_on_map(ctx: Ctx, target: str) -> None:
    """The area's map with drawing tools; what is drawn is saved to the record the user picks."""
    from streamlit_folium import st_folium

    env = config.env()
    st.subheader(t("setup.map_title"))
    polygon = target in ("compound", "grid")
    st.caption(t("setup.map_help_polygon" if polygon else "setup.map_help_point"))
    try:
        with ui.read_session() as s:
            m = geo.drawing_map(s, ctx.day, target, tiles=env.tiles, lang=ctx.lang, assets_mode=env.assets)
    except Exception as exc:  # noqa: BLE001 - a map that cannot be built must not take the page down
        st.warning(t("setup.map_unavailable", detail=type(exc).__name__))
        return
    out = st_folium(
        m,
        key=f"setup_map_{target}",
        height=480,
        use_container_width=True,
        returned_objects=["last_active_drawing", "all_drawings"],
    )
    try:
        shapes = [geo.shape_to_wgs84(s, env.tiles) for s in geo.shapes_from_drawing(out, last_only=True)]
    except JuweiError as exc:
        st.error(exc.message())
        return
    shapes = [s for s in shapes if s.kind == ("polygon" if polygon else "point")]
    if not shapes:
        st.caption(t("setup.map_nothing"))
        return
    shape = shapes[-1]
    if polygon:
        area = round(geo.ring_area_m2(shape.coords))
        st.info(t("setup.map_drawn_polygon", n=len(shape.coords) - 1, area=f"{area:,}"))
    else:
        st.info(t("setup.map_drawn_point", lon=shape.coords[0], lat=shape.coords[1]))
    records = {
        int(r["id"]): _record_label(target, r) for _, r in ui.cached(setup.table, target, ctx.lang).iterrows()
    }
    choices: list[int | None] = list(records)
    if target == "grid":
        choices = [None, *choices]
    if not choices:
        st.warning(t(f"setup.missing.{target}s", n=0))
        return
    with st.form(f"setup_map_form_{target}"):
        chosen = st.selectbox(
            t("setup.map_target"),
            choices,
            format_func=lambda r: t("setup.map_new_grid") if r is None else records[r],
        )
        number = name = None
        if target == "grid":
            default = ui.cached(setup.next_grid_number)
            number = st.number_input(
                t("setup.new_grid_number"), min_value=1, max_value=999, value=default, step=1
            )
            name = st.text_input(
                t("setup.new_grid_name"), value=t("setup.grid_default_name", n=default), max_chars=60
            )
        save = st.form_submit_button(t("setup.map_save"), type="primary")
    if not save:
        return
    user = ctx.user
    if target == "compound":
        if ui.write(geo.set_compound_outline, user, chosen, shape.coords) is not None:
            done(t("setup.outline_saved"))
    elif target == "grid":
        if chosen is None:
            made = ui.write(geo.draw_new_grid, user, number, name, shape.coords)
            assigned = made[1] if made else None
        else:
            assigned = ui.write(geo.set_grid_outline, user, chosen, shape.coords)
        if assigned is not None:
            done(t("setup.grid_drawn", moved=assigned.moved, already=assigned.already))
    else:
        fn = geo.place_building if target == "building" else geo.place_entrance
        if ui.write(fn, user, chosen, shape.coords) is not None:
            done(t("setup.placed"))


def _record_label(target: str, row: pd.Series) -> str:
    if target == "grid":
        return f"{row['number']} {row['name']}"
    if target == "building":
        return f"{row['compound_id']} {row['name']}"
    return str(row["name"])


def import_shapes(ctx: Ctx, target: str) -> None:
    """Outlines or positions from a GeoJSON/KML/KMZ file, matched to records by name."""
    with st.expander(t("setup.shapes_title"), icon=":material/upload_file:"):
        upload = st.file_uploader(
            t("setup.shapes_file"), type=["geojson", "json", "kml", "kmz"], key=f"setup_shapes_{target}"
        )
        gcj = st.checkbox(t("setup.shapes_gcj"), key=f"setup_shapes_gcj_{target}")
        if upload is None:
            return
        try:
            shapes = geo.read_shapes(upload.getvalue(), upload.name)
            shapes = [geo.shape_to_wgs84(s, "amap" if gcj else "none") for s in shapes]
            with ui.read_session() as s:
                matches = geo.match_shapes(s, target, shapes)
        except JuweiError as exc:
            st.error(exc.message())
            return
        if not matches:
            ui.empty("setup.shapes_none")
            return
        st.dataframe(
            pd.DataFrame(
                {
                    t("setup.shapes_shape"): [m.shape.name for m in matches],
                    t("setup.shapes_match"): [m.record_label or t("setup.shapes_unmatched") for m in matches],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        n = sum(m.record_id is not None for m in matches)
        if n and st.button(t("setup.shapes_apply", n=n), key=f"setup_shapes_apply_{target}"):
            saved = ui.write(geo.apply_shapes, ctx.user, target, matches)
            if saved is not None:
                done(t("setup.shapes_saved", n=saved))
