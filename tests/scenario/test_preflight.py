"""Memory limit and preflight: too-large grids, routes, ground planes and runs are refused in
one line naming the estimate and the setting, before anything is allocated."""

from __future__ import annotations

import time

import pytest

from cpted_sim import config
from cpted_sim.errors import MemoryLimitError, ParameterError
from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.scenario import model as m
from cpted_sim.scenario.preflight import check_scenario, estimate_memory
from cpted_sim.scenario.run import run
from cpted_sim.scenario.synthetic import ground_plane

SETTING = "raise max_memory_gb (CLI --max-memory-gb, scenario [run] max_memory_gb"


@pytest.fixture(autouse=True)
def _default_limit(monkeypatch):
    monkeypatch.delenv("CPTED_SIM_MAX_MEMORY_GB", raising=False)
    config.set_max_memory_gb(None)
    yield
    config.set_max_memory_gb(None)


def test_default_limit_env_and_setting(monkeypatch):
    assert config.get_max_memory_gb() == 4.0
    monkeypatch.setenv("CPTED_SIM_MAX_MEMORY_GB", "12.5")
    assert config.get_max_memory_gb() == 12.5
    with config.max_memory(1.5):
        assert config.get_max_memory_gb() == 1.5
    assert config.get_max_memory_gb() == 12.5
    monkeypatch.setenv("CPTED_SIM_MAX_MEMORY_GB", "lots")
    with pytest.raises(ParameterError, match="CPTED_SIM_MAX_MEMORY_GB: expected a number"):
        config.get_max_memory_gb()
    for bad in (0, -1, float("nan"), float("inf"), "x"):
        with pytest.raises(ParameterError, match="max_memory_gb"):
            config.set_max_memory_gb(bad)
    assert config.format_bytes(8e9) == "7.45 GiB"


def test_route_with_micrometre_spacing_is_refused():
    with pytest.raises(MemoryLimitError) as exc:
        CalculationGrid.along_path([[0.0, 0.0], [50.0, 0.0]], 1e-6, name="walk")
    msg = str(exc.value)
    # 50,000,000 points x 112 B
    assert "path 'walk': 50,000,000 points (50.0 m every 1e-06 m) needs about 5.22 GiB" in msg
    assert "use a larger spacing" in msg and SETTING in msg and "\n" not in msg


def test_ground_plane_with_100000_cells_is_refused():
    with pytest.raises(MemoryLimitError, match=r"ground_plane: 100000 x 100000 cells needs about "
                                               r"16\.4 TiB .* more than max_memory_gb = 4 GB"):
        ground_plane(100.0, 100_000)
    ground_plane(100.0, 10)  # small ones are fine


def test_grid_of_49_9_million_points_is_refused_under_4_gb():
    with pytest.raises(MemoryLimitError, match=r"grid 'street': 7064 x 7064 points needs about "
                                               r"5\.95 GiB"):
        CalculationGrid.regular(0.0, 0.0, 7064.0, 7064.0, 1.0, name="street")
    with config.max_memory(8.0):  # the limit is the only thing that stopped it
        with pytest.raises(MemoryLimitError, match="needs about 5.95 GiB"):
            with config.max_memory(5.0):
                CalculationGrid.regular(0.0, 0.0, 7064.0, 7064.0, 1.0, name="street")


def _scenario(spacing=1.0, path_spacing=1.0, cells=1, **run_kw):
    return m.Scenario(
        "yard", m.SceneSpec(m.GeometrySpec(builtin="ground_plane",
                                           params={"size": 100.0, "cells": cells})),
        areas=(m.AreaSpec("plaza", "grid", polygon=((0, 0), (40, 0), (40, 40), (0, 40)),
                          spacing=spacing, quantities=("E_h",)),
               m.AreaSpec("walk", "route", path=((0, 0), (40, 0)), spacing=path_spacing,
                          quantities=("E_h",))),
        settings=m.RunSettings(**run_kw))


