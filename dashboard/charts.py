"""Charts as plain functions of data (plotly figures), testable without Streamlit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots
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


def epidemic_curve(by_channel: pd.DataFrame, lang: str = "zh", *, height: int = 360) -> go.Figure:
    """New positives per day, stacked by how they were found, with the running total on a second axis.

    `by_channel` is overview.positives_by_channel: date, channel, positives (every day present).
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if not by_channel.empty:
        wide = by_channel.pivot_table(
            index="date", columns="channel", values="positives", aggfunc="sum", fill_value=0
        ).sort_index()
        for channel in wide.columns:
            fig.add_trace(
                go.Bar(
                    x=list(wide.index),
                    y=wide[channel].tolist(),
                    name=code("case_channel", channel, lang=lang),
                    marker_color=CHANNEL_COLOURS.get(channel),
                    hovertemplate="%{x|%m-%d} %{y}<extra>%{fullData.name}</extra>",
                ),
                secondary_y=False,
            )
        total = wide.sum(axis=1).cumsum()
        fig.add_trace(
            go.Scatter(
                x=list(total.index),
                y=total.tolist(),
                name=t("overview.curve_total", lang=lang),
                mode="lines",
                line={"color": TOTAL_COLOUR, "width": 2},
                hovertemplate="%{x|%m-%d} %{y}<extra>%{fullData.name}</extra>",
            ),
            secondary_y=True,
        )
    fig.update_layout(
        barmode="stack",
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hovermode="x unified",
        bargap=0.15,
    )
    fig.update_xaxes(tickformat="%m-%d")
    fig.update_yaxes(
        title_text=t("overview.curve_new", lang=lang), rangemode="tozero", tickformat=",d", secondary_y=False
    )
    fig.update_yaxes(
        title_text=t("overview.curve_total", lang=lang),
        rangemode="tozero",
        showgrid=False,
        tickformat=",d",
        secondary_y=True,
    )
    return fig


def epidemic_curve_json(session: Session, as_of: dt.date, lang: str = "zh") -> str:
    """The epidemic curve of a day as plotly JSON, for the page's shared cache (building it costs more
    than drawing it)."""
    from dashboard import overview

    return epidemic_curve(overview.positives_by_channel(session, as_of), lang).to_json()


def from_json(spec: str) -> go.Figure:
    """A figure back from epidemic_curve_json()."""
    return pio.from_json(spec)
