"""Server-side SVG charts for the admin pages: no JavaScript, no charting library, readable without colour.

One ``Chart`` value is drawn three ways, so they never disagree: as SVG (``svg``), as a data table (``table``) and
as CSV (``csv_text``). The SVG is an image with a name and a description (``role="img"``, ``<title>``, ``<desc>``
summarising every value) and is keyboard focusable; every bar's label names its series, so colour is never the
only cue. Text sizes assume the chart is shown at 320 to 600 CSS pixels wide (the admin stylesheet caps it).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

Unit = Literal["count", "percent", "score", "minutes"]
COLOURS = ("#0b5cad", "#b45309", "#3f6212")  # each at least 4.5:1 on white
INK, MUTED, GRID = "#1f2933", "#3e4c59", "#cbd2d9"
WIDTH = 400
FONT = 12
MAX_DESC_VALUES = 60


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Unit = "count"
    kind: Literal["bars", "columns"] = "bars"
    notes: tuple[str, ...] = ()  # per category, shown after its values (a funnel's step conversion)
    scale_max: float | None = None  # fixed end of the axis (1.0 for shares, 5 for the effort score)
    category_label: str = ""  # heading of the table's first column
    summary: str = ""  # one sentence shown under the title and read first (a median, a share)

    @property
    def empty(self) -> bool:
        return all(v is None or v == 0 for s in self.series for v in s.values)

    def maximum(self) -> float:
        values = [v for s in self.series for v in s.values if v is not None]
        return self.scale_max or max(values, default=0) or 1


def number(value: float | None, unit: Unit, lang: str) -> str:
    """A value as people read it in the page's language (German: 1.234 and 83,5 %)."""
    if value is None:
        return "–"
    if unit == "percent":
        pct = value * 100
        text = f"{pct:.1f}" if 0 < pct < 10 else f"{pct:.0f}"
        text = text + (" %" if lang == "de" else "%")
    elif unit == "score":
        text = f"{value:.1f}"
    elif unit == "minutes":
        text = f"{value / 60:.1f} min"
    else:
        text = f"{round(value):,}"
        return text.replace(",", ".") if lang == "de" else text
    return text.replace(".", ",") if lang == "de" else text


def table(chart: Chart, lang: str) -> tuple[list[str], list[list[str]]]:
    headers = [chart.category_label, *(s.name for s in chart.series)] + ([""] if chart.notes else [])
    rows = []
    for i, category in enumerate(chart.categories):
        row = [category, *(number(s.values[i], chart.unit, lang) for s in chart.series)]
        if chart.notes:
            row.append(chart.notes[i] if i < len(chart.notes) else "")
        rows.append(row)
    return headers, rows


def csv_text(chart: Chart) -> str:
    """Raw values (shares as fractions, times in seconds), semicolon-separated for German spreadsheets, with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_safe(chart.category_label or "category"), *(_csv_safe(s.name) for s in chart.series)])
    for i, category in enumerate(chart.categories):
        writer.writerow([_csv_safe(category), *(_raw(s.values[i]) for s in chart.series)])
    return "\ufeff" + buffer.getvalue()


def _raw(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}"


def _csv_safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def description(chart: Chart, lang: str) -> str:
    """Every value in one sentence, for screen readers (capped for long series; the table has them all)."""
    parts = []
    for i, category in enumerate(chart.categories):
        values = ", ".join(f"{s.name} {number(s.values[i], chart.unit, lang)}" if len(chart.series) > 1
                           else number(s.values[i], chart.unit, lang) for s in chart.series)
        note = f" ({chart.notes[i]})" if i < len(chart.notes) and chart.notes[i] else ""
        parts.append(f"{category}: {values}{note}")
    more = len(parts) > MAX_DESC_VALUES
    lead = f"{chart.summary}. " if chart.summary else ""
    return lead + "; ".join(parts[:MAX_DESC_VALUES]) + (" …" if more else "") + "."


def svg(chart: Chart, lang: str) -> Markup:
    body, height = (_columns if chart.kind == "columns" else _bars)(chart, lang)
    tid, did = f"chart-{chart.key}-title", f"chart-{chart.key}-desc"
    return Markup(  # noqa: S704 - every text in it went through escape(); keys and numbers are ours
        f'<svg class="chart" role="img" aria-labelledby="{tid} {did}" tabindex="0" focusable="true" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}">'
        f'<title id="{tid}">{escape(chart.title)}</title><desc id="{did}">{escape(description(chart, lang))}</desc>'
        f"{body}</svg>"
    )


def _legend(chart: Chart) -> tuple[str, int]:
    if len(chart.series) < 2:
        return "", 0
    out, x = [], 8
    for i, s in enumerate(chart.series):
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>'
                   f'<text x="{x + 16}" y="14" fill="{INK}">{escape(s.name)}</text>')
        x += 28 + 8 * len(s.name)
    return "".join(out), 24


def _bars(chart: Chart, lang: str) -> tuple[str, int]:
    """Grouped horizontal bars: the category's name above its bars, each bar labelled "series value"."""
    legend, y = _legend(chart)
    out = [legend]
    bar_h, gap, label_w = 14, 3, 96
    span = WIDTH - 16 - label_w
    top = chart.maximum()
    multi = len(chart.series) > 1
    for i, category in enumerate(chart.categories):
        note = f" · {chart.notes[i]}" if i < len(chart.notes) and chart.notes[i] else ""
        out.append(f'<text x="8" y="{y + FONT}" fill="{INK}" font-weight="600">{escape(category)}'
                   f'<tspan font-weight="400" fill="{MUTED}">{escape(note)}</tspan></text>')
        y += FONT + 6
        for j, s in enumerate(chart.series):
            value = s.values[i]
            width = 0.0 if value is None else max(0.0, min(1.0, value / top)) * span
            label = number(value, chart.unit, lang)
            label = f"{s.name} {label}" if multi else label
            if width:
                out.append(f'<rect x="8" y="{y}" width="{width:.1f}" height="{bar_h}" '
                           f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(label)}</title></rect>')
            out.append(f'<text x="{8 + width + 4:.1f}" y="{y + bar_h - 3}" fill="{INK}">{escape(label)}</text>')
            y += bar_h + gap
        y += 10
    return "".join(out), y + 4


def _columns(chart: Chart, lang: str) -> tuple[str, int]:
    """Vertical columns over time (one series), with a few date labels and three grid lines."""
    left, bottom, top_pad, height = 44, 22, 8, 190
    plot_w, plot_h = WIDTH - left - 8, height - bottom - top_pad
    values = chart.series[0].values if chart.series else ()
    n = max(len(values), 1)
    top = chart.maximum()
    out = []
    for k in (0, 0.5, 1):
        gy = top_pad + plot_h * (1 - k)
        out.append(f'<line x1="{left}" x2="{WIDTH - 8}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 4}" y="{gy + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                   f"{escape(number(top * k, chart.unit, lang))}</text>")
    step = plot_w / n
    every = max(1, round(n / 6))
    for i, value in enumerate(values):
        x = left + i * step + step * 0.15
        if value is not None:
            h = max(0.0, min(1.0, value / top)) * plot_h
            label = f"{chart.categories[i]}: {number(value, chart.unit, lang)}"
            out.append(f'<rect x="{x:.1f}" y="{top_pad + plot_h - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                       f'fill="{COLOURS[0]}"><title>{escape(label)}</title></rect>')
        if i % every == 0 or (i == n - 1 and n < 8):
            out.append(f'<text x="{x + step * 0.35:.1f}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">'
                       f"{escape(chart.categories[i])}</text>")
    return "".join(out), height
