"""Charts as plain functions of data (plotly figures), testable without Streamlit."""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from sqlalchemy.orm import Session

from dashboard.i18n import code, t

CHANNEL_COLOURS = {
    "pooled_retest": "#c0392b",
    "single_tube": "#e67e22",
    "antigen": "#f1c40f",
    "symptoms": "#8e44ad",
    "district": "#7f8c8d",
}
TOTAL_COLOUR = "#2c3e50"


@functools.cache
def _template() -> dict:
    """The default plotly template as plain JSON (what a new figure carries), made once."""
    return go.Figure().to_plotly_json()["layout"]["template"]


def epidemic_curve_spec(by_channel: pd.DataFrame, lang: str = "zh", *, height: int = 360) -> dict:
    """New positives per day, stacked by how they were found, with the running total on a second axis,
    as a plotly figure's plain JSON: what a figure made with make_subplots(secondary_y) would hold,
    written out (plotly's validation of every property costs more than the data).

    `by_channel` is overview.positives_by_channel: date, channel, positives (every day present).
    """
    data: list[dict] = []
    if not by_channel.empty:
        wide = by_channel.pivot_table(
            index="date", columns="channel", values="positives", aggfunc="sum", fill_value=0
        ).sort_index()
        for channel in wide.columns:
            colour = CHANNEL_COLOURS.get(channel)
            data.append(
                {
                    "hovertemplate": "%{x|%m-%d} %{y}<extra>%{fullData.name}</extra>",
                    **({"marker": {"color": colour}} if colour is not None else {}),
                    "name": code("case_channel", channel, lang=lang),
                    "x": list(wide.index),
                    "y": wide[channel].tolist(),
                    "type": "bar",
                    "xaxis": "x",
                    "yaxis": "y",
                }
            )
        total = wide.sum(axis=1).cumsum()
        data.append(
            {
                "hovertemplate": "%{x|%m-%d} %{y}<extra>%{fullData.name}</extra>",
                "line": {"color": TOTAL_COLOUR, "width": 2},
                "mode": "lines",
                "name": t("overview.curve_total", lang=lang),
                "x": list(total.index),
                "y": total.tolist(),
                "type": "scatter",
                "xaxis": "x",
                "yaxis": "y2",
            }
        )
    layout = {
        "template": _template(),
        "xaxis": {"anchor": "y", "domain": [0.0, 0.94], "tickformat": "%m-%d"},
        "yaxis": {
            "anchor": "x",
            "domain": [0.0, 1.0],
            "title": {"text": t("overview.curve_new", lang=lang)},
            "rangemode": "tozero",
            "tickformat": ",d",
        },
        "yaxis2": {
            "anchor": "x",
            "overlaying": "y",
            "side": "right",
            "title": {"text": t("overview.curve_total", lang=lang)},
            "rangemode": "tozero",
            "showgrid": False,
            "tickformat": ",d",
        },
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "barmode": "stack",
        "height": height,
        "hovermode": "x unified",
        "bargap": 0.15,
    }
    return {"data": data, "layout": layout}


def epidemic_curve(by_channel: pd.DataFrame, lang: str = "zh", *, height: int = 360) -> go.Figure:
    """epidemic_curve_spec() as a plotly figure."""
    return go.Figure(epidemic_curve_spec(by_channel, lang, height=height))


def epidemic_curve_json(session: Session, as_of: dt.date, lang: str = "zh") -> str:
    """The epidemic curve of a day as plotly JSON, for the page's shared cache (building it costs more
    than drawing it)."""
    from dashboard import overview

    return pio.to_json(
        epidemic_curve_spec(overview.positives_by_channel(session, as_of), lang), validate=False
    )


def from_json(spec: str) -> go.Figure:
    """A figure back from epidemic_curve_json()."""
    return pio.from_json(spec)
