"""The supplies page under AppTest on the seeded demo, in both languages and for each role: every
section renders, a grid leader records a delivery (a second one refused), the secretary creates,
previews and releases a batch, a door is split and a squad prints its sheet, a whole building is
delivered but a room.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import distribution, supplies, survey
from db.models import AuditLog, Building, Delivery, Household, SupplyBatch
from tests.test_supplies import TODAY, _count

# --- the page (AppTest on the seeded demo) --------------------------------------------------


@pytest.fixture
def page_lang(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Open the supplies page in a language.

    AppTest runs a switched-to page file directly (it sees the pages/ folder), without the frame
    that sets the language, so the script thread starts with the catalogue's default (zh); a
    language default for those fresh threads makes the English run really English.
    """
    import contextvars

    from dashboard import i18n

    def use(lang: str) -> None:
        monkeypatch.setattr(i18n, "_current", contextvars.ContextVar("juwei_lang", default=lang))

    return use


def _button(at, label: str):  # noqa: ANN001, ANN202 - AppTest objects
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", ["shuji", "grid01", "task", "viewer"])
def test_page_every_section_renders(app_db: str, page_lang, username: str, lang: str) -> None:  # noqa: ANN001
    from dashboard.i18n import t
    from tests.helpers import open_app, texts

    page_lang(lang)
    at = open_app(username, lang, page="pages/supplies.py")
    assert not at.exception
    assert t("supplies.title") in texts(at)
    offered = at.radio(key="sup_section").options
    sections = [
        s for s in ("deliver", "coverage", "batches", "survey", "sheets") if t(f"supplies.tab_{s}") in offered
    ]
    assert len(sections) == len(offered)
    for section in sections:
        at.radio(key="sup_section").set_value(section).run()
        assert not at.exception, (section, at.exception)
        assert not at.error, [e.value for e in at.error]


def _open_delivery(username: str) -> tuple[int, int, int, str]:
    """(batch, building, household, room): a household of the user's grid still owed the current batch."""
    from db import make_engine
    from db.models import User

    engine = make_engine()
    with Session(engine) as s:
        grid_id = s.scalar(select(User.grid_id).where(User.username == username))
        batch_id = supplies.current_batch(s, TODAY)
        missing = supplies.not_reached(s, batch_id, TODAY, grid_id)
        row = missing[missing["status"].isna()].iloc[0]
        building_id = int(
            s.scalar(select(Household.building_id).where(Household.id == int(row.household_id)))
        )
    engine.dispose()
    return batch_id, building_id, int(row.household_id), str(row.room)


