"""Maps that read on their own: scale bar, north arrow, legend, plain colour-bar labels.

Every map type is rendered and checked from the figure's artists (not its pixels): the scale
bar (gid ``scale_bar``, a round length in m), the north arrow (gid ``north_arrow`` with an
"N"), a legend entry for every symbol drawn and a colour-bar label with the unit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import make_comparison  # noqa: E402

import cpted_sim.plot.compare as pc  # noqa: E402
from cpted_sim.field import Field  # noqa: E402
from cpted_sim.geometry.grid import CalculationGrid  # noqa: E402
from cpted_sim.geometry.scene import Material, Scene  # noqa: E402
from cpted_sim.photometry import Luminaire, isotropic  # noqa: E402
from cpted_sim.plot.maps import dark_unseen_map, field_map  # noqa: E402
from cpted_sim.plot.sheet import MapPanel, MapSheet, MapSpec, render_maps  # noqa: E402
from cpted_sim.plot.style import difference_scale, shared_scale  # noqa: E402

ALL_SYMBOLS = ["road", "pavement or path", "grass or garden", "water", "building",
               "tree or hedge", "calculation area", "street light",
               "observer (window, door or walker)"]


def _quad(x0, y0, x1, y1, z=0.0):
    v = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]], dtype=float)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def _box(x0, y0, x1, y1, h):
    v = np.array([[x0, y0, 0], [x1, y0, 0], [x1, y1, 0], [x0, y1, 0],
                  [x0, y0, h], [x1, y0, h], [x1, y1, h], [x0, y1, h]], dtype=float)
    f = np.array([[4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5],
                  [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])
    return v, f


def town():
    """A canal, a hedge, a road, a sidewalk, a garden and a house, by group name and tag."""
    parts = [("canal", _quad(0, -6, 40, -3)), ("verge_planting", _box(0, -3, 40, -2, 1.2)),
             ("road", _quad(0, -2, 40, 6)), ("sidewalk", _quad(0, 6, 40, 8)),
             ("garden", _quad(0, 8, 40, 9.5)), ("house", _box(5, 9.5, 35, 17, 8))]
    verts, faces, groups, n = [], [], [], 0
    for name, (v, f) in parts:
        verts.append(v)
        faces.append(f + n)
        groups += [name] * len(f)
        n += len(v)
    # "verge_planting" would be grass by its name; its material's tag makes it a hedge
    return Scene.from_arrays(np.vstack(verts), np.vstack(faces), np.array(groups),
                             materials={"verge_planting": Material(tags=("hedge",))})


@pytest.fixture(scope="module")
def scene():
    return town()


@pytest.fixture(scope="module")
def lums():
    return [Luminaire(isotropic(500.0), (x, -1.0, 6.0), name=f"L{i}", maintenance_factor=1.0)
            for i, x in enumerate((10.0, 30.0))]


OBSERVERS = np.array([[8.0, 9.4, 4.0], [20.0, 9.4, 4.0], [32.0, 9.4, 4.0]])  # windows


def _field(quantity="E_h", unit="lx", spacing=1.0):
    g = CalculationGrid.regular(0.5, -1.5, 39.5, 7.5, spacing)
    x, y = g.points[:, 0], g.points[:, 1]
    values = 20.0 * np.exp(-((x - 10) ** 2 + y ** 2) / 60.0) + 0.3
    return Field(values, g, quantity, unit)


def _texts(artists):
    return [a.get_text() for a in artists if hasattr(a, "get_text")]


def check_panels(panels, *, north=True):
    """Every panel has its scale bar (as long as it says) and, in plan, its north arrow."""
    assert panels
    for ax in panels:
        arts = [*ax.patches, *ax.texts]
        bar = [a for a in arts if a.get_gid() == "scale_bar"]
        assert len(bar) == 3, "scale bar: two halves and a label"
        (text,) = _texts(bar)
        length = float(text.split()[0])
        assert text.endswith(" m") and length in {1, 2, 5, 10, 20, 50, 100, 200, 500}
        # the bar is as long as it says, in data units (metres)
        width = sum(a.get_width() for a in bar if hasattr(a, "get_width"))
        assert width == pytest.approx(length)
        arrow = [a for a in ax.texts if a.get_gid() == "north_arrow"]
        if north:
            assert "N" in _texts(arrow) and len(arrow) == 2


def check_map(fig, *, label: str, symbols=ALL_SYMBOLS, north=True):
    """The checks of the acceptance test, on one rendered figure."""
    check_panels([ax for ax in fig.axes if ax.get_gid() != "colorbar"], north=north)
    (leg,) = fig.legends
    assert [t.get_text() for t in leg.get_texts()] == symbols
    (cbar,) = [ax for ax in fig.axes if ax.get_gid() == "colorbar"]
    assert cbar.get_ylabel() == label


def check_sheet(sheet, *, label: str, symbols=ALL_SYMBOLS, north=True):
    """The same checks on a map sheet, which draws with Pillow from descriptions: what its
    plan tiles say they drew (scale bar as long as it says, north arrow), its legend's
    labels, what its colour bar shows."""
    for t in sheet.tiles:
        f = t.furniture
        length = float(f["scale_bar"].split()[0])
        assert f["scale_bar"].endswith(" m") and length in {1, 2, 5, 10, 20, 50, 100, 200, 500}
        assert f["scale_bar_length"] == length
        # drawn as long as it says: metres times the panel's pixels per metre, to 1 px
        assert f["scale_bar_px"] == pytest.approx(length * t.ax.scale, abs=1.0)
        if north:
            assert f["north_arrow"] == "N"
    assert sheet.legend == symbols
    assert sheet.colourbar.label == label
    assert len(sheet.colourbar.ticks) == len(sheet.colourbar.tick_labels) >= 2


def test_field_map_reads_on_its_own(scene, lums):
    fig = field_map(_field(), scene=scene, luminaires=lums, observers=OBSERVERS)
    check_map(fig, label="Horizontal illuminance [lx]")


def test_count_map_has_a_plain_label(scene):
    f = _field("surveillance_count", "1")
    f = f.with_values(np.round(f.values / 4.0))
    fig = field_map(f, scene=scene)
    check_map(fig, label="Number of observers who see the point",
              symbols=["road", "pavement or path", "grass or garden", "water", "building",
                       "tree or hedge", "calculation area"])


def test_dark_unseen_map_reads_on_its_own(scene, lums):
    f = _field()
    dark = f.with_values((f.values < 1.0).astype(float))
    seen = f.with_values((f.grid.points[:, 1] > 3.0).astype(float))
    fig = dark_unseen_map({"dark": dark, "unobserved": seen}, scene=scene, luminaires=lums,
                          observers=OBSERVERS)
    check_map(fig, label="Light and sight at night")


@pytest.fixture
def captured(monkeypatch):
    figs = []
    real = pc.save_figure

    def spy(fig, path, dpi=100):
        figs.append(fig)
        return real(fig, path, dpi=dpi)

    monkeypatch.setattr(pc, "save_figure", spy)
    return figs


def test_variant_and_difference_maps_read_on_their_own(scene, lums, captured, tmp_path):
    a = _field()
    b = a.with_values(a.values * 1.5)
    pc.variant_maps({"base": a, "B": b}, tmp_path / "v.png", scenes=scene, luminaires=lums,
                    observers=OBSERVERS)
    pc.difference_maps({"B": b - a}, tmp_path / "d.png", scenes=scene, luminaires=lums,
                       observers=OBSERVERS)
    check_map(captured[0], label="Horizontal illuminance [lx]")
    check_map(captured[1], label="Change in horizontal illuminance [lx]\n"
                                 "(variant − base; 0 = no change)")
    # the difference scale stays centred on 0
    (im,) = [im for ax in captured[1].axes for im in ax.images]
    assert im.norm.vmin == -im.norm.vmax


def test_dark_unseen_panels_read_on_their_own(captured, tmp_path):
    c = make_comparison(spacing=2.0)
    per = {r.variant: r.areas["street"].fields for r in (c.base, *c.variants)}
    pc.dark_unseen_panels(per, tmp_path / "du.png", scenes=c.base.scene,
                          luminaires=tuple(c.base.luminaires))
    check_map(captured[0], label="Light and sight at night",
              symbols=["building", "calculation area", "street light"])


def test_a_sheet_map_reads_on_its_own(scene, lums, tmp_path):
    a = _field()
    panels = (MapPanel("base", a, scene=scene, luminaires=tuple(lums), observers=OBSERVERS),)
    sheet = MapSheet(panels)
    p = sheet.draw(MapSpec(tmp_path / "s.png", panels, shared_scale([a])))
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check_sheet(sheet, label="Horizontal illuminance [lx]")
    # lux classes: a tick at every class break, labelled with its value
    assert sheet.colourbar.ticks == shared_scale([a]).ticks
    # the next map on the sheet takes the colour bar over, with its own label
    d = a.with_values(a.values - 1.0)
    diff = (MapPanel("B − base", d, scene=scene, luminaires=tuple(lums), observers=OBSERVERS),)
    assert sheet.fits(MapSpec(tmp_path / "d.png", diff, difference_scale([d])))
    sheet.draw(MapSpec(tmp_path / "d.png", diff, difference_scale([d]), contours=False))
    check_sheet(sheet, label="Change in horizontal illuminance [lx]\n"
                             "(variant − base; 0 = no change)")
    assert "0" in sheet.colourbar.tick_labels  # a difference scale is centred on 0


def _drawn_alone(spec, path, dpi):
    """The map of ``spec`` as a figure of its own (plan_map on each panel, as before sheets)."""
    from cpted_sim.plot.maps import finish_figure, map_figure, plan_map

    p0 = spec.panels[0]
    fig, axes = map_figure(p0.field.grid, len(spec.panels), symbols=True)
    m = None
    for ax, p in zip(axes, spec.panels):
        m = plan_map(ax, p.field, scene=p.scene, luminaires=p.luminaires, scale=spec.scale,
                     contours=spec.contours, title=p.title, observers=p.observers)
    return finish_figure(fig, axes, m, spec.scale, path, dpi=dpi)


def _read(path):
    from matplotlib.image import imread

    return imread(path)[..., :3]


def _differ_beyond_1px(s, p):
    """Pixels of ``s`` that differ from every pixel of ``p`` within one pixel of them."""
    best = None
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            d = np.abs(s - np.roll(np.roll(p, dy, 0), dx, 1)).max(axis=2)
            best = d if best is None else np.minimum(best, d)
    return best > 0.1


def test_sheet_maps_equal_maps_drawn_alone(scene, lums, tmp_path):
    """A sheet (context drawn by Pillow, values put into the pixels) gives the picture that
    Matplotlib draws of the same map in a figure of its own: same layout, same colours,
    every edge within a pixel; what differs beyond that is text (Pillow against Agg), the
    dash phase of the outline and the star's corners. Isolines: next test."""
    a = _field()
    panels = (MapPanel("base", a, scene=scene, luminaires=tuple(lums), observers=OBSERVERS),)
    sheet = MapSheet(panels, dpi=100)
    sheet.draw(MapSpec(tmp_path / "s.png", panels, shared_scale([a]), contours=False))
    _drawn_alone(MapSpec(tmp_path / "p.png", panels, shared_scale([a]), contours=False),
                 tmp_path / "p.png", 100)
    s, p = _read(tmp_path / "s.png"), _read(tmp_path / "p.png")
    assert s.shape == p.shape
    differ = _differ_beyond_1px(s, p)
    # inside the panel (values, city, markers, scale bar; the title band left out)
    (left, top), (cw, ch) = sheet.layout.cells[0], sheet.layout.cell
    box = sheet.tiles[0].ax.bbox
    r0, r1 = top + int(ch - box.y1) + 2, top + int(ch - box.y0) - 2
    c0, c1 = left + int(box.x0) + 2, left + int(box.x1) - 2
    assert differ[r0:r1, c0:c1].mean() < 0.03  # measured 0.0103
    # the whole picture, titles, legend and colour bar included: measured 0.0113
    assert differ.mean() < 0.034


