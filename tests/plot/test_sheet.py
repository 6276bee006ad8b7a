"""The map sheet's own PNG writer and the started (overlapping) map drawing (issue #13)."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402

from cpted_sim.field import Field  # noqa: E402
from cpted_sim.geometry.grid import CalculationGrid  # noqa: E402
from cpted_sim.plot.sheet import MapPanel, MapSpec, png_bytes, start_maps  # noqa: E402
from cpted_sim.plot.style import shared_scale  # noqa: E402


def _field():
    g = CalculationGrid.regular(0.5, -1.5, 19.5, 5.5, 1.0)
    x, y = g.points[:, 0], g.points[:, 1]
    return Field(20.0 * np.exp(-((x - 10) ** 2 + y ** 2) / 60.0) + 0.3, g, "E_h", "lx")


def test_png_bytes_round_trips_the_pixels_and_the_resolution():
    rng = np.random.default_rng(13)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    img = Image.open(io.BytesIO(png_bytes(rgba, 100)))
    assert img.mode == "RGB" and img.size == (53, 37)
    assert np.array_equal(np.asarray(img), rgba[..., :3])  # alpha dropped, as the canvas is opaque
    assert img.info["dpi"] == pytest.approx((100, 100), abs=0.1)  # 3937 px/m


def _specs(tmp_path, n=4):
    a = _field()
    return [MapSpec(tmp_path / f"{i}.png", (MapPanel(str(i), a),), shared_scale([a]),
                    sheet=(f"s{i % 2}",)) for i in range(n)]


def test_one_process_draws_before_start_maps_returns(tmp_path):
    specs = _specs(tmp_path)
    pending = start_maps(specs, processes=1)
    assert pending.processes == 1 and all(s.path.is_file() for s in specs)
    assert pending.wait() == [s.path for s in specs]


def test_started_workers_give_the_same_files_as_one_process(tmp_path):
    one, two = _specs(tmp_path / "one"), _specs(tmp_path / "two")
    start_maps(one, processes=1).wait()
    pending = start_maps(two, processes=2)
    assert pending.processes == 2  # two sheets, two forked workers
    paths = pending.wait()
    assert paths == [s.path for s in two] and pending.wait() is paths
    for a, b in zip(one, two):
        assert a.path.read_bytes() == b.path.read_bytes()
    pending.cancel()  # after wait: nothing left to stop, no error


def test_cancel_stops_the_workers_before_returning(tmp_path):
    specs = _specs(tmp_path, n=6)
    pending = start_maps(specs, processes=2)
    pending.cancel()
    written = {s.path: s.path.stat().st_mtime_ns for s in specs if s.path.is_file()}
    import time

    time.sleep(0.3)  # a worker still running would write more files now
    assert {s.path: s.path.stat().st_mtime_ns for s in specs if s.path.is_file()} == written


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="maps are forked on Linux only")
def test_a_tqdm_monitor_does_not_stop_the_workers_but_another_thread_does(monkeypatch):
    import threading

    from tqdm import tqdm

    import cpted_sim.plot.sheet as sh

    with tqdm(total=2, file=io.StringIO()) as bar:  # starts tqdm's monitor thread (kept alive)
        bar.update(1)
    monitor = next(t for t in threading.enumerate() if type(t).__name__ == "TMonitor")
    main = threading.main_thread()
    # the threads of this process as they would be in a command-line run (other tests of
    # the session may leave threads of their own, so the list is given)
    monkeypatch.setattr(threading, "enumerate", lambda: [main, monitor])
    assert sh.can_fork()  # the command line always has one: its maps must still fork
    other = threading.Thread(target=lambda: None)
    monkeypatch.setattr(threading, "enumerate", lambda: [main, monitor, other])
    assert not sh.can_fork()


def test_facade_and_route_sheets_draw_their_values(tmp_path):
    """A façade has metre axes (no scale bar, no north arrow); a route's values are dots in
    the colours of their scale."""
    from cpted_sim.plot.sheet import MapSheet

    ys, zs = np.meshgrid(np.arange(0.25, 10.0, 0.5), np.arange(0.25, 4.0, 0.5))
    pts = np.column_stack([np.full(ys.size, 3.0), ys.ravel(), zs.ravel()])
    wall = CalculationGrid.from_points(pts, np.tile([-1.0, 0, 0], (ys.size, 1)),
                                       kind="vertical", name="wall")
    f = Field(pts[:, 2] * 10.0, wall, "E_v", "lx")
    sheet = MapSheet((MapPanel("wall", f),))
    sheet.draw(MapSpec(tmp_path / "wall.png", (MapPanel("wall", f),), shared_scale([f])))
    f = sheet.tiles[0].furniture
    assert "scale_bar" not in f and "north_arrow" not in f
    assert f["y_label"] == "height [m]" and f["x_label"].startswith("along the façade")
    assert f["y_ticks"][0] <= 0.0 and f["y_ticks"][-1] >= 3.0  # the wall's 0.25-3.75 m
    assert f["x_ticks"][0] <= 0.0 <= f["x_ticks"][-1]  # along the wall, from its middle
    route = CalculationGrid.along_path([[0.0, 0.0], [40.0, 0.0]], 2.0, name="route")
    r = Field(np.linspace(0.0, 20.0, route.n_points), route, "E_h", "lx")
    sheet = MapSheet((MapPanel("route", r),))
    sheet.draw(MapSpec(tmp_path / "route.png", (MapPanel("route", r),), shared_scale([r])))
    img = np.asarray(Image.open(tmp_path / "route.png").convert("RGB")).astype(int)
    (left, top), box = sheet.layout.cells[0], sheet.tiles[0].ax.bbox
    h = sheet.tiles[0].rgb.shape[0]
    panel = img[top + int(h - box.y1):top + int(h - box.y0), left + int(box.x0):left + int(box.x1)]
    # the brightest class of inferno (15-20 lx: the last dots) is on the panel, pale yellow
    scale = shared_scale([r])
    pale = np.array(scale.cmap(scale.norm(19.9), bytes=True)[:3])
    assert (np.abs(panel - pale).max(axis=2) <= 2).sum() > 40  # measured 105 px (3 dots)
    assert sheet.tiles[0].furniture["north_arrow"] == "N"