def _deliveries(batch_id: int, household_id: int) -> list[tuple[str, int]]:
    from db import make_engine

    engine = make_engine()
    with Session(engine) as s:
        rows = s.execute(
            select(Delivery.status, Delivery.portions).where(
                Delivery.batch_id == batch_id, Delivery.household_id == household_id
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_grid_leader_records_a_delivery_and_a_second_is_refused(
    app_db: str, page_lang, lang: str
) -> None:  # noqa: ANN001
    from dashboard.i18n import t
    from tests.helpers import open_app, texts

    page_lang(lang)
    batch_id, building_id, household_id, room = _open_delivery("grid01")
    at = open_app("grid01", lang, page="pages/supplies.py")
    assert at.radio(key="sup_section").value == "deliver"  # a grid leader lands on the delivery form
    at.selectbox(key="sup_building").set_value(building_id).run()
    at.selectbox(key="sup_one_household").set_value(household_id)
    _button(at, t("supplies.deliver_submit")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert t("supplies.delivered_ok", room=room, status=t("code.delivery_status.delivered")) in texts(at)
    assert _deliveries(batch_id, household_id) == [("delivered", 1)]
    # Wrong input: the same household again is refused with a message, nothing changes.
    at.selectbox(key="sup_building").set_value(building_id).run()
    at.selectbox(key="sup_one_household").set_value(household_id)
    _button(at, t("supplies.deliver_submit")).click().run()
    assert not at.exception
    refusal = t("supplies.already_delivered").rsplit("}", 1)[1]  # "; it cannot be delivered twice."
    assert [e.value for e in at.error if refusal in str(e.value) and room in str(e.value)]
    assert _deliveries(batch_id, household_id) == [("delivered", 1)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_secretary_creates_previews_and_releases_a_batch(app_db: str, page_lang, lang: str) -> None:  # noqa: ANN001
    from dashboard.i18n import t
    from db import make_engine
    from tests.helpers import open_app, texts

    page_lang(lang)
    at = open_app("shuji", lang, page="pages/supplies.py")
    at.radio(key="sup_section").set_value("batches").run()
    # Wrong input: no name.
    at.number_input(key="sup_new_stock").set_value(100)
    _button(at, t("supplies.create_submit")).click().run()
    assert not at.exception
    assert t("common.required", field=t("supplies.batch_name")) in [e.value for e in at.error]
    at.text_input(key="sup_new_name").set_value("Batch 7")
    at.number_input(key="sup_new_stock").set_value(100)
    _button(at, t("supplies.create_submit")).click().run()
    assert not at.exception
    shown = texts(at)
    assert t("supplies.created_ok", name="Batch 7") in shown
    assert t("supplies.preview_title", name="Batch 7") in shown
    assert [e.value for e in at.error] == [t("supplies.shortfall", n="2,982")]  # 3,082 needed, 100 received
    by_grid = at.dataframe[1].value  # batches, then the preview by grid
    assert int(by_grid.iloc[:, 2].sum()) == 3082
    _button(at, t("supplies.release_submit")).click().run()
    assert not at.exception
    assert t("supplies.released_ok", name="Batch 7") in texts(at)
    engine = make_engine()
    with Session(engine) as s:
        batch = s.scalars(select(SupplyBatch).where(SupplyBatch.name == "Batch 7")).one()
        assert (batch.rule, batch.large_threshold, batch.large_portions, batch.stock) == (
            "large_household",
            6,
            2,
            100,
        )
        assert batch.released_at is not None
    engine.dispose()


def test_page_grid_leader_splits_a_door_and_a_squad_prints_its_sheet(app_db: str, page_lang) -> None:  # noqa: ANN001
    from dashboard.i18n import t
    from db import make_engine
    from tests.helpers import open_app, texts

    page_lang("en")
    engine = make_engine()
    before = _count(engine, Household)
    at = open_app("grid03", "en", page="pages/supplies.py")
    at.radio(key="sup_section").set_value("survey").run()
    building_id, door = at.selectbox(key="sur_building").value, at.selectbox(key="sur_door").value
    at.number_input(key="sur_new").set_value(2).run()
    _button(at, t("supplies.survey_submit")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert t("supplies.survey_ok", door=door, created=2) in texts(at)
    assert _count(engine, Household) == before + 2
    with Session(engine) as s:
        added = s.scalars(
            select(Household).where(Household.building_id == building_id, Household.door == door)
        ).all()
        grid_id = s.scalar(select(Building.grid_id).where(Building.id == building_id))
        assert survey.survey_counts(s, "grid").set_index("grid_id").loc[grid_id, "added"] == 2
    assert len({h.room for h in added}) == len(added)  # suggested rooms are free
    # A transport squad prints the sheet of that building; the export is audited.
    at = open_app("task", "en", page="pages/supplies.py")
    at.radio(key="sup_section").set_value("sheets").run()
    at.multiselect(key="sup_sheet_b").set_value([building_id])
    _button(at, t("supplies.sheet_prepare")).click().run()
    assert not at.exception and not at.error
    assert t("supplies.sheet_ready", n=1) in texts(at)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(AuditLog.action == "supplies.export_sheet")) == 1
    engine.dispose()


def test_page_whole_building_except_a_room(app_db: str, page_lang) -> None:  # noqa: ANN001
    from dashboard.i18n import t
    from db import make_engine
    from tests.helpers import open_app, texts

    page_lang("zh")
    batch_id, building_id, household_id, room = _open_delivery("grid02")
    engine = make_engine()
    with Session(engine) as s:
        homes = distribution.building_households(s, batch_id, building_id)
    engine.dispose()
    owed = homes[homes["portions"] > 0]
    done = owed["status"] == "delivered"
    todo = owed[~done & (owed["room"] != room)]
    at = open_app("grid02", "zh", page="pages/supplies.py")
    at.selectbox(key="sup_building").set_value(building_id).run()
    at.multiselect(key="sup_except").set_value([room])
    _button(at, t("supplies.deliver_building_submit")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    expected = t(
        "supplies.building_ok",
        delivered=len(todo),
        portions=int(todo["portions"].sum()),
        already=int(done.sum()),
        excepted=1,
    )
    assert expected in texts(at)
    assert _deliveries(batch_id, household_id) == []  # the excepted room is still waiting
    assert all(_deliveries(batch_id, int(h))[0][0] == "delivered" for h in todo["household_id"])
