"""/admin/insights: the KPIs per touchpoint and language as charts, each also a table and a CSV download.

The numbers come from the daily aggregates (assistant/analytics/insights.py defines every KPI); this module only
chooses what to draw and labels it in the page's language. ``/admin/insights.csv?chart=<key>`` downloads one
chart's data with the same filters.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from assistant import charts, clock, i18n
from assistant.analytics import insights as kpi
from assistant.analytics.events import CES_FLOWS, LANGUAGES, TOUCHPOINTS
from assistant.analytics.recorder import ORDER_TIME_BUCKETS
from assistant.charts import Chart, Series
from assistant.commerce.db import Database
from assistant.errors import BackendUnavailable
from assistant.gateway.admin import _lang, _render
from assistant.gateway.cockpit import (
    AnalyticsDb,
    InvalidFilter,
    choice,
    day_label,
    download,
    login_needed,
    parse_day,
    query_value,
    texts,
)
from assistant.gateway.deps import AppSettings
from assistant.settings import Settings

router = APIRouter(prefix="/admin", include_in_schema=False)
FILTERS = ("period", "from", "to", "touchpoint", "language")


@dataclass(frozen=True)
class View:
    period: kpi.Period
    touchpoint: str | None
    language: str | None
    values: dict[str, str]  # the filters as chosen, for the form and the CSV links


def view_from(request: Request) -> View:
    values = {k: query_value(request, k) for k in FILTERS}
    try:
        period = kpi.period(values["period"] or None, parse_day(values["from"]), parse_day(values["to"]),
                            clock.today())
    except kpi.InvalidPeriod as exc:
        raise InvalidFilter(exc.key) from exc
    if values["period"] and values["period"] not in kpi.PRESETS:
        raise InvalidFilter("invalid_filter")
    return View(period, choice(values["touchpoint"], TOUCHPOINTS), choice(values["language"], LANGUAGES), values)


def build(database: Database, view: View, lang: str) -> tuple[list[tuple[str, str]], list[Chart]]:
    """The KPI tiles and the charts of one view (runs in a worker thread: two indexed reads)."""
    c = texts(lang)
    totals = kpi.load_totals(database, view.period)
    daily = kpi.load_daily(database, view.period, ("conversations", "knowledge", "answered"), view.touchpoint,
                           view.language)
    tps, langs = kpi.slices(view.touchpoint, view.language)
    tp_names = tuple(c[f"tp_{tp}"] for tp in tps)
    whole = kpi.Kpis(totals, view.touchpoint, view.language)

    def by_language(value: Any) -> tuple[Series, ...]:
        return tuple(Series(lang_code.upper(), tuple(value(kpi.Kpis(totals, tp, lang_code)) for tp in tps))
                     for lang_code in langs)

    def pct(x: float | None) -> str:
        return charts.number(x, "percent", lang)

    median = whole.median_order_seconds
    tiles = [
        (c["kpi_conversations"], charts.number(whole.n("conversations"), "count", lang)),
        (c["kpi_answer_rate"], pct(whole.answer_rate)),
        (c["kpi_not_specified"], pct(whole.not_specified_rate)),
        (c["kpi_thumbs"], pct(whole.thumbs_up_share)),
        (c["kpi_containment"], pct(whole.containment)),
        (c["kpi_rfq_sent"], charts.number(whole.n("funnel_rfq_sent"), "count", lang)),
        (c["kpi_reorders"], charts.number(whole.n("flow_finished:reorder"), "count", lang)),
        (c["kpi_order_time"], charts.number(median, "minutes", lang) if median is not None else "–"),
        (c["kpi_ces"], charts.number(whole.ces_overall, "score", lang)),
    ]
    funnel = whole.funnel
    notes = [""] + [f"{pct(kpi.share(n, funnel[i][1]))} {c['of_previous']}" for i, (_, n) in enumerate(funnel[1:])]
    bounds = [*ORDER_TIME_BUCKETS, None]
    bucket_names = tuple(_bucket_name(lo, hi) for lo, hi in zip([0, *ORDER_TIME_BUCKETS], bounds, strict=True))
    flows = ("conversations_logged_in", "flow_finished:reorder", "flow_finished:status", "flow_finished:document")
    ces = [whole.ces(f) for f in CES_FLOWS]
    weekly = len(view.period.days) > 62  # a year of daily columns is a barcode; weeks stay readable
    days = kpi.daily_rates(daily, weekly)
    chart_list = [
        Chart("conversations", c["chart_conversations"], tp_names, by_language(lambda k: k.n("conversations")),
              category_label=c["touchpoint"]),
        Chart("daily", c["chart_weekly" if weekly else "chart_daily"],
              tuple(day_label(d, lang)[:6] for d, _, _ in days),
              (Series(c["kpi_answer_rate"], tuple(rate for _, _, rate in days)),), "percent", "columns",
              scale_max=1.0, category_label=c["week_from" if weekly else "day"]),
        Chart("answer_rate", c["chart_answer_rate"], tp_names, by_language(lambda k: k.answer_rate), "percent",
              scale_max=1.0, category_label=c["touchpoint"]),
        Chart("not_specified", c["chart_not_specified"], tp_names, by_language(lambda k: k.not_specified_rate),
              "percent", scale_max=1.0, category_label=c["touchpoint"]),
        Chart("thumbs", c["chart_thumbs"], tp_names, by_language(lambda k: k.thumbs_up_share), "percent",
              scale_max=1.0, category_label=c["touchpoint"]),
        Chart("containment", c["chart_containment"], tp_names, by_language(lambda k: k.containment), "percent",
              scale_max=1.0, category_label=c["touchpoint"]),
        Chart("funnel", c["chart_funnel"], tuple(c[f"step_{s.removeprefix('funnel_')}"] for s, _ in funnel),
              (Series(c["kpi_conversations"], tuple(float(n) for _, n in funnel)),), notes=tuple(notes),
              category_label=c["step_conversations"]),
        Chart("flows", c["chart_flows"], (c["flow_logged_in"], c["flow_reorder"], c["flow_status"], c["flow_document"]),
              tuple(Series(lang_code.upper(), tuple(float(totals.get(m, view.touchpoint, lang_code)) for m in flows))
                    for lang_code in langs), category_label=c["flow"]),
        Chart("order_time", c["chart_order_time"], bucket_names,
              (Series(c["orders"], tuple(float(n) for _, n in whole.order_times)),),
              category_label=c["kpi_order_time"],
              summary=f"{c['kpi_order_time']} {charts.number(median, 'minutes', lang) if median else '–'} · "
                      + i18n.t("cockpit_within_5", lang, share=pct(whole.orders_within_5_minutes))),
        Chart("ces", c["chart_ces"], tuple(c[f"flow_{f}"] for f in CES_FLOWS),
              (Series(c["average"], tuple(avg for _, _, avg in ces)),), "score", scale_max=5.0,
              notes=tuple(f"{c['answers']} {a}, {c['skipped']} {s}" for a, s, _ in ces), category_label=c["flow"]),
    ]
    return tiles, chart_list


def _bucket_name(lower: int, upper: int | None) -> str:
    if upper is None:
        return f"> {lower // 60} min"
    return f"≤ {upper // 60} min" if lower == 0 else f"{lower // 60}–{upper // 60} min"


def _period_label(p: kpi.Period, lang: str) -> str:
    return i18n.t("cockpit_insights_period", lang, start=day_label(p.start, lang), end=day_label(p.end, lang))


async def _load(request: Request, settings: Settings, database: Database
                ) -> tuple[View, list[tuple[str, str]], list[Chart]] | Response:
    """The view's tiles and charts, or the page that says why not (not logged in, bad filters, store down)."""
    if (refused := login_needed(request, settings)) is not None:
        return refused
    c = texts(_lang(request))
    try:
        view = view_from(request)
    except InvalidFilter as exc:
        return _failed(request, settings, 400, c, c[exc.key])
    try:
        tiles, chart_list = await asyncio.to_thread(build, database, view, _lang(request))
    except BackendUnavailable:
        return _failed(request, settings, 503, c, c["unavailable"])
    return view, tiles, chart_list


