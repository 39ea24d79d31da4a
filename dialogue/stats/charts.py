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
from functools import lru_cache

import pygal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pygal.style import Style

from dialogue.dossier.figures import format_count, format_rate
from dialogue.stats.figures import WardFigures

# pygal adds to ``sys.meta_path`` a finder for its map plugins (pygal.maps.*, unused here) that
# has only the ``find_module`` Python 3.12 drops: every later import then warns. Take it out.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)
]
# pygal's tooltip configuration: JSON, never a "</script>" inside.
SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)
# The palette of the application's stylesheet.
COLOURS = ("#1d5fa8", "#d9822b", "#2e8b57", "#b03a2e", "#6c5b7b", "#7f8c8d")


@dataclass(frozen=True)
class Look:
    """The colours, typeface and size of a chart: for the screen or for an official document.

    ``width`` and ``row_height`` are in the SVG's own units: the image is scaled to its box,
    so a narrower drawing prints its text larger.
    """

    colours: tuple[str, ...]
    font_family: str
    width: int = 800
    row_height: int = 34


SCREEN = Look(COLOURS, "'Liberation Sans', Arial, sans-serif")
# An official report is printed in black on office printers: greys far enough apart to tell
# the stacked parts of a bar one from another, light enough for the black values on them;
# the document's own bundled serif, about 10 pt at the text block's width, compact rows.
PAPER = Look(
    ("#7a7a7a", "#b8b8b8", "#e2e2e2", "#9a9a9a", "#cfcfcf", "#5f5f5f"),
    "'Dialogue Serif'",
    width=600,
    row_height=24,
)


def _style(look: Look) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        font_family=look.font_family,
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#52606d",
        colors=look.colours,
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


def _config(kind, *, rows: int, locale, look: Look, rate: bool = False, legend: bool = True):
    formatter = (
        (lambda value: format_rate(value, locale))
        if rate
        else (lambda value: format_count(round(value), locale))
    )
    return kind(
        style=_style(look),
        width=look.width,
        height=max(220, 110 + look.row_height * rows),
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
    look: Look = SCREEN,
) -> Chart:
    """Horizontal bars, one per label; several series side by side or stacked."""
    return _bars(str(title), _texts(labels), _frozen(series), stacked, _locale(locale), look)


def _texts(labels) -> tuple[str, ...]:
    return tuple(str(label) for label in labels)


def _frozen(series) -> tuple:
    return tuple((str(name), tuple(values)) for name, values in series)


def _locale(locale) -> str | None:
    return None if locale is None else str(locale)


# Drawing is most of a figures page's time, and the same figures are asked for again and again
# (a ward's page, its report, a province's comparison): a chart is a pure function of what it
# shows, kept so.
@lru_cache(maxsize=256)
def _bars(title, labels, series, stacked, locale, look) -> Chart:
    kind = pygal.HorizontalStackedBar if stacked else pygal.HorizontalBar
    chart = _config(
        kind,
        rows=len(labels) * (1 if stacked else max(1, len(series))),
        locale=locale,
        look=look,
        legend=len(series) > 1,
    )
    # pygal draws the first label at the bottom: reversed, the chart reads like its table.
    chart.x_labels = list(labels[::-1])
    for name, values in series:
        chart.add(name, list(values[::-1]))
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


def rates(
    title: str,
    labels: list[str],
    series: list[tuple[str, list]],
    *,
    locale=None,
    look: Look = SCREEN,
) -> Chart:
    """Percentages from 0 to 100, one group of bars per label, one bar per series."""
    return _rates(str(title), _texts(labels), _frozen(series), _locale(locale), look)


@lru_cache(maxsize=256)
def _rates(title, labels, series, locale, look) -> Chart:
    chart = _config(
        pygal.HorizontalBar, rows=len(labels) * len(series), locale=locale, look=look, rate=True
    )
    chart.range = (0, 100)
    # A mark every 20 per cent, whole numbers: eleven marks of "0,0%" crowd a narrow chart.
    chart.y_labels = [{"value": n, "label": f"{n}%"} for n in range(0, 101, 20)]
    # Room for the last mark, "100,0%", centred on the axis's end.
    chart.margin_right = 28
    chart.x_labels = list(labels[::-1])
    for name, values in series:
        chart.add(name, [None if value is None else float(value) for value in values[::-1]])
    chart.value_formatter = lambda value: format_rate(value, locale)
    return _finish(
        chart, _("Chart: %(title)s. The table beside it gives the figures.", title=title)
    )


# -- the figures' charts --------------------------------------------------------------------------

# The same, short enough for a chart's axis; the table beside it has the full names.
DOSSIER_CHART_LABELS = {
    "online_share": _l("Received online"),
    "on_time_resolved": _l("In time, of resolved"),
    "on_time_load": _l("In time or within the deadline, of all"),
    "overdue": _l("Late or overdue, of all"),
}


def figure_charts(figures: WardFigures, locale: str, look: Look = SCREEN) -> dict[str, Chart]:
    """The main blocks as charts; each block's table is the chart's text equivalent."""
    found = {}
    attendance = figures.attendance
    if attendance.total.present:
        found["groups"] = bars(
            _("Present by residential group"),
            [row.label for row in attendance.by_group],
            [(_("Present"), [row.present for row in attendance.by_group])],
            locale=locale,
            look=look,
        )
        found["categories"] = bars(
            _("Present by delegate category"),
            [row.label for row in attendance.by_category],
            [(_("Present"), [row.present for row in attendance.by_category])],
            locale=locale,
            look=look,
        )
    turns = figures.turns
    if turns.total.total:
        found["areas"] = bars(
            _("Speaking turns by procedure area"),
            [row.label for row in turns.areas],
            [
                (_("Answered on the spot"), [row.answered for row in turns.areas]),
                (_("Referred for a written answer"), [row.referred for row in turns.areas]),
                (_("Waiting for the answer"), [row.pending for row in turns.areas]),
            ],
            stacked=True,
            locale=locale,
            look=look,
        )
    referrals = figures.referrals
    if referrals.total:
        rows = referrals.rows()
        found["referrals"] = bars(
            _("Referred questions as they stand"),
            [str(outcome.title) for outcome, _count, _share in rows],
            [(_("Referred questions"), [count for _outcome, count, _share in rows])],
            locale=locale,
            look=look,
        )
    dossiers = figures.dossiers
    if dossiers.current.reports or dossiers.previous.reports:
        names = ("online_share", "on_time_resolved", "on_time_load", "overdue")
        found["dossiers"] = rates(
            _("Dossier rates, this period and the one before"),
            [str(DOSSIER_CHART_LABELS[name]) for name in names],
            [
                (figures.period.label, [getattr(dossiers.current.rates, n) for n in names]),
                (
                    dossiers.previous_period.label,
                    [getattr(dossiers.previous.rates, n) for n in names],
                ),
            ],
            locale=locale,
            look=look,
        )
    if figures.survey.responses:
        found["survey"] = rates(
            _("Satisfaction by element of the survey"),
            [str(element.title) for element, _result in figures.survey.elements]
            + [_("All five elements")],
            [
                (
                    _("Satisfied"),
                    [result.rate for _element, result in figures.survey.elements]
                    + [figures.survey.overall.rate],
                )
            ],
            locale=locale,
            look=look,
        )
    return found
