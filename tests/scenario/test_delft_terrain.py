"""The real Delft street of issue 12 (../shared/data/city/delft_3dfier, skipped where absent):
the naive scenario that once reported "100 % dark and unwatched" silently now stops or warns,
and grids draped on the street lie on the surface an independent downward Embree ray finds."""

from __future__ import annotations

import json
import textwrap
import warnings

import numpy as np
import pytest

from cpted_sim.cli import main
from cpted_sim.errors import CptedWarning

OBJ = "city/delft_3dfier/testarea.obj"
BGT = "city/delft_3dfier/bgt_wegdeel.geojson"
IES = "photometry/ies/rab_1.ies"
#: BGT features of the issue: the carriageway (45 vertices) and a sidewalk (166 vertices).
CARRIAGEWAY, SIDEWALK = 89, 51


def _ring(shared: object, index: int) -> list[list[float]]:
    data = json.loads((shared / BGT).read_text(encoding="utf-8"))
    ring = np.asarray(data["features"][index]["geometry"]["coordinates"][0])[:, :2]
    return [[round(float(x), 3), round(float(y), 3)] for x, y in ring]


def _toml(shared, *, area_extra="", observers='kind = "window"\ngroups = ["Building"]',
          scene_extra="", mesh=None, ies=None) -> str:
    road = _ring(shared, CARRIAGEWAY)
    mid = np.mean(np.asarray(road), axis=0)
    return textwrap.dedent(f'''\
        name = "delft street"
        [scene]
        mesh = "{mesh or (shared / OBJ).as_posix()}"
        {scene_extra}

        [[luminaires]]
        name = "L1"
        photometry = "{ies or (shared / IES).as_posix()}"
        position = [{mid[0]:.3f}, {mid[1]:.3f}, 6.0]

        [[areas]]
        name = "carriageway"
        kind = "grid"
        polygon = {road}
        spacing = 2.0
        height = 0.0
        quantities = ["E_h", "surveillance"]
        {area_extra}

        [[areas]]
        name = "sidewalk"
        kind = "grid"
        polygon = {_ring(shared, SIDEWALK)}
        spacing = 2.0
        height = 0.0
        quantities = ["E_h"]
        {area_extra}

        [[observers]]
        name = "houses"
        {observers}
        ''')


@pytest.fixture
def write(shared_data, tmp_path):
    """A scenario file beside copies of the mesh and the IES file (scenario files may only
    name files in their own folder), as a user would lay out a study."""
    import shutil

    for rel in (OBJ, OBJ.replace("testarea.obj", "3dfier.mtl"), IES):
        shutil.copyfile(shared_data / rel, tmp_path / rel.rsplit("/", 1)[-1])

    def _write(name, **kw):
        p = tmp_path / name
        p.write_text(_toml(shared_data, mesh="testarea.obj", ies="rab_1.ies", **kw),
                     encoding="utf-8")
        return p
    return _write


def test_the_naive_scenario_with_a_misspelt_tag_stops(write, tmp_path, capsys):
    p = write("naive.toml", area_extra='height_reference = "absolute"',
              observers='kind = "window"\ntag = "windw"')
    assert main(["run", str(p), "--out", str(tmp_path / "out"), "--quiet", "--base-only"]) == 2
    err = capsys.readouterr().err
    assert "observers 'houses': tag 'windw' matches no material; no material of the scene " \
           "has tags" in err
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.slow
def test_the_naive_scenario_at_height_0_with_building_observers_warns(write, tmp_path, capsys):
    p = write("naive.toml", area_extra='height_reference = "absolute"')
    out = tmp_path / "out"
    assert main(["run", str(p), "--out", str(out), "--quiet", "--base-only"]) == 0
    err = capsys.readouterr().err
    # measured: 76 of 76 carriageway and 62 of 65 sidewalk points under the surface (up to
    # 0.21 and 0.34 m), 3 sidewalk points inside buildings, 152 of 152 roof eyes looking up
    assert "warning [base]: area 'carriageway': " in err
    assert "points lie below the walkable surface" in err
    assert "area 'sidewalk': " in err
    assert "eyes look up or down (faces of roofs or floors?)" in err
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Warnings" in md and "below the walkable surface" in md
    assert main(["run", str(p), "--out", str(tmp_path / "s"), "--quiet", "--base-only",
                 "--strict"]) == 2


def test_drape_on_the_street_matches_an_independent_downward_embree_ray(shared_data):
    pytest.importorskip("embreex")
    from cpted_sim.geometry.query import closest_hit
    from cpted_sim.io.scenario_file import loads_scenario
    from cpted_sim.scenario.run import build_scene, run

    road = _ring(shared_data, CARRIAGEWAY)
    walk = f'kind = "path"\npath = [{road[0]}, {road[len(road) // 2]}]\nfov = 360.0'
    text = _toml(shared_data, scene_extra='walkable = ["Road", "Terrain"]', observers=walk)
    text = text.replace("spacing = 2.0", "spacing = 1.0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        sc = loads_scenario(text, base_dir=shared_data)
        res = run(sc, quiet=True)
        scene = build_scene(sc)
    pts = np.vstack([res.areas[a].grid.points for a in ("carriageway", "sidewalk")])
    assert pts.shape[0] > 300                       # measured 568 points
    top = pts + [0.0, 0.0, 100.0]
    t, face = closest_hit(scene, top, np.tile([0.0, 0.0, -1.0], (pts.shape[0], 1)),
                          engine="embree")
    groups = np.asarray(scene.groups)[scene.face_group[face]]
    on = np.isin(groups, ["Road", "Terrain"]) & (face >= 0)
    assert on.mean() > 0.9                          # measured 1.0
    dz = np.abs((top[on, 2] - t[on]) - pts[on, 2])
    assert dz.max() <= 0.05                         # measured 1.7e-5 m
    # the luminaire's light reaches the draped carriageway (it was 0 lx under the pavement)
    assert np.mean(res.areas["carriageway"].fields["E_h"].values > 0) > 0.5   # measured 0.87


def test_the_scenario_file_matches_the_same_study_written_in_python(shared_data):
    import cpted_sim as cs
    from cpted_sim.io.scenario_file import loads_scenario
    from cpted_sim.scenario.run import build_luminaires, build_scene, run

    text = _toml(shared_data, scene_extra='walkable = ["Road", "Terrain"]',
                 observers='kind = "person"\npoints = [[84900.0, 447520.0, 30.0]]\nfov = 360.0')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        sc = loads_scenario(text, base_dir=shared_data)
        res = run(sc, quiet=True)
        scene, lums = build_scene(sc), build_luminaires(sc)
        road = np.asarray(_ring(shared_data, CARRIAGEWAY))
        lo, hi = road.min(axis=0), road.max(axis=0)
        grid = cs.CalculationGrid.regular(lo[0], lo[1], hi[0], hi[1], 2.0, polygon=road)
        grid = cs.drape_grid(grid, scene, 0.0, walkable=["Road", "Terrain"])
    e = cs.illuminance(scene, lums, grid, kind="horizontal", quiet=True).values
    ours = res.areas["carriageway"].metrics["E_avg"].value
    assert ours == pytest.approx(float(np.mean(e)), rel=0.01)      # measured: equal, 1.63 lx
