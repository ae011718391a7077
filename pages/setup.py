"""初始设置: a new committee sets up Juwei step by step — by hand, from Excel, or on the map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import config, geo, imports, ledger, roles, setup, ui
from dashboard.errors import JuweiError
from dashboard.i18n import t

STEPS = ("committee", "compounds", "buildings", "ledger", "grids", "entrances", "staff")

user = ui.require_user()
st.title(t("setup.title"))
if not roles.allowed(user, "setup.edit"):
    st.error(t("setup.denied"))
    st.stop()
lang = ui.lang()
env = config.env()
notice = st.session_state.pop("setup_notice", None)
if notice:
    st.success(notice)


# --- the checklist --------------------------------------------------------------------------

steps = ui.cached(setup.readiness)
required = [s for s in steps if s.required]
done = sum(s.done for s in required)
with st.expander(t("setup.checklist"), expanded=done < len(required), icon=":material/checklist:"):
    st.progress(done / len(required), text=t("setup.checklist_done", done=done, total=len(required)))
    lines = []
    for s in steps:
        mark = "✅" if s.done else ("⬜" if not s.required else "❌")
        extra = "" if s.done else " — " + t(s.missing_key, n=s.count)
        optional = "" if s.required else " " + t("setup.optional")
        lines.append(f"- {mark} {t(s.label_key)}{optional}{extra}")
    st.markdown("\n".join(lines))
    if done == len(required):
        st.success(t("setup.all_ready"))
st.caption(t("setup.intro"))
step = st.radio(
    t("setup.step_label"),
    STEPS,
    format_func=lambda k: t(f"setup.step.{k}"),
    horizontal=True,
    key="setup_step",
)


# --- shared pieces --------------------------------------------------------------------------


def editor(kind: str) -> None:
    """An editable table of one set-up table; edits are mapped to primary keys before saving."""
    version = st.session_state.get(f"setup_v_{kind}", 0)
    key = f"setup_editor_{kind}_{lang}_{version}"
    # The exact frame the editor shows: edited_rows are positions in it, so keep it for the save.
    shown = st.session_state.setdefault(f"{key}_shown", ui.cached(setup.table, kind, lang))
    opts = ui.cached(setup.options, kind, lang)
    config_ = {"id": st.column_config.NumberColumn(t("setup.col.id"), disabled=True, format="%d")}
    for col in setup.SPECS[kind][1]:
        label = t(col.label_key)
        if col.kind in ("code", "ref"):
            config_[col.name] = st.column_config.SelectboxColumn(
                label, options=list(opts[col.name]), required=col.required
            )
        elif col.kind == "int":
            config_[col.name] = st.column_config.NumberColumn(
                label, min_value=col.low, max_value=col.high, step=1, format="%d", required=col.required
            )
        elif col.kind == "bool":
            config_[col.name] = st.column_config.CheckboxColumn(label, default=bool(col.default))
        else:
            config_[col.name] = st.column_config.TextColumn(
                label, max_chars=col.max_len, required=col.required
            )
    st.data_editor(
        shown,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        column_config=config_,
        disabled=["id"],
        width="stretch",
    )
    st.caption(t("setup.table_help"))
    if st.button(t("common.save"), key=f"setup_save_{kind}", type="primary"):
        edits = setup.edits_from_editor(shown, st.session_state.get(key))
        if not edits:
            st.info(t("setup.nothing_changed"))
            return
        result = ui.write(setup.apply_edits, user, kind, edits, lang=lang)
        if result is not None:
            st.session_state[f"setup_v_{kind}"] = version + 1
            st.session_state["setup_notice"] = t(
                "setup.table_saved", added=result.added, changed=result.changed, deleted=result.deleted
            )
            st.rerun()


def draw_on_map(target: str) -> None:
    """The area's map with drawing tools; what is drawn is saved to the record the user picks."""
    from streamlit_folium import st_folium

    st.subheader(t("setup.map_title"))
    polygon = target in ("compound", "grid")
    st.caption(t("setup.map_help_polygon" if polygon else "setup.map_help_point"))
    try:
        with ui.read_session() as s:
            m = geo.drawing_map(s, ui.as_of(), target, tiles=env.tiles, lang=lang, assets_mode=env.assets)
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
        int(r["id"]): _record_label(target, r) for _, r in ui.cached(setup.table, target, lang).iterrows()
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
    if target == "compound":
        if ui.write(geo.set_compound_outline, user, chosen, shape.coords) is not None:
            st.session_state["setup_notice"] = t("setup.outline_saved")
            st.rerun()
    elif target == "grid":
        if chosen is None:
            made = ui.write(geo.draw_new_grid, user, number, name, shape.coords)
            assigned = made[1] if made else None
        else:
            assigned = ui.write(geo.set_grid_outline, user, chosen, shape.coords)
        if assigned is not None:
            st.session_state["setup_notice"] = t(
                "setup.grid_drawn", moved=assigned.moved, already=assigned.already
            )
            st.rerun()
    else:
        fn = geo.place_building if target == "building" else geo.place_entrance
        if ui.write(fn, user, chosen, shape.coords) is not None:
            st.session_state["setup_notice"] = t("setup.placed")
            st.rerun()


