"""Server-side SVG charts of the dashboard: geometry only, drawn by small templates.

No chart library is shipped to the browser: the page stays a few kilobytes on a slow connection and
an old laptop, and every chart has its numbers beside it as an HTML table (the templates render
both). Labels are escaped by the templates like any other text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Colours readable on white and distinguishable in grey print; the first is the platform's blue.
PALETTE = ["#1f4e99", "#c0392b", "#2e8b57", "#b8860b", "#6a3d9a", "#00838f", "#7f5539"]
LABEL_CHARS = 34


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


@dataclass
class Bar:
    label: str
    short_label: str
    value: float | None
    y: int
    width: float
    value_x: float


@dataclass
class BarChart:
    """Horizontal bars of a percentage (0-100) per label: "completion by child unit"."""

    title: str
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (x, percent) of the vertical grid lines

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(title: str, items: list[tuple[str, float | None]], *, width: int = 640, label_width: int = 230,
              bar_height: int = 18, gap: int = 8) -> BarChart:
    """``items`` are (label, percent or None); None (nothing to count) draws no bar and says "—"."""
    plot_width = width - label_width - 50
    top = 20  # room for the tick labels
    bars = []
    for index, (label, value) in enumerate(items):
        length = 0.0 if value is None else plot_width * max(0.0, min(float(value), 100.0)) / 100
        bars.append(Bar(label=label, short_label=_short(label), value=value, y=top + index * (bar_height + gap),
                        width=round(length, 1), value_x=round(label_width + length + 4, 1)))
    height = top + len(items) * (bar_height + gap) + 4
    ticks = [(round(label_width + plot_width * p / 100, 1), p) for p in (0, 25, 50, 75, 100)]
    return BarChart(title=title, width=width, height=height, label_width=label_width, plot_width=plot_width,
                    bar_height=bar_height, bars=bars, ticks=ticks)


@dataclass
class Series:
    label: str
    colour: str
    values: list[int | None]
    points: str = ""  # the polyline's "x,y x,y ..."
    dots: list[tuple[float, float, int]] = field(default_factory=list)  # (x, y, value)


@dataclass
class LineChart:
    """Values over years, one line per series: "indicators over years"."""

    title: str
    width: int
    height: int
    left: int
    bottom: int
    years: list[tuple[float, int]]  # (x, year)
    y_ticks: list[tuple[float, int]]  # (y, value)
    series: list[Series]

    @property
    def empty(self) -> bool:
        return not self.series or all(not any(s.values) for s in self.series)


def nice_maximum(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^n at or above ``value`` (at least 1), for round grid lines."""
    value = max(int(value), 1)
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def line_chart(title: str, years: list[int], series: list[tuple[str, list[int | None]]], *, width: int = 640,
               height: int = 260) -> LineChart:
    """``series`` are (label, one value per year, None where the year has no data)."""
    left, right, top, bottom = 56, 16, 12, height - 28
    plot_width, plot_height = width - left - right, bottom - top
    maximum = nice_maximum(max((v for _, values in series for v in values if v is not None), default=0))
    step_x = plot_width / max(len(years) - 1, 1)

    def x_of(index: int) -> float:
        return round(left + (index * step_x if len(years) > 1 else plot_width / 2), 1)

    def y_of(value: int) -> float:
        return round(bottom - plot_height * value / maximum, 1)

    drawn = []
    for number, (label, values) in enumerate(series):
        dots = [(x_of(i), y_of(v), v) for i, v in enumerate(values) if v is not None]
        drawn.append(Series(label=label, colour=PALETTE[number % len(PALETTE)], values=values,
                            points=" ".join(f"{x},{y}" for x, y, _ in dots), dots=dots))
    return LineChart(
        title=title, width=width, height=height, left=left, bottom=bottom,
        years=[(x_of(i), year) for i, year in enumerate(years)],
        y_ticks=[(y_of(value), value) for value in sorted({maximum * k // 4 for k in range(5)})],
        series=drawn,
    )
