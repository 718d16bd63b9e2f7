"""Charts for the Admin center's Overview, drawn on the server as SVG.

No script and no inline style (the CSP stays strict): this module computes the geometry, the
templates (admin_center/overview.html) draw it with SVG attributes and classes from
static/css/app.css, and every chart comes with its numbers as a table (the accessible
alternative) and a text summary.
"""

from dataclasses import dataclass
from datetime import date

COLUMN_WIDTH, COLUMN_GAP, CHART_HEIGHT = 16, 4, 160


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str  # chart-<css> fills a shape, swatch-<css> colours the legend


@dataclass(frozen=True)
class Segment:
    """One rectangle of a stacked column, with its tooltip."""

    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    segments: list[Segment]
    top: int  # the value at the top of the chart
    gridlines: list[tuple[float, int]]  # (y, value)
    totals: dict[str, int]  # per series, over every column

    @property
    def half(self) -> int:
        return self.top // 2


def stacked_columns(
    columns: list[tuple[date, dict[str, int]]], series: list[Series]
) -> ColumnChart:
    """One column per day, stacked by series, scaled to the busiest day (at least 4)."""
    busiest = max((sum(counts.values()) for _, counts in columns), default=0)
    top = max(4, _nice_ceiling(busiest))
    scale = CHART_HEIGHT / top
    segments = []
    for index, (day, counts) in enumerate(columns):
        x = index * (COLUMN_WIDTH + COLUMN_GAP) + COLUMN_GAP / 2
        y = float(CHART_HEIGHT)
        for one in series:
            value = counts.get(one.key, 0)
            if not value:
                continue
            height = value * scale
            y -= height
            title = f"{day:%-d %b}: {value} {one.label.lower()}"
            segments.append(Segment(x, round(y, 2), COLUMN_WIDTH, round(height, 2), one.css, title))
    gridlines = [(round(CHART_HEIGHT - value * scale, 2), value) for value in (top // 2, top)]
    totals = {one.key: sum(counts.get(one.key, 0) for _, counts in columns) for one in series}
    return ColumnChart(
        width=len(columns) * (COLUMN_WIDTH + COLUMN_GAP),
        height=CHART_HEIGHT,
        segments=segments,
        top=top,
        gridlines=gridlines,
        totals=totals,
    )


@dataclass(frozen=True)
class Bar:
    """One labelled horizontal bar: `percent` of the longest bar's length (0–100)."""

    label: str
    value: int
    percent: float
    url: str = ""


def bars(
    rows: list[tuple[str, int]] | list[tuple[str, int, str]], *, maximum: int = 0
) -> list[Bar]:
    """Bars scaled to `maximum`, or to the largest value."""
    longest = maximum or max((row[1] for row in rows), default=0) or 1
    return [
        Bar(
            label=row[0],
            value=row[1],
            percent=round(min(row[1], longest) * 100 / longest, 2),
            url=row[2] if len(row) > 2 else "",
        )
        for row in rows
    ]


def _nice_ceiling(value: int) -> int:
    """The first of 1, 2, 4, 10, 20, 40, 100, … at or above `value`: its half is whole too."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 4):
            if multiple * magnitude >= value:
                return multiple * magnitude
        magnitude *= 10