def _record_label(target: str, row: pd.Series) -> str:
    if target == "grid":
        return f"{row['number']} {row['name']}"
    if target == "building":
        return f"{row['compound_id']} {row['name']}"
    return str(row["name"])


def import_shapes(target: str) -> None:
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
            saved = ui.write(geo.apply_shapes, user, target, matches)
            if saved is not None:
                st.session_state["setup_notice"] = t("setup.shapes_saved", n=saved)
                st.rerun()


def need_committee() -> bool:
    if steps[0].done:
        return False
    st.warning(t("setup.no_committee_first"))
    return True


# --- the steps ------------------------------------------------------------------------------


def step_committee() -> None:
    with ui.read_session() as s:
        current = config.committee(s)
    with st.form("setup_committee"):
        name = st.text_input(t("setup.committee_name"), value=current.name if current else "", max_chars=100)
        street = st.text_input(t("setup.street"), value=current.street if current else "", max_chars=100)
        district = st.text_input(
            t("setup.district"), value=current.district if current else "", max_chars=100
        )
        city = st.text_input(t("setup.city"), value=current.city if current else "", max_chars=100)
        address = st.text_input(t("setup.address"), value=current.address if current else "", max_chars=200)
        lat = st.number_input(
            t("setup.center_lat"), value=current.center_lat if current else None, format="%.6f",
            help=t("setup.center_help"),
        )  # fmt: skip
        lon = st.number_input(
            t("setup.center_lon"), value=current.center_lon if current else None, format="%.6f"
        )
        save = st.form_submit_button(t("common.save"), type="primary")
    if save:
        saved = ui.write(
            setup.save_committee, user, name, street=street, district=district, city=city, address=address,
            center_lat=lat, center_lon=lon,
        )  # fmt: skip
        if saved is not None:
            st.session_state["setup_notice"] = t("setup.committee_saved")
            st.rerun()


def step_compounds() -> None:
    editor("compound")
    draw_on_map("compound")
    import_shapes("compound")


def step_buildings() -> None:
    editor("building")
    draw_on_map("building")
    import_shapes("building")


