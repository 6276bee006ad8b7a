"""Pillow charts: the hours-of-the-night curves and the polar intensity diagram, read from
their descriptions and checked in their pixels where the lines must fall."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from cpted_sim.io.hours_report import hours_chart
from cpted_sim.photometry import canary
from cpted_sim.plot.charts import (_BOTTOM, _LEFT, _RIGHT, _TOP, TAB10, Canvas, ChartPanel,
                                   LineChart, Series, draw_line_chart, rgb, value_range)
from cpted_sim.plot.polar import draw_polar_chart, polar_chart


def _area(unwatched, full, mean):
    n = len(unwatched)
    return SimpleNamespace(hours=np.arange(20.5, 20.5 + n), unwatched=np.asarray(unwatched),
                           unwatched_full_light=np.asarray(full), mean_E_h=np.asarray(mean))


def _result(variant, areas):
    return SimpleNamespace(variant=variant, hours=SimpleNamespace(areas=areas))


def _results():
    base = _result("base", {"street": _area([0.1, 0.2, 0.5], [0.1, 0.1, 0.1], [8.0, 8.0, 4.0]),
                            "park": _area([1.0, 1.0, 1.0], [0.9, 0.9, 0.9], [1.0, 1.0, 0.5])})
    b = _result("B", {"street": _area([0.05, 0.1, 0.2], [0.05, 0.05, 0.05], [9.0, 9.0, 5.0])})
    return [base, b]


def test_hours_chart_describes_every_area_variant_and_axis():
    chart = hours_chart(_results())
    assert [p.title for p in chart.panels] == ["street: unwatched at night, by hour",
                                               "park: unwatched at night, by hour"]
    street, park = chart.panels
    assert street.x_labels == ("20:30", "21:30", "22:30")
    assert street.y_label == "share of area [%]" and street.y_range == (-2.0, 102.0)
    assert street.right_label == "mean E_h [lx] (base, dotted)"
    labels = [s.label for s in street.series]
    assert labels == ["base: unwatched at night", "base: same, lights at full output",
                      "B: unwatched at night", "B: same, lights at full output",
                      "base: mean E_h [lx] (right axis)"]
    assert np.allclose(street.series[2].y, [5.0, 10.0, 20.0])  # percent
    assert street.series[0].marker and street.series[1].dash == "dashed"
    assert street.series[-1].right and street.series[-1].dash == "dotted"
    assert street.series[0].colour == TAB10[0] and street.series[2].colour == TAB10[1]
    # the right axis spans the mean E_h with Matplotlib's 5 % margins
    assert street.right_range == pytest.approx((4.0 - 0.2, 8.0 + 0.2))
    assert len(park.series) == 3  # B has no park: only the base's lines
    assert [e.label for e in chart.legend] == labels  # each entry once


def test_line_chart_puts_values_where_the_axis_says(tmp_path):
    flat = Series("all", np.array([100.0, 100.0, 100.0]), TAB10[0])
    low = Series("none", np.array([0.0, 0.0, 0.0]), TAB10[1], "dashed")
    chart = LineChart((ChartPanel("t", ("a", "b", "c"), "share [%]", (-2.0, 102.0),
                                  (flat, low), "E [lx]", value_range(np.array([1.0, 2.0]))),),
                      (flat, low))
    dpi = 100
    path = draw_line_chart(chart, tmp_path / "chart.png", dpi)
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    w, h = chart.panel_size
    assert img.shape[1] == round((0.06 + w) * dpi)
    y0, y1 = _TOP * dpi, (h - _BOTTOM) * dpi
    x0, x1 = (0.06 + _LEFT) * dpi, (0.06 + w - _RIGHT) * dpi
    cols = slice(int(x0 + 0.2 * (x1 - x0)), int(x0 + 0.8 * (x1 - x0)))

    def rows_of(colour):
        near = (np.abs(img[:, cols] - np.array(rgb(colour))).sum(axis=2) < 60)
        return np.flatnonzero(near.mean(axis=1) > 0.3)

    def y_of(v):
        return y1 - (v + 2.0) / 104.0 * (y1 - y0)

    blue, orange = rows_of(TAB10[0]), rows_of(TAB10[1])
    assert blue.size and abs(blue.mean() - y_of(100.0)) < 1.3  # measured 0.42 px
    assert orange.size and abs(orange.mean() - y_of(0.0)) < 1.3  # measured 0.08 px
    # the dashed line has gaps along it, the solid one none
    row_b, row_o = int(round(blue.mean())), int(round(orange.mean()))
    lit_b = np.abs(img[row_b, cols] - np.array(rgb(TAB10[0]))).sum(axis=1) < 60
    lit_o = np.abs(img[row_o, cols] - np.array(rgb(TAB10[1]))).sum(axis=1) < 60
    assert lit_b.all()
    assert 0.5 < lit_o.mean() < 0.9  # 3.7 on, 1.6 off: 70 % lit (measured 65 %)
    assert np.count_nonzero(np.diff(lit_o.astype(int)) == 1) > 10


def test_polar_chart_describes_both_planes():
    d = canary(peak_cd=800.0)
    chart = polar_chart(d)
    assert chart.title == d.name and chart.unit == "cd"
    c0, c90 = chart.curves
    assert (c0.label, c0.dash, c90.label, c90.dash) == ("C0 - C180", "solid", "C90 - C270",
                                                        "dashed")
    k = int(np.argmax(c0.r))
    assert c0.theta[k] == pytest.approx(45.0) and c0.r[k] == pytest.approx(800.0)
    assert chart.r_max >= 800.0 and chart.r_ticks[-1] == chart.r_max
    klm = polar_chart(d, per_klm=True)
    assert klm.unit == "cd/klm" and klm.curves[0].r.max() == pytest.approx(800.0e3 / d.flux)


def test_polar_diagram_draws_the_peak_where_it_lies(tmp_path):
    d = canary(peak_cd=700.0)  # inside the outer ring (800 cd)
    chart = polar_chart(d)
    dpi = 100
    img = np.asarray(Image.open(draw_polar_chart(chart, tmp_path / "p.png", dpi))
                     .convert("RGB")).astype(int)
    size = round(4.4 * dpi)
    assert img.shape[:2] == (size, size)
    cx, cy, radius = size / 2.0, size * 0.49, 0.35 * size
    assert chart.r_max == pytest.approx(800.0)
    q = radius * 700.0 / chart.r_max
    near = np.abs(img - np.array(rgb(TAB10[0]))).sum(axis=2) < 80
    # along the spoke at gamma 45 (lower right), the curve lies at the peak's radius
    t = np.arange(0.0, radius, 0.25)
    u = np.radians(45.0)
    on = near[np.round(cy + t * np.cos(u)).astype(int), np.round(cx + t * np.sin(u)).astype(int)]
    assert abs(t[on].max() - q) < 2.25  # measured 0.75 px (the line is 2.2 px wide)
    off = np.radians(-45.0)  # and nothing blue on the mirrored spoke (C180 is dark there)
    assert not near[np.round(cy + t * np.cos(off)).astype(int),
                    np.round(cx + t * np.sin(off)).astype(int)][t > 0.3 * radius].any()
    assert (np.abs(img - np.array(rgb(TAB10[1]))).sum(axis=2) < 80).sum() > 50  # C90 drawn


def test_canvas_dots_and_text_land_on_the_image(tmp_path):
    c = Canvas((1.0, 0.5), 100)
    c.dots(np.array([[20.0, 20.0], [np.nan, 5.0]]), (255, 0, 0), 6.0)
    box = c.text((100.0, 50.0), "lx", 9, "mm")
    assert box[0] < 100 < box[2]
    img = np.asarray(Image.open(c.save(tmp_path / "c.png")))
    assert img.shape[:2] == (50, 100)
    assert tuple(img[10, 10]) == (255, 0, 0)  # the dot, at half the drawing size


@pytest.mark.parametrize("anchor", ["ms", "lm", "la"])
def test_cached_text_equals_pillows_own(anchor):
    from PIL import ImageDraw

    from cpted_sim.plot.colourbar import font, paste_text

    fnt = font(12)
    for xy in ((40.0, 30.0), (40.37, 30.81), (41.5, 29.25)):
        for _ in range(2):  # the second time from the cache
            own = Image.new("RGB", (120, 60), (200, 230, 255))
            ImageDraw.Draw(own).text(xy, "10.5 lx", font=fnt, anchor=anchor, fill=(0, 0, 0))
            cached = Image.new("RGB", (120, 60), (200, 230, 255))
            box = paste_text(cached, xy, "10.5 lx", fnt, anchor)
            assert np.array_equal(np.asarray(own), np.asarray(cached)), (xy, anchor)
            expect = ImageDraw.Draw(own).textbbox(xy, "10.5 lx", font=fnt, anchor=anchor)
            assert np.allclose(box, expect)