def test_sheet_isolines_lie_on_the_class_breaks(scene, lums, tmp_path):
    """The isolines a sheet draws run where Matplotlib's contour draws them: nearly every
    pixel they change lies within 2 px of one that Matplotlib's changes."""
    from scipy.ndimage import binary_dilation

    a = _field()
    panels = (MapPanel("base", a, scene=scene, luminaires=tuple(lums), observers=OBSERVERS),)
    sheet = MapSheet(panels, dpi=100)
    drawn = {}
    for contours in (False, True):
        name = f"s{contours:d}.png"
        sheet.draw(MapSpec(tmp_path / name, panels, shared_scale([a]), contours=contours))
        _drawn_alone(MapSpec(tmp_path / f"p{name}", panels, shared_scale([a]),
                             contours=contours), tmp_path / f"p{name}", 100)
        drawn[contours] = (_read(tmp_path / name), _read(tmp_path / f"p{name}"))
    ours = np.abs(drawn[True][0] - drawn[False][0]).max(axis=2) > 0.1
    theirs = np.abs(drawn[True][1] - drawn[False][1]).max(axis=2) > 0.1
    assert ours.sum() > 600  # measured 1,761 px of isolines (Matplotlib's: 2,528)
    near = binary_dilation(theirs, iterations=2)
    assert (ours & ~near).sum() / ours.sum() < 0.01  # measured 0.0