def step_ledger() -> None:
    st.subheader(t("ledger.title"))
    st.caption(t("ledger.intro"))
    st.download_button(
        t("ledger.template"),
        data=ledger.template_xlsx(lang),
        file_name=t("ledger.template_file"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
    if roles.allowed(user, "export.personal") and not ui.meeting_mode(user):
        if st.button(t("ledger.export"), icon=":material/table_view:"):
            data = ui.write(ledger.export_xlsx, user)
            if data is not None:
                st.session_state["setup_export"] = data
        if "setup_export" in st.session_state:
            st.download_button(
                t("ledger.export_ready"),
                data=st.session_state["setup_export"],
                file_name=t("ledger.export_file"),
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                on_click=lambda: st.session_state.pop("setup_export", None),
            )
    upload = st.file_uploader(t("ledger.upload"), type=["xlsx", "csv", "txt"], key="setup_ledger_file")
    if upload is not None:
        ledger_import(upload.getvalue(), upload.name)
    households_by_hand()


def ledger_import(data: bytes, filename: str) -> None:
    digest = imports.file_digest(data)
    # The file is read and checked once per upload and mapping, not on every rerun of the page.
    memo = st.session_state.get("setup_ledger_memo")
    if memo is None or memo["digest"] != digest:
        try:
            frame = imports.read_table(data, filename, max_bytes=int(env.import_max_mb * 1_048_576))
        except JuweiError as exc:
            st.error(exc.message())
            return
        memo = st.session_state["setup_ledger_memo"] = {"digest": digest, "frame": frame, "runs": {}}
    frame = memo["frame"]
    columns = list(frame.columns)
    suggested = ledger.suggest_mapping(columns)
    none = t("ledger.not_mapped")
    mapping: dict[str, str | None] = {}
    with st.expander(t("ledger.mapping"), expanded=len(suggested) < len(ledger.REQUIRED) + 3):
        st.caption(t("ledger.mapping_help"))
        for fld in ledger.FIELDS:
            label = ledger.header(fld, lang) + (" *" if fld in ledger.REQUIRED else "")
            options = [None, *columns]
            chosen = st.selectbox(
                label,
                options,
                index=options.index(suggested[fld]) if fld in suggested else 0,
                format_func=lambda c: none if c is None else c,
                key=f"setup_map_{digest[:12]}_{fld}",
            )
            mapping[fld] = chosen
    mapping_key = repr(sorted((k, v or "") for k, v in mapping.items()))
    try:
        with ui.read_session() as s:
            if mapping_key not in memo["runs"]:
                memo["runs"][mapping_key] = ledger.dry_run(s, user, frame, mapping)
            run = memo["runs"][mapping_key]
            before = ledger.already_imported(s, digest)
    except JuweiError as exc:
        st.error(exc.message())
        return
    st.subheader(t("ledger.dry_run"))
    summary = run.summary()
    ui.kpi_row([{"label": t(f"ledger.{k}"), "value": v} for k, v in summary.items()])
    if before is not None:
        st.info(t("ledger.already", at=before.strftime("%Y-%m-%d %H:%M")))
    if run.issues:
        st.markdown(f"**{t('ledger.rejects_title')}**")
        st.dataframe(
            run.issues_frame(lang).rename(columns={"row": t("imports.row"), "reason": t("imports.reason")}),
            hide_index=True,
            width="stretch",
        )
    else:
        st.success(t("ledger.no_rejects"))
    writes = summary["add"] + summary["update"]
    if writes == 0:
        ui.empty("ledger.nothing_to_commit")
        return
    if st.button(t("ledger.commit", n=writes), type="primary", key="setup_ledger_commit"):
        bar = st.progress(0.0, text=t("ledger.progress"))
        result = ui.write(
            ledger.commit, user, frame, mapping, filename=filename, digest=digest,
            progress=lambda f: bar.progress(min(1.0, f), text=t("ledger.progress")),
        )  # fmt: skip
        if result is not None:
            memo["runs"].clear()  # the database changed: the next dry run shows the sheet as unchanged
            st.session_state["setup_notice"] = t("ledger.done", **result.__dict__)
            st.rerun()


def households_by_hand() -> None:
    buildings = ui.cached(setup.buildings_list)
    with st.expander(t("setup.household_title"), icon=":material/home:"):
        if buildings.empty:
            ui.empty("setup.no_buildings")
            return
        labels = {int(r.id): f"{r.compound} {r.building}" for r in buildings.itertuples()}
        building_id = st.selectbox(
            t("setup.household_building"), list(labels), format_func=labels.get, key="setup_hh_building"
        )
        households = ui.cached(setup.households_of, building_id)
        by_id = {int(r.id): r for r in households.itertuples()}
        picked = st.selectbox(
            t("setup.household_pick"),
            [None, *by_id],
            format_func=lambda h: t("setup.household_new") if h is None else by_id[h].room,
            key="setup_hh_pick",
        )
        cur = by_id.get(picked)
        with st.form(f"setup_household_{building_id}_{picked}"):
            room = st.text_input(t("common.room"), value=cur.room if cur else "", max_chars=30)
            door = st.text_input(t("setup.col.door"), value=cur.door if cur else "", max_chars=30)
            size = st.number_input(
                t("setup.col.size"), min_value=0, max_value=99, value=int(cur.size) if cur else 1
            )
            rental = st.checkbox(t("setup.col.is_rental"), value=bool(cur.is_rental) if cur else False)
            head = st.text_input(t("setup.col.head_name"), value=cur.head_name if cur else "", max_chars=60)
            save = st.form_submit_button(t("common.save"))
        if save:
            saved = ui.write(
                setup.save_household, user, building_id, room, door=door, size=size, is_rental=rental,
                head_name=head, household_id=picked, version=int(cur.version) if cur else None,
            )  # fmt: skip
            if saved is not None:
                st.session_state["setup_notice"] = t("setup.household_saved")
                st.rerun()
    with st.expander(t("setup.resident_title"), icon=":material/person_add:"):
        households = ui.cached(
            setup.households_of, st.session_state.get("setup_hh_building") or int(buildings.id[0])
        )
        if households.empty:
            ui.empty("setup.no_households")
            return
        rooms = {int(r.id): r.room for r in households.itertuples()}
        with st.form("setup_resident"):
            household_id = st.selectbox(t("setup.household_pick"), list(rooms), format_func=rooms.get)
            name = st.text_input(t("common.name"), max_chars=60)
            sex = st.radio(
                t("setup.col.sex"), ["M", "F"], format_func=lambda x: t(f"setup.sex.{x}"), horizontal=True
            )
            year = st.number_input(
                t("setup.col.birth_year"), min_value=1900, max_value=ui.today().year, value=1970
            )
            phone = st.text_input(t("common.phone"), max_chars=20)
            id_number = st.text_input(t("common.id_number"), max_chars=18)
            chronic = st.text_input(t("setup.col.chronic"), max_chars=100)
            alone = st.checkbox(t("setup.col.lives_alone"))
            bedridden = st.checkbox(t("setup.col.bedridden"))
            add = st.form_submit_button(t("common.save"))
        if add:
            made = ui.write(
                setup.add_resident, user, household_id, name, sex, year, phone=phone, id_number=id_number,
                chronic_condition=chronic, lives_alone=alone, is_bedridden=bedridden,
            )  # fmt: skip
            if made is not None:
                st.session_state["setup_notice"] = t("setup.resident_saved")
                st.rerun()


def step_grids() -> None:
    editor("grid")
    st.subheader(t("setup.grid_sizes"))
    sizes = ui.cached(setup.grid_sizes)
    if sizes.empty:
        ui.empty("setup.missing.grids")
    else:
        shown = sizes.assign(grid=[g if pd.notna(i) else t("setup.unassigned") for g, i in zip(
            sizes["grid"], sizes["grid_id"], strict=True)])  # fmt: skip
        st.dataframe(
            shown.drop(columns=["grid_id"]),
            hide_index=True,
            width="stretch",
            column_config={
                "number": st.column_config.NumberColumn(t("setup.col.number"), format="%d"),
                "grid": t("common.grid"),
                "buildings": t("setup.col.buildings"),
                "households": t("common.households"),
                "residents": t("common.residents"),
            },
        )
        st.bar_chart(shown.set_index("grid")[["households"]], horizontal=True, height=220)
    draw_on_map("grid")
    assign_by_list()
    import_shapes("grid")


def assign_by_list() -> None:
    buildings = ui.cached(setup.buildings_list)
    grids = ui.cached(setup.table, "grid", lang)
    with st.expander(t("setup.assign_title"), icon=":material/checklist:"):
        if buildings.empty or grids.empty:
            ui.empty("setup.no_buildings" if buildings.empty else "setup.missing.grids", n=0)
            return
        grid_labels = {int(r.id): f"{r.number} {r.name}" for r in grids.itertuples()}
        with st.form("setup_assign"):
            grid_id = st.selectbox(
                t("setup.assign_grid"), [None, *grid_labels],
                format_func=lambda g: t("setup.no_grid") if g is None else grid_labels[g], key="setup_assign_grid",
            )  # fmt: skip
            labels = {
                int(r.id): f"{r.compound} {r.building}"
                + (f" ({t('common.grid')} {int(r.grid_number)})" if pd.notna(r.grid_number) else "")
                for r in buildings.itertuples()
            }
            chosen = st.multiselect(
                t("setup.assign_buildings"),
                list(labels),
                format_func=labels.get,
                key="setup_assign_buildings",
            )
            go = st.form_submit_button(t("setup.assign_submit"))
        if go and chosen:
            result = ui.write(geo.assign_buildings, user, grid_id, chosen)
            if result is not None:
                st.session_state["setup_notice"] = t(
                    "setup.assigned", moved=result.moved, already=result.already
                )
                st.rerun()


def step_entrances() -> None:
    editor("entrance")
    draw_on_map("entrance")
    import_shapes("entrance")


def step_staff() -> None:
    if ui.meeting_mode(user):
        ui.empty("setup.hidden_in_meeting")
        return
    st.subheader(t("setup.staff"))
    editor("person")
    st.subheader(t("setup.teams"))
    editor("team")


if step != "committee" and need_committee():
    st.stop()
{
    "committee": step_committee,
    "compounds": step_compounds,
    "buildings": step_buildings,
    "ledger": step_ledger,
    "grids": step_grids,
    "entrances": step_entrances,
    "staff": step_staff,
}[step]()