def test_estimate_and_check_scenario():
    est = estimate_memory(_scenario())
    # 1600 points x (140 + 2 x 20) B; 40 route points; the one-cell ground plane
    assert est == {"scene": 1800.0, "plaza": 1600 * 180.0, "walk": 40 * 180.0}
    check_scenario(_scenario())
    t0 = time.perf_counter()
    with pytest.raises(MemoryLimitError, match=r"largest: 'walk' with .* use a larger spacing "
                                               r"in area 'walk'"):
        run(_scenario(path_spacing=1e-8))
    # nothing was computed: measured 0.2 ms; no timing assertion, printed for the record
    print(f"refused in {time.perf_counter() - t0:.4f} s")
    with pytest.raises(MemoryLimitError, match="more than max_memory_gb = 0.0001 GB"):
        run(_scenario(spacing=0.05, max_memory_gb=1e-4))
    with pytest.raises(MemoryLimitError, match="use a larger spacing or fewer cells"):
        check_scenario(_scenario(cells=100_000))
    with pytest.raises(ParameterError, match="run.max_memory_gb"):
        m.RunSettings(max_memory_gb=-1.0)


@pytest.mark.parametrize("name,match", [("a/b", "'/'"), ("", "must not be empty"),
                                        ("two\nlines", "control characters")])
def test_bad_area_names_fail_before_computing(name, match):
    sc = _scenario()
    sc = m.Scenario(sc.name, sc.scene, areas=(sc.areas[0], m.AreaSpec(
        name, "route", path=((0, 0), (4, 0)), quantities=("E_h",))))
    with pytest.raises(ParameterError, match=match) as exc:
        run(sc)
    assert str(exc.value).startswith("areas[1].name")


def test_variant_names_that_clash_after_slugging_are_refused():
    sc = _scenario()
    with pytest.raises(ParameterError,
                       match="variant names: 'base' and 'Base' would share the file name"):
        check_scenario(sc, variants=[m.Variant("Base", ())])
    check_scenario(sc, variants=[m.Variant("North side", ()), m.Variant("North-side", ())])


def test_scenario_file_run_max_memory_gb(tmp_path):
    from cpted_sim.errors import ScenarioFileError
    from cpted_sim.io.scenario_file import loads_scenario

    text = ('name = "yard"\n[scene]\nbuiltin = "ground_plane"\n[run]\nmax_memory_gb = 0.5\n'
            '[[areas]]\nname = "a"\nkind = "grid"\npolygon = [[0, 0], [400, 0], [400, 400], '
            '[0, 400]]\nspacing = 0.1\nquantities = ["E_h"]\n')
    sc = loads_scenario(text, base_dir=tmp_path)
    assert sc.settings.max_memory_gb == 0.5
    with pytest.raises(MemoryLimitError, match=r"more than max_memory_gb = 0\.5 GB"):
        check_scenario(sc)  # 16 M points x 180 B = 2.7 GiB
    check_scenario(sc, max_memory_gb=4.0)  # an explicit limit (the CLI's) wins
    from cpted_sim.io.scenario_file import dumps_scenario

    again = loads_scenario(dumps_scenario(sc, base_dir=tmp_path), base_dir=tmp_path)
    assert again.settings.max_memory_gb == 0.5  # written back by the scenario writer
    with pytest.raises(ScenarioFileError, match=r"run\.max_memory_gb"):
        loads_scenario(text.replace("0.5", "-2"), base_dir=tmp_path)


def test_area_names_whose_file_names_would_collide_are_refused():
    sc = _scenario()
    a = sc.areas[0]
    clash = m.Scenario(sc.name, sc.scene, areas=(a, m.AreaSpec(
        "plaza_night", "grid", polygon=a.polygon, quantities=("E_h",))))
    # map_plaza_night_surveillance_count.png: area plaza + night_surveillance_count, or
    # area plaza_night + surveillance_count
    with pytest.raises(ParameterError, match="area names 'plaza' and 'plaza_night' would share"):
        check_scenario(clash)
    ok = m.Scenario(sc.name, sc.scene, areas=(a, m.AreaSpec(
        "plaza night", "grid", polygon=a.polygon, quantities=("E_h",))))
    check_scenario(ok)  # its slug carries a hash


def test_facade_grid_with_tiny_spacing_is_refused():
    from cpted_sim.scenario.synthetic import street_canyon

    scene = street_canyon(30.0, 12.0, 6.4).scene
    for spacing, match in ((1e-3, r"on_faces: [\d,]+ points needs about [\d.]+ [GT]iB"),
                           (1e-300, r"on_faces: inf points")):  # no integer overflow
        with pytest.raises(MemoryLimitError, match=match):
            CalculationGrid.on_faces(scene, ["facade"], spacing)
    assert CalculationGrid.on_faces(scene, ["facade"], 1.0).n_points > 1000  # measured 13216
