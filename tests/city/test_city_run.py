"""A town cut into tiles gives the uncut town's fields; resuming gives the same result
(cpted_sim.city.run, job, merge)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.city import prepare_job, run_city, write_town
from cpted_sim.city.job import tile_inputs
from cpted_sim.city.tiling import plan_tiles
from cpted_sim.io.scenario_file import load_scenario
from cpted_sim.scenario.run import run

QUANTITIES = ("E_h", "E_sc", "surveillance_count", "surveillance_weight",
              "night_surveillance_count", "night_surveillance_weight", "dark_and_unseen")


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """2 x 2 districts of ~2500 triangles (~210 m square), 2 m grid, 30 m halo."""
    folder = tmp_path_factory.mktemp("town")
    info = write_town(folder, target_triangles=10_000, districts=2, spacing=2.0,
                      light_range=30.0, sight_range=25.0, epsg=28992)
    return folder, info, load_scenario(folder / "town.toml")


@pytest.fixture(scope="module")
def uncut(town, tmp_path_factory):
    folder, _, sc = town
    out = tmp_path_factory.mktemp("uncut")
    res = run_city(sc, out, town=folder, scheduler="synchronous")   # tile from the 2 GB budget
    assert res["tiles"] == 1 and res["tile_size"] > 210.0
    with np.load(out / "city_fields.npz") as z:
        return {k: z[k] for k in z.files}, out


def _fields(out):
    with np.load(out / "city_fields.npz") as z:
        return {k: z[k] for k in z.files}


def test_four_tiles_equal_the_uncut_town(town, uncut, tmp_path):
    folder, info, sc = town
    whole, _ = uncut
    res = run_city(sc, tmp_path, town=folder, scheduler="synchronous", tile_size=106.0)
    assert res["tiles"] == 4 and res["halo"] == 30.0
    # the halo really cuts: each tile holds part of the town's triangles and lights
    for i in res["infos"]:
        assert 0 < i["triangles"] < info["triangles"]
        assert 0 < i["luminaires"] < info["lights"]
    cut = _fields(tmp_path)
    for q in QUANTITIES:
        a, b = cut[q], whole[q]
        assert np.isfinite(a).sum() > 5_000        # 6,071 of 10,816: the rest inside buildings
        # exact: the same triangles, lights and observers reach every point
        assert np.array_equal(a, b, equal_nan=True), q
    assert np.nanmax(whole["E_h"]) > 5.0


def test_merged_outputs(uncut):
    _, out = uncut
    for name in ("E_h.tif", "E_sc.tif", "night_surveillance_weight.tif",
                 "dark_and_unseen.tif", "streets.gpkg", "worst_streets.csv", "overview.png"):
        assert (out / name).is_file(), name
    rows = (out / "worst_streets.csv").read_text().splitlines()
    assert rows[0].startswith("rank,segment,street,length_m")
    assert len(rows) > 20
    share = [float(r.split(",")[9]) for r in rows[1:]]
    assert share == sorted(share, reverse=True)        # worst first
    import pyogrio

    meta = pyogrio.read_info(out / "streets.gpkg", layer="street_segments")
    assert meta["features"] == len(rows) - 1
    assert "dark_and_unseen_share" in list(meta["fields"])


def test_interrupted_run_resumes_to_the_same_result(town, uncut, tmp_path):
    folder, _, sc = town
    job = prepare_job(sc, tmp_path, town=folder)
    keys = [t.key for t in plan_tiles(job.grid.shape, job.grid.transform, 53, job.halo)]
    first = run_city(sc, tmp_path, town=folder, scheduler="synchronous", tile_size=106.0,
                     only=keys[:2])
    assert first["computed"] == 2 and not first["complete"]
    assert not (tmp_path / "city_fields.npz").exists()
    # a tile killed while writing leaves only a temporary file, never a tile
    (tmp_path / "tiles" / f".{keys[2]}.999.tmp.npz").write_bytes(b"partial")
    second = run_city(sc, tmp_path, town=folder, scheduler="synchronous", tile_size=106.0)
    assert second["skipped"] == 2 and second["computed"] == 2
    again = _fields(tmp_path)
    whole, _ = uncut
    for q in QUANTITIES:
        assert np.array_equal(again[q], whole[q], equal_nan=True), q


def test_resuming_a_different_job_is_refused(town, tmp_path):
    from dataclasses import replace

    from cpted_sim.errors import ParameterError

    folder, _, sc = town
    run_city(sc, tmp_path, town=folder, scheduler="synchronous", tile_size=106.0,
             only=["none"])
    other = replace(sc, settings=replace(sc.settings, max_distance=35.0))
    with pytest.raises(ParameterError, match="different city run"):
        run_city(other, tmp_path, town=folder, scheduler="synchronous", tile_size=106.0)


def test_a_scenario_file_tiled_equals_scenario_run(tmp_path):
    """The demo street through the city path (6 m tiles) equals cpted_sim.run, exactly."""
    from cpted_sim.scenario.demo import demo_scenario_path

    sc = load_scenario(demo_scenario_path())
    res = run_city(sc, tmp_path, scheduler="synchronous", tile_size=7.0)
    assert res["tiles"] > 4
    ref = run(sc, quiet=True).areas["street"]
    got = _fields(tmp_path)
    for q in QUANTITIES:
        want = ref.grid.to_raster(ref.fields[q].values)
        assert np.array_equal(got[q], want, equal_nan=True), q


def test_tile_inputs_respect_the_ranges(town, tmp_path):
    folder, _, sc = town
    job = prepare_job(sc, tmp_path, town=folder)
    t = plan_tiles(job.grid.shape, job.grid.transform, 20, job.halo)[0]
    scene, lums, obs, idx = tile_inputs(job, t)
    x0, y0, x1, y1 = t.box
    for lum in lums:
        dx = max(x0 - lum.position[0], lum.position[0] - x1, 0.0)
        dy = max(y0 - lum.position[1], lum.position[1] - y1, 0.0)
        assert np.hypot(dx, dy) <= 30.0
    all_pos = np.array([lum.position for lum in job.luminaires])
    far = (all_pos[:, 0] > x1 + 31) | (all_pos[:, 1] > y1 + 31)
    assert far.any() and len(lums) <= (~far).sum()
    assert idx.size == 400


def test_cli_city(town, uncut, tmp_path, capsys):
    from cpted_sim.cli import main

    folder, _, _ = town
    args = ["city", str(folder / "town.toml"), "--town", str(folder), "--out", str(tmp_path),
            "--scheduler", "synchronous", "--tile-size", "106"]
    assert main(args) == 0
    err = capsys.readouterr()
    assert "4 tiles" in err.out and "halo 30 m" in err.err
    assert main(args) == 0                              # the rerun skips every tile
    assert "4 already done" in capsys.readouterr().out
    whole, _ = uncut
    assert np.array_equal(_fields(tmp_path)["E_h"], whole["E_h"], equal_nan=True)


def test_a_real_city_model_tiled_equals_scenario_run(shared_data, tmp_path):
    """The Delft street (3dfier model, BGT areas, generated windows, pole rows) in 20 m tiles
    equals cpted_sim.run on its first area, draped grid and all."""
    from pathlib import Path

    toml = Path(__file__).resolve().parents[2] / "examples" / "delft_street" / "delft_street.toml"
    sc = load_scenario(toml, allow_outside_files=True)
    with pytest.warns(Warning):
        res = run_city(sc, tmp_path, scheduler="synchronous", tile_size=20.0)
    assert res["tiles"] >= 4 and res["complete"]
    with pytest.warns(Warning):
        ref = run(sc, quiet=True).areas[sc.areas[0].name]
    got = _fields(tmp_path)
    for q in ("E_h", "night_surveillance_weight", "dark_and_unseen"):
        want = ref.grid.to_raster(ref.fields[q].values)
        assert np.array_equal(got[q], want, equal_nan=True), q
    assert (tmp_path / "E_h.tif").is_file()


def test_a_changed_scene_is_refused_on_resume(tmp_path):
    from dataclasses import replace

    from cpted_sim.errors import ParameterError
    from cpted_sim.scenario.demo import demo_scenario_path

    sc = load_scenario(demo_scenario_path())
    run_city(sc, tmp_path, scheduler="synchronous", tile_size=30.0, only=["none"])
    other = replace(sc, removed_groups=("hedge",))
    with pytest.raises(ParameterError, match="different scene"):
        run_city(other, tmp_path, scheduler="synchronous", tile_size=30.0, only=["none"])


def test_the_town_grid_is_draped_as_scenario_run_places_a_grid(town, tmp_path):
    """Each tile drapes its points on the walkable surface and leaves out those inside
    buildings; on the whole town that is what cpted_sim.run's placement does."""
    from dataclasses import replace

    from cpted_sim.city.job import drape_tile
    from cpted_sim.errors import CptedWarning
    from cpted_sim.geometry.grid import CalculationGrid
    from cpted_sim.scenario import terrain

    folder, _, sc = town
    job = prepare_job(sc, tmp_path, town=folder)
    assert job.drape == "surface"
    t = plan_tiles(job.grid.shape, job.grid.transform, 1000, job.halo)[0]
    scene, _, _, idx = tile_inputs(job, t)
    grid = CalculationGrid(job.grid.points[idx], None, "plane")
    draped, kept = drape_tile(job, grid, scene)
    assert 5_000 < kept.size < 0.6 * idx.size          # 6,071 of 10,816: the rest in buildings
    area = replace(job.area, height_reference="surface")
    with pytest.warns(CptedWarning, match="inside buildings"):
        placed, excluded = terrain.place_grid(area, grid, scene, job.scenario)
    assert excluded == idx.size - kept.size
    assert np.allclose(placed.points, draped.points, rtol=0, atol=1e-6)
    flat = prepare_job(replace(sc, areas=(replace(sc.areas[0], height_reference="absolute"),)),
                       tmp_path / "flat", town=folder)
    assert flat.drape is None