@router.get("/insights")
async def insights_page(request: Request, settings: AppSettings, database: AnalyticsDb) -> Response:
    loaded = await _load(request, settings, database)
    if isinstance(loaded, Response):
        return loaded
    view, tiles, chart_list = loaded
    lang = _lang(request)
    rendered = [{"chart": ch, "svg": charts.svg(ch, lang), "table": charts.table(ch, lang)} for ch in chart_list]
    return _render(request, "admin/insights.html", settings, c=texts(lang), values=view.values, tiles=tiles,
                   charts=rendered, period_label=_period_label(view.period, lang),
                   csv_query=_csv_query(view.values, lang))


@router.get("/insights.csv")
async def insights_csv(request: Request, settings: AppSettings, database: AnalyticsDb) -> Response:
    loaded = await _load(request, settings, database)
    if isinstance(loaded, Response):
        return loaded
    view, _tiles, chart_list = loaded
    chart = next((ch for ch in chart_list if ch.key == query_value(request, "chart", 40)), None)
    if chart is None:
        c = texts(_lang(request))
        return _failed(request, settings, 404, c, c["unknown_chart"])
    name = f"{chart.key}-{view.period.start.isoformat()}-{view.period.end.isoformat()}.csv"
    return download(charts.csv_text(chart), "text/csv", name)


def _failed(request: Request, settings: Settings, status: int, c: dict[str, str], message: str) -> Response:
    """The page with the filters as typed and the reason, so a wrong date is corrected, not retyped."""
    values = {k: query_value(request, k) for k in FILTERS}
    return _render(request, "admin/insights.html", settings, status, c=c, values=values, tiles=[], charts=[],
                   error=message, period_label="", csv_query="")


def _csv_query(values: dict[str, str], lang: str) -> str:
    return urlencode({**{k: v for k, v in values.items() if v}, "lang": lang})