def test_parallel_rendering_writes_the_same_files(tmp_path, monkeypatch):
    import cpted_sim.plot.sheet as sh

    forked = []
    real = sh._start_forked
    monkeypatch.setattr(sh, "_start_forked", lambda *a: forked.append(real(*a)) or forked[-1])
    c = make_comparison(spacing=2.0)
    one = pc.comparison_maps(c, tmp_path / "one", processes=1)
    assert forked == []
    two = pc.comparison_maps(c, tmp_path / "two", processes=2)
    assert len(forked) == 1 and forked[0][0] is not None  # the workers drew the maps
    assert [im.path.name if im.path else None for im in one] == \
        [im.path.name if im.path else None for im in two]
    for a, b in zip(one, two):
        if a.path is not None:
            assert a.path.read_bytes() == b.path.read_bytes()


def _die(i):
    import os

    os._exit(3)  # a worker killed (out of memory, ...)


def test_a_broken_pool_falls_back_to_drawing_here(tmp_path, monkeypatch, caplog):
    import cpted_sim.plot.sheet as sh

    monkeypatch.setattr(sh, "_render_index", _die)
    a = _field()
    specs = [MapSpec(tmp_path / f"{i}.png", (MapPanel(str(i), a),), shared_scale([a]),
                     sheet=(f"s{i}",)) for i in range(2)]
    assert render_maps(specs, processes=2) == [s.path for s in specs]
    assert all(s.path.is_file() for s in specs)
    assert "drawing the maps in this process" in caplog.text


def test_render_maps_keeps_the_order_of_its_specs(tmp_path):
    a = _field()
    specs = [MapSpec(tmp_path / f"{i}.png", (MapPanel(str(i), a),), shared_scale([a]),
                     sheet=(f"s{i % 2}",)) for i in range(4)]
    paths = render_maps(specs, processes=2)
    assert paths == [s.path for s in specs] and all(p.is_file() for p in paths)
