"""物资保供: deliveries by household or whole building, coverage, batches with their allocation preview
and reconciliation, the household re-survey, and the squads' delivery sheets."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import config, distribution, privacy, roles, supplies, supply_sheet, survey, ui
from dashboard.i18n import code, t

user = ui.require_user()
day = ui.as_of()
today = ui.today()
meeting = ui.meeting_mode(user)
can_deliver = roles.allowed(user, "supplies.deliver") and not meeting
can_survey = roles.allowed(user, "supplies.survey") and not meeting
is_manager = roles.allowed(user, "supplies.batch") and not meeting
my_grid = roles.grid_filter(user)

st.title(t("supplies.title"))
flash = st.session_state.pop("sup_flash", None)
if flash:
    st.success(flash)

SECTIONS = (["deliver"] if can_deliver and user.role in ("grid_leader", "task") else []) + ["coverage"]
SECTIONS += ["deliver"] if can_deliver and "deliver" not in SECTIONS else []
SECTIONS += ["batches"] + (["survey"] if user.role != "task" else []) + (["sheets"] if can_deliver else [])
section = st.radio(
    t("supplies.title"),
    SECTIONS,
    format_func=lambda s: t(f"supplies.tab_{s}"),
    horizontal=True,
    key="sup_section",
    label_visibility="collapsed",
)

COLS = {
    "grid": t("common.grid"),
    "compound": t("common.compound"),
    "building": t("common.building"),
    "door": t("supplies.col_door"),
    "room": t("supplies.col_room"),
    "size": t("supplies.col_size"),
    "portions": t("supplies.col_portions"),
    "head_name": t("supplies.col_head"),
    "status": t("supplies.col_status"),
    "at": t("supplies.col_at"),
}
for key in (
    "households_entitled households_reached not_found refused portions_needed portions_delivered coverage "
    "stock remainder shortfall households stock_share short doors households_before added people "
    "residents portions_out released households_now"
).split():
    COLS[key] = t(f"supplies.col_{key}")
COLS.update(
    name=t("supplies.col_name"),
    batch=t("supplies.col_name"),
    date=t("supplies.col_date"),
    source=t("supplies.col_source"),
    items=t("supplies.col_items"),
    rule=t("supplies.col_rule"),
    large_threshold=t("supplies.col_threshold"),
    large_portions=t("supplies.col_large_portions"),
    households_left_out=t("supplies.col_left_out"),
    large_households=t("supplies.col_large"),
    username=t("supplies.col_user"),
    action=t("supplies.col_action"),
    size_before=t("supplies.col_size_before"),
    size_after=t("supplies.col_size_after"),
    moved=t("supplies.col_moved"),
)
COVERAGE = {COLS["coverage"]: st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)}


def done(message: str) -> None:
    """Keep the success message across the rerun that shows the new figures."""
    st.session_state["sup_flash"] = message
    st.rerun()


def table(df: pd.DataFrame, columns: list[str], **kwargs: object) -> None:
    st.dataframe(df[columns].rename(columns=COLS), hide_index=True, width="stretch", **kwargs)


def personal_table(df: pd.DataFrame, columns: list[str]) -> None:
    """A list with head names, masked for this user (grid_id decides a grid leader's rights)."""
    shown = df.assign(
        status=df["status"].map(lambda s: code("delivery_status", s) if isinstance(s, str) else "")
    )
    if "at" in shown.columns:
        shown["at"] = shown["at"].map(lambda v: v.strftime("%m-%d %H:%M") if pd.notna(v) else "")
    ui.masked_table(
        shown[[*columns, "grid_id"]], user, rename=COLS, column_order=[COLS[c] for c in columns if c in COLS]
    )


def when_inputs(key: str) -> dt.datetime | None:
    """Date and time of a visit; an empty time means now."""
    d = st.date_input(t("supplies.when_date"), value=today, max_value=today, key=f"{key}_date")
    tm = st.time_input(
        t("supplies.when_time"), value=None, key=f"{key}_time", step=300, help=t("supplies.time_help")
    )
    if tm is None:
        return None if d == today else dt.datetime.combine(d, dt.datetime.now().time().replace(microsecond=0))
    return dt.datetime.combine(d, tm)


def team_input(key: str) -> int | None:
    teams = ui.cached(distribution.teams)
    names = dict(zip(teams["team_id"].astype(int), teams["team"], strict=True))
    if user.role == "task":
        st.caption(f"{t('supplies.team')}: {names.get(user.team_id, '')}")
        return user.team_id
    options = [None, *names]
    return st.selectbox(
        t("supplies.team"),
        options,
        format_func=lambda i: t("supplies.team_none") if i is None else names[i],
        key=key,
    )


# --- the batch every section but the re-survey works on -------------------------------------
listed = ui.cached(supplies.batches, day)
batch = None
if section != "survey":
    if listed.empty:
        ui.empty("supplies.none_batches")
    else:
        current = ui.cached(supplies.current_batch, day)
        ids = [int(i) for i in listed["id"]]
        labels = {
            int(r.id): t(
                "supplies.batch_label",
                name=r.name,
                date=r.date.isoformat(),
                status=t("supplies.status_released" if r.released else "supplies.status_draft"),
            )
            for r in listed.itertuples()
        }
        if st.session_state.get("sup_pick_batch") in ids:  # a batch just recorded: show its preview
            st.session_state["sup_batch"] = st.session_state.pop("sup_pick_batch")
        chosen = st.selectbox(
            t("supplies.batch"),
            ids,
            index=ids.index(current) if current in ids else 0,
            format_func=labels.get,
            key="sup_batch",
        )
        batch = listed[listed["id"] == chosen].iloc[0]


def show_deliver() -> None:
    if batch is None:
        return
    if not batch["released"]:
        st.info(t("supplies.not_released_yet"))
        return
    batch_id = int(batch["id"])
    places = ui.cached(distribution.buildings_for, my_grid)
    if places.empty:
        ui.empty("supplies.no_buildings")
        return
    labels = {
        int(r.building_id): t(
            "supplies.building_label", compound=r.compound, building=r.building, grid=r.grid or ""
        )
        for r in places.itertuples()
    }
    building_id = st.selectbox(
        t("supplies.pick_building"), list(labels), format_func=labels.get, key="sup_building"
    )
    homes = ui.cached(distribution.building_households, batch_id, building_id)
    owed = homes[homes["portions"] > 0]
    if owed.empty:
        ui.empty("supplies.nothing_owed")
        return
    delivered = owed["status"] == "delivered"
    # Households still to visit first; delivered ones stay listed so a second record is refused clearly.
    ordered = pd.concat([owed[~delivered], owed[delivered]])
    status_of = {
        int(r.household_id): t(
            "supplies.household_label",
            room=r.room,
            portions=int(r.portions),
            status=code("delivery_status", r.status) if isinstance(r.status, str) else t("supplies.pending"),
        )
        for r in ordered.itertuples()
    }
    st.subheader(t("supplies.deliver_one"))
    with st.form("sup_one", clear_on_submit=True):
        household_id = st.selectbox(
            t("supplies.household"), list(status_of), format_func=status_of.get, key="sup_one_household"
        )
        status = st.radio(
            t("supplies.visit_status"),
            ("delivered", "not_found", "refused"),
            format_func=lambda s: code("delivery_status", s),
            horizontal=True,
            key="sup_one_status",
        )
        at = when_inputs("sup_one")
        team_id = team_input("sup_one_team")
        note = st.text_input(t("common.note"), max_chars=200)
        if st.form_submit_button(t("supplies.deliver_submit"), type="primary", width="stretch"):
            room = str(owed.loc[owed["household_id"] == household_id, "room"].iloc[0])
            result = ui.write(
                distribution.record_delivery,
                user,
                batch_id,
                household_id,
                status=status,
                at=at,
                team_id=team_id,
                note=note,
            )
            if result is not None:
                done(t("supplies.delivered_ok", room=room, status=code("delivery_status", status)))
    st.subheader(t("supplies.deliver_building"))
    waiting = owed[~delivered]
    if waiting.empty:
        st.success(t("supplies.all_done"))
    else:
        with st.form("sup_building", clear_on_submit=True):
            skip = st.multiselect(
                t("supplies.except_rooms"),
                waiting["room"].tolist(),
                key="sup_except",
                placeholder=t("supplies.pick_rooms"),
            )
            at = when_inputs("sup_building")
            team_id = team_input("sup_building_team")
            note = st.text_input(t("common.note"), max_chars=200)
            if st.form_submit_button(t("supplies.deliver_building_submit"), width="stretch"):
                result = ui.write(
                    distribution.deliver_building,
                    user,
                    batch_id,
                    building_id,
                    except_rooms=skip,
                    at=at,
                    team_id=team_id,
                    note=note,
                )
                if result is not None:
                    done(t("supplies.building_ok", **result.__dict__))
    st.subheader(t("supplies.building_progress"))
    personal_table(owed, ["room", "size", "portions", "head_name", "status", "at"])


def show_coverage() -> None:
    if batch is None:
        return
    batch_id = int(batch["id"])
    by_grid = ui.cached(supplies.coverage, batch_id, day, "grid")
    if by_grid.empty:
        ui.empty("supplies.none_coverage")
        return
    reached, owed = int(by_grid["households_reached"].sum()), int(by_grid["households_entitled"].sum())
    out, needed = int(by_grid["portions_delivered"].sum()), int(by_grid["portions_needed"].sum())
    left = int(batch["stock"]) - ui.cached(supplies.portions_out, batch_id, day)
    ui.kpi_row(
        [
            {"label": t("supplies.kpi_households"), "value": f"{reached:,} / {owed:,}"},
            {"label": t("supplies.kpi_portions"), "value": f"{out:,} / {needed:,}"},
            {"label": t("supplies.kpi_coverage"), "value": f"{reached / owed:.1%}" if owed else "-"},
            {"label": t("supplies.kpi_left"), "value": f"{left:,}"},
        ],
        columns=2,
    )
    st.caption(t("supplies.as_of_note", date=day.isoformat()))
    level = st.radio(
        t("supplies.level"), supplies.LEVELS, format_func=lambda x: t(f"supplies.level_{x}"), horizontal=True
    )
    df = by_grid if level == "grid" else ui.cached(supplies.coverage, batch_id, day, level)
    keys = (
        ["grid"]
        if level == "grid"
        else ["compound"]
        if level == "compound"
        else ["grid", "compound", "building"]
    )
    counts = [
        "households_reached",
        "households_entitled",
        "coverage",
        "portions_delivered",
        "portions_needed",
    ]
    table(df, [*keys, *counts, "not_found", "refused"], column_config=COVERAGE)
    st.subheader(t("supplies.not_reached_title"))
    missing = ui.cached(supplies.not_reached, batch_id, day, my_grid)
    if missing.empty:
        st.success(t("supplies.none_not_reached"))
    else:
        personal_table(
            missing, ["grid", "compound", "building", "room", "size", "portions", "head_name", "status"]
        )


def show_batches() -> None:
    st.subheader(t("supplies.batches_title"))
    if not listed.empty:
        shown = listed.assign(
            source=listed["source"].map(lambda v: code("supply_source", v)),
            rule=listed["rule"].map(lambda v: code("supply_rule", v)),
        )
        table(
            shown,
            [
                "name",
                "date",
                "source",
                "items",
                "rule",
                "large_threshold",
                "large_portions",
                "stock",
                "released",
            ],
        )
    if batch is not None:
        show_preview()
        recon = ui.cached(supplies.reconciliation, day)
        st.subheader(t("supplies.recon_title"))
        st.caption(t("supplies.recon_caption"))
        shown = recon.assign(rule=recon["rule"].map(lambda v: code("supply_rule", v)))
        cols = ["batch", "date", "rule", "stock", "portions_needed", "portions_out", "remainder", "shortfall"]
        table(
            shown, [*cols, "households", "households_entitled", "households_reached", "households_left_out"]
        )
        for r in recon[recon["households_left_out"] > 0].itertuples():
            st.warning(
                t(
                    "supplies.recon_short",
                    batch=ui.plain(r.batch),
                    left_out=r.households_left_out,
                    stock=r.stock,
                    households=r.households,
                )
            )
    if is_manager:
        show_create()


def show_preview() -> None:
    batch_id, name = int(batch["id"]), str(batch["name"])
    preview = ui.cached(supplies.batch_preview, batch_id)
    st.subheader(t("supplies.preview_title", name=name))
    st.markdown(
        t(
            "supplies.preview_needed",
            rule=code("supply_rule", batch["rule"]),
            needed=f"{preview.needed:,}",
            households=f"{preview.households:,}",
            stock=f"{preview.stock:,}",
        )
    )
    if preview.shortfall:
        st.error(t("supplies.shortfall", n=f"{preview.shortfall:,}"))
    else:
        st.success(t("supplies.enough", left=f"{preview.stock - preview.needed:,}"))
    red = {"short": lambda v: "color: #c62828; font-weight: bold" if v > 0 else ""}
    for title, df, key in (
        (t("supplies.by_grid"), preview.by_grid, "grid"),
        (t("supplies.by_compound"), preview.by_compound, "compound"),
    ):
        st.markdown(f"**{title}**")
        shown = df[[key, "households", "portions_needed", "stock_share", "short"]]
        shown = shown.rename(columns={"households": "households_entitled"}).rename(columns=COLS)
        st.dataframe(shown.style.map(red["short"], subset=[COLS["short"]]), hide_index=True, width="stretch")
    if not is_manager:
        return
    version = int(batch["version"])
    if not batch["released"] and st.button(t("supplies.release_submit"), type="primary", key="sup_release"):
        if ui.write(supplies.release_batch, user, batch_id, version=version) is not None:
            done(t("supplies.released_ok", name=name))
    with st.form("sup_stock"):
        st.markdown(f"**{t('supplies.stock_title')}**")
        stock = st.number_input(t("supplies.stock"), min_value=0, step=1, value=int(batch["stock"]))
        if st.form_submit_button(t("supplies.stock_submit")):
            if ui.write(supplies.set_stock, user, batch_id, stock, version=version) is not None:
                done(t("supplies.stock_ok"))


def show_create() -> None:
    st.subheader(t("supplies.create_title"))
    threshold = ui.cached(config.int_rule, "large_household_threshold")
    portions = ui.cached(config.int_rule, "large_household_portions")
    with st.form("sup_create"):
        name = st.text_input(t("supplies.batch_name"), max_chars=100, key="sup_new_name")
        when = st.date_input(t("supplies.when_date"), value=today, max_value=today)
        source = st.selectbox(
            t("supplies.source"),
            ("government", "street", "donation"),
            format_func=lambda v: code("supply_source", v),
        )
        items = st.text_input(t("supplies.items"), max_chars=300)
        rule = st.selectbox(
            t("supplies.rule"),
            ("large_household", "per_household", "per_door"),
            format_func=lambda v: code("supply_rule", v),
            help=t("supplies.rule_help"),
        )
        large_threshold = st.number_input(
            t("supplies.large_threshold"), min_value=1, max_value=50, value=threshold
        )
        large_portions = st.number_input(
            t("supplies.large_portions"), min_value=1, max_value=20, value=portions
        )
        stock = st.number_input(t("supplies.stock"), min_value=0, step=1, value=0, key="sup_new_stock")
        if st.form_submit_button(t("supplies.create_submit"), type="primary"):
            created = ui.write(
                supplies.create_batch,
                user,
                name,
                when,
                source,
                items,
                rule,
                stock,
                large_threshold=large_threshold,
                large_portions=large_portions,
            )
            if created is not None:
                st.session_state["sup_pick_batch"] = created
                done(t("supplies.created_ok", name=name.strip()))


def show_survey() -> None:
    st.subheader(t("supplies.counts_title"))
    st.caption(t("supplies.counts_caption"))
    counts = ["doors", "households_before", "households_now", "added", "people", "large_households"]
    for level in ("grid", "compound"):
        df = ui.cached(survey.survey_counts, level).rename(columns={"households": "households_now"})
        if level == "grid":
            table(df, [level, *counts])
        else:
            with st.expander(t("supplies.by_compound")):
                table(df, [level, *counts])
    if can_survey:
        show_survey_forms()
    st.subheader(t("supplies.log_title"))
    log = ui.cached(survey.survey_log, day, my_grid)
    if log.empty:
        ui.empty("supplies.none_log")
    else:
        words = {
            survey.SPLIT: "supplies.action_split",
            survey.SIZE: "supplies.action_size",
            survey.MOVE: "supplies.action_move",
        }
        shown = log.assign(action=log["action"].map(lambda a: t(words[a])))
        table(shown, ["at", "username", "action", "room", "size_before", "size_after", "moved"])


def show_survey_forms() -> None:
    places = ui.cached(distribution.buildings_for, my_grid)
    if places.empty:
        ui.empty("supplies.no_buildings")
        return
    labels = {
        int(r.building_id): t(
            "supplies.building_label", compound=r.compound, building=r.building, grid=r.grid or ""
        )
        for r in places.itertuples()
    }
    building_id = st.selectbox(
        t("supplies.pick_building"), list(labels), format_func=labels.get, key="sur_building"
    )
    door_list = ui.cached(survey.doors, building_id)
    door_labels = {
        str(r.door): t("supplies.door_label", door=r.door, households=int(r.households), people=int(r.people))
        for r in door_list.itertuples()
    }
    door = st.selectbox(
        t("supplies.pick_door"), list(door_labels), format_func=door_labels.get, key="sur_door"
    )
    homes = ui.cached(survey.door_households, building_id, door)
    st.markdown(f"**{t('supplies.door_households')}**")
    ui.masked_table(
        homes[["room", "size", "head_name", "residents", "grid_id"]],
        user,
        rename=COLS,
        column_order=[COLS[c] for c in ("room", "size", "head_name", "residents")],
    )
    n_new = st.number_input(t("supplies.new_count"), min_value=0, max_value=8, value=0, step=1, key="sur_new")
    suggested = ui.cached(survey.suggest_rooms, building_id, door, int(n_new))
    with st.form("sur_door", clear_on_submit=True):
        st.markdown(f"**{t('supplies.survey_form')}**")
        sizes = {}
        for r in homes.itertuples():
            value = st.number_input(
                t("supplies.size_of", room=r.room),
                min_value=0,
                max_value=survey.MAX_SIZE,
                value=int(r.size),
                step=1,
            )
            if value != int(r.size):
                sizes[int(r.household_id)] = (int(value), int(r.version))
        new = []
        for k in range(int(n_new)):
            room = st.text_input(t("supplies.new_room", n=k + 1), value=suggested[k], max_chars=30)
            size = st.number_input(
                t("supplies.new_size", n=k + 1), min_value=1, max_value=survey.MAX_SIZE, value=1
            )
            head = st.text_input(t("supplies.new_head", n=k + 1), max_chars=60)
            rental = st.checkbox(t("supplies.new_rental", n=k + 1))
            new.append(survey.NewHousehold(room, int(size), head, rental))
        if st.form_submit_button(t("supplies.survey_submit"), type="primary", width="stretch"):
            created = ui.write(survey.resurvey_door, user, building_id, door, sizes=sizes, new=new)
            if created is not None:
                done(t("supplies.survey_ok", door=door, created=len(created)))
    show_move(building_id)


def show_move(building_id: int) -> None:
    st.subheader(t("supplies.move_title"))
    everyone = ui.cached(survey.building_households, building_id)
    if len(everyone) < 2:
        st.caption(t("supplies.one_household"))
        return
    rooms = {int(r.household_id): f"{r.room} ({int(r.size)})" for r in everyone.itertuples()}
    source = st.selectbox(t("supplies.move_from"), list(rooms), format_func=rooms.get, key="sur_from")
    people = ui.cached(survey.household_residents, source)
    if people.empty:
        st.caption(t("supplies.none_residents"))
        return
    shown = privacy.mask(people, user, meeting=meeting)
    names = dict(zip(shown["resident_id"].astype(int), shown["name"], strict=True))
    versions = dict(zip(everyone["household_id"].astype(int), everyone["version"].astype(int), strict=True))
    with st.form("sur_move", clear_on_submit=True):
        moving = st.multiselect(
            t("supplies.move_residents"),
            list(names),
            format_func=names.get,
            placeholder=t("supplies.pick_some"),
        )
        target = st.selectbox(t("supplies.move_to"), [h for h in rooms if h != source], format_func=rooms.get)
        if st.form_submit_button(t("supplies.move_submit"), width="stretch"):
            n = ui.write(
                survey.move_residents,
                user,
                moving,
                target,
                from_version=versions[source],
                to_version=versions[target],
            )
            if n is not None:
                done(t("supplies.move_ok", n=n))


def show_sheets() -> None:
    if batch is None:
        return
    st.caption(t("supplies.sheets_caption"))
    places = ui.cached(distribution.buildings_for, my_grid)
    labels = {
        int(r.building_id): t(
            "supplies.building_label", compound=r.compound, building=r.building, grid=r.grid or ""
        )
        for r in places.itertuples()
    }
    chosen = st.multiselect(
        t("supplies.sheet_buildings"),
        list(labels),
        format_func=labels.get,
        key="sup_sheet_b",
        placeholder=t("supplies.pick_some"),
    )
    if st.button(t("supplies.sheet_prepare"), type="primary", key="sup_sheet_make"):
        data = ui.write(supply_sheet.delivery_sheet, user, int(batch["id"]), chosen)
        if data is not None:
            st.session_state["sup_sheet"] = (int(batch["id"]), data, len(chosen))
    made = st.session_state.get("sup_sheet")
    if made and made[0] == int(batch["id"]):
        st.success(t("supplies.sheet_ready", n=made[2]))
        st.download_button(
            t("common.download"),
            made[1],
            file_name=f"{t('supplies.sheet_file')}-{batch['name']}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="sup_sheet_dl",
        )


{
    "deliver": show_deliver,
    "coverage": show_coverage,
    "batches": show_batches,
    "survey": show_survey,
    "sheets": show_sheets,
}[section]()
