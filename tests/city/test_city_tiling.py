"""Tiles with halos: cover, halo boxes, tile size from a memory budget (cpted_sim.city.tiling)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.city.tiling import plan_tiles, tile_points, tile_size_for_budget
from cpted_sim.errors import ParameterError


def test_tiles_cover_every_cell_once():
    shape, transform = (23, 37), (0.5, 10.5, 1.0, 1.0)
    tiles = plan_tiles(shape, transform, 10, 15.0)
    assert len(tiles) == 3 * 4
    hits = np.zeros(shape, dtype=int)
    for t in tiles:
        hits[t.r0:t.r1, t.c0:t.c1] += 1
    assert (hits == 1).all()
    first = tiles[0]
    assert first.box == pytest.approx((0.0, 10.0, 10.0, 20.0))
    assert first.halo_box == pytest.approx((-15.0, -5.0, 25.0, 35.0))


def test_tile_points_select_the_block():
    cols = 7
    ri = np.arange(5 * cols)
    t = plan_tiles((5, cols), (0.0, 0.0, 1.0, 1.0), 3, 0.0)[1]   # rows 0..2, cols 3..5
    idx = tile_points(ri, cols, t)
    assert sorted(idx.tolist()) == [3, 4, 5, 10, 11, 12, 17, 18, 19]


def test_tile_size_grows_with_the_budget_and_shrinks_with_the_halo():
    s1 = tile_size_for_budget(2 * 2**30, 5.0, 50.0, 1.0)
    s2 = tile_size_for_budget(4 * 2**30, 5.0, 50.0, 1.0)
    s3 = tile_size_for_budget(2 * 2**30, 5.0, 150.0, 1.0)
    assert s2 > s1 > s3 > 0
    assert s1 % 1.0 == 0.0


def test_tile_size_refuses_a_budget_too_small():
    with pytest.raises(ParameterError, match="memory budget"):
        tile_size_for_budget(0.5 * 2**30, 50.0, 500.0, 1.0)


def test_the_core_imports_without_dask_and_a_run_names_the_extra(monkeypatch, tmp_path):
    import subprocess
    import sys

    code = ("import sys, cpted_sim, cpted_sim.city; "
            "assert not any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)

    from cpted_sim.city import run as city_run
    from cpted_sim.errors import EngineUnavailableError

    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(EngineUnavailableError, match=r"pip install 'cpted_sim\[city\]'"):
        city_run._distributed()


def test_workers_times_threads_is_the_cores():
    from cpted_sim.city import default_workers

    w, t = default_workers()
    assert w >= 1 and t == 1
    w, t = default_workers(1)
    assert w == 1 and t >= 1
    with pytest.raises(ParameterError, match="workers"):
        default_workers(0)
