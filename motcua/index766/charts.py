"""Small server-side SVG charts (no JavaScript, nothing from a CDN): bars for volumes, a line for rates."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 44, 28, 12


def _n(value: float) -> str:
    return f"{value:.1f}"


def _frame(title: str, body: SafeString, axis: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}{}</svg>", WIDTH, HEIGHT, title, axis, body)


def _x(index: int, count: int) -> float:
    step = (WIDTH - LEFT - 8) / max(count, 1)
    return LEFT + step * index + step / 2


def _y(value: float, top: float) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * (value / top if top else 0)


def _axis(labels: Sequence[str], top: float, unit: str) -> SafeString:
    ticks = [(top * k / 4) for k in range(5)]
    lines = format_html_join("", '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d7de"/>'
                             '<text x="{}" y="{}" font-size="11" fill="#444" text-anchor="end">{}{}</text>',
                             ((LEFT, WIDTH - 8, _n(_y(t, top)), _n(_y(t, top)), LEFT - 4, _n(_y(t, top) + 4),
                               f"{t:.0f}", unit) for t in ticks))
    names = format_html_join("", '<text x="{}" y="{}" font-size="11" fill="#444" text-anchor="middle">{}</text>',
                             ((_n(_x(i, len(labels))), HEIGHT - 8, label) for i, label in enumerate(labels)))
    return format_html("{}{}", lines, names)


def bars(title: str, labels: Sequence[str], values: Sequence[float]) -> SafeString:
    top = max([*values, 1]) * 1.1
    width = (WIDTH - LEFT - 8) / max(len(values), 1) * 0.7
    body = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" fill="#1f6fb2">'
                            "<title>{}: {}</title></rect>",
                            ((_n(_x(i, len(values)) - width / 2), _n(_y(v, top)), _n(width),
                              _n(_y(0, top) - _y(v, top)), labels[i], f"{v:,.0f}") for i, v in enumerate(values)))
    return _frame(title, body, _axis(labels, top, ""))


def line(title: str, labels: Sequence[str], values: Sequence[float | None], top: float = 100) -> SafeString:
    """A line of rates in percent; months without data are gaps."""
    points = [(_x(i, len(values)), _y(v, top), labels[i], v) for i, v in enumerate(values) if v is not None]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _label, _v in points)
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="4" fill="#b2361f"><title>{}: {}%</title></circle>',
                            ((_n(x), _n(y), label, f"{v:.2f}") for x, y, label, v in points))
    body = format_html('<polyline points="{}" fill="none" stroke="#b2361f" stroke-width="2"/>{}', path, dots)
    return _frame(title, body, _axis(labels, top, "%"))
