"""The figures' charts, drawn on the server by pygal as SVG and shown as images.

The page's Content-Security-Policy allows no inline style and no inline script, and pygal's
SVG carries both (its stylesheet in a ``<style>`` element, its tooltip configuration in a
``<script>``). Shown as an image, an SVG runs no script and keeps its own stylesheet: so each
chart goes into the page as an ``<img>`` with a ``data:`` address (which ``img-src`` allows),
its script removed. The same SVG can go into a PDF. Each chart's table beside it is its text
equivalent; the image's alternative text says what the chart shows and where to read it.
"""

from __future__ import annotations

import base64
import re
import sys
from dataclasses import dataclass

import pygal
from flask_babel import gettext as _
from pygal.style import Style

from dialogue.dossier.figures import format_count, format_rate

# pygal adds to ``sys.meta_path`` a finder for its map plugins (pygal.maps.*, unused here) that
# has only the ``find_module`` Python 3.12 drops: every later import then warns. Take it out.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)
]
# pygal's tooltip configuration: JSON, never a "</script>" inside.
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)
WIDTH = 800
ROW_HEIGHT = 34
# The palette of the application's stylesheet: distinguishable in grey on paper as well.
COLOURS = ("#1d5fa8", "#d9822b", "#2e8b57", "#b03a2e", "#6c5b7b", "#7f8c8d")


def _style() -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        font_family="'Liberation Sans', Arial, sans-serif",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#52606d",
        colors=COLOURS,
        opacity="1",
        opacity_hover="1",
        label_font_size=14,
        major_label_font_size=14,
        legend_font_size=15,
        value_font_size=14,
        title_font_size=17,
        transition="0s",
    )


@dataclass(frozen=True)
class Chart:
    """An SVG chart ready for an ``<img>``: its address and its alternative text."""

    svg: bytes
    alt: str

    @property
    def src(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


def _config(kind, *, rows: int, locale, rate: bool = False, legend: bool = True):
    formatter = (
        (lambda value: format_rate(value, locale))
        if rate
        else (lambda value: format_count(round(value), locale))
    )
    return kind(
        style=_style(),
        width=WIDTH,
        height=max(220, 110 + ROW_HEIGHT * rows),
        js=[],
        disable_xml_declaration=True,
        show_legend=legend,
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        truncate_label=-1,
        truncate_legend=-1,
        print_values=True,
        print_zeroes=False,
        value_formatter=formatter,
        show_y_guides=False,
        show_x_guides=True,
        margin=12,
        no_data_text=_("No figures"),
        tooltip_fancy_mode=False,
    )


def _finish(chart, alt: str) -> Chart:
    """The chart's SVG without its scripts (an image runs none; nothing is lost)."""
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    return Chart(svg=svg.encode("utf-8"), alt=alt)


def bars(
    title: str,
    labels: list[str],
    series: list[tuple[str, list[int]]],
    *,
    stacked: bool = False,
    locale=None,
) -> Chart:
    """Horizontal bars, one per label; several series side by side or stacked."""
    kind = pygal.HorizontalStackedBar if stacked else pygal.HorizontalBar
    chart = _config(
        kind,
        rows=len(labels) * (1 if stacked else max(1, len(series))),
        locale=locale,
        legend=len(series) > 1,
    )
    # pygal draws the first label at the bottom: reversed, the chart reads like its table.
    chart.x_labels = labels[::-1]
    for name, values in series:
        chart.add(name, values[::-1])
    if stacked:
        peak = max(
            (sum(column) for column in zip(*(v for _n, v in series), strict=True)), default=0
        )
    else:
        peak = max((max(values, default=0) for _name, values in series), default=0)
    chart.range = (0, peak or 1)
    if peak <= 20:
        # Whole numbers on the axis: pygal would otherwise mark quarters of a person.
        chart.y_labels = list(range(peak + 1))
    return _finish(
        chart, _("Chart: %(title)s. The table beside it gives the figures.", title=title)
    )


def rates(title: str, labels: list[str], series: list[tuple[str, list]], *, locale=None) -> Chart:
    """Percentages from 0 to 100, one group of bars per label, one bar per series."""
    chart = _config(pygal.HorizontalBar, rows=len(labels) * len(series), locale=locale, rate=True)
    chart.range = (0, 100)
    chart.x_labels = labels[::-1]
    for name, values in series:
        chart.add(name, [None if value is None else float(value) for value in values[::-1]])
    chart.value_formatter = lambda value: format_rate(value, locale)
    return _finish(
        chart, _("Chart: %(title)s. The table beside it gives the figures.", title=title)
    )
