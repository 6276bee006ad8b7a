"""results.gpkg (io/geopackage.py, io/gpkg_styles.py): the layers of the report's GeoPackage
read back with pyogrio equal the comparison and ``fields.npz``; the styles table names the
layers; without the gis extra the report notes it and writes everything else."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import make_comparison  # noqa: E402

from cpted_sim.errors import CptedWarning  # noqa: E402
from cpted_sim.io import geopackage as gp  # noqa: E402
from cpted_sim.io.gpkg_styles import LUX_BREAKS, read_layer_styles  # noqa: E402
from cpted_sim.io.report import write_report  # noqa: E402
from cpted_sim.io.results import read_fields_npz  # noqa: E402

pyogrio = pytest.importorskip("pyogrio")
shapely = pytest.importorskip("shapely")

RD = (84616.0, 447368.0)   # the Delft model's origin in RD New [m]


def _rows(layer, variant, area=None):
    f = layer["fields"]
    sel = f["variant"] == variant
    if area is not None:
        sel &= f["area"] == area
    return sel


def check_points_equal_fields(c, layers, npz):
    """Every field of every variant and area is a column of ``points`` with the npz values;
    the points lie at the grid's world coordinates; deltas as in the npz."""
    pts = layers["points"]
    n = sum(a.grid.n_points for r in (c.base, *c.variants) for a in r.areas.values())
    assert len(pts["geometry"]) == n
    xyz = shapely.get_coordinates(pts["geometry"], include_z=True)
    checked = 0
    for r in (c.base, *c.variants):
        for a_name, area in r.areas.items():
            sel = _rows(pts, r.variant, a_name)
            assert sel.sum() == area.grid.n_points, (r.variant, a_name)
            order = np.argsort(pts["fields"]["point"][sel])
            np.testing.assert_allclose(xyz[sel][order], npz[f"grid/{a_name}/points"],
                                       rtol=0, atol=1e-6)
            for q in area.fields:
                got = pts["fields"][q][sel][order]
                want = npz[f"{r.variant}/{a_name}/{q}"].astype(np.float64)
                # stored as 8-byte REAL: exact; NaN reads back as NaN (NULL in the file)
                np.testing.assert_allclose(got, want, rtol=1e-7, atol=0, equal_nan=True)
                key = f"delta/{r.variant}/{a_name}/{q}"
                if key in npz:
                    np.testing.assert_allclose(pts["fields"][f"d_{q}"][sel][order], npz[key],
                                               rtol=1e-7, atol=0, equal_nan=True)
                checked += 1
    return checked


def check_areas_equal_metrics(c, layers):
    """One ``areas`` row per variant and plan or façade area (``routes`` for routes), with
    its metrics; classes as their names."""
    for layer, is_route in (("areas", False), ("routes", True)):
        want = [(r, a_name, a) for r in (c.base, *c.variants) for a_name, a in r.areas.items()
                if (a.kind == "route") == is_route]
        if not want:
            assert layer not in layers
            continue
        lay = layers[layer]
        assert len(lay["geometry"]) == len(want)
        for r, a_name, a in want:
            (i,) = np.nonzero(_rows(lay, r.variant, a_name))[0]
            assert lay["fields"]["n_points"][i] == a.grid.n_points
            for m in a.metrics.values():
                got = lay["fields"][m.name][i]
                if m.unit == "class":
                    assert got == (m.label or format(m.value, "g")), (a_name, m.name)
                elif np.isfinite(m.value):
                    assert got == pytest.approx(m.value, rel=1e-12), (a_name, m.name)
                else:
                    assert np.isnan(got)


# ---------------------------------------------------------------- stand-in comparison
@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpkg_standin")
    c = make_comparison(epsg=28992, origin=RD, spacing=1.0)
    files = write_report(c, out, maps=False, meshes=False, geotiff=False)
    return c, out, files, gp.read_geopackage(files["results.gpkg"])


def test_the_report_writes_results_gpkg_into_its_manifest(standin):
    _, out, files, _ = standin
    assert files["results.gpkg"] == out / "results.gpkg"
    manifest = json.loads(files["manifest.json"].read_text())
    assert "results.gpkg" in json.dumps(manifest)
    assert "results.gpkg" in files["report.html"].read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("results")) == [
        "results.gpkg"]  # no journal or -wal file left beside it


def test_standin_layers_crs_rows_and_values(standin):
    c, _, files, layers = standin
    assert set(layers) == {"points", "areas", "luminaires", "dark_unseen"}  # no route, no eyes
    assert {lay["crs"] for lay in layers.values()} == {"EPSG:28992"}
    npz = read_fields_npz(files["fields.npz"])
    assert check_points_equal_fields(c, layers, npz) == 3 * 7
    check_areas_equal_metrics(c, layers)
    # the street's outline (no outline in a hand-made result): its dissolved 1 m cells
    street = layers["areas"]["geometry"][_rows(layers["areas"], "base", "street")][0]
    assert street.area == pytest.approx(40 * 12, rel=1e-9)
    assert street.bounds == pytest.approx((RD[0], RD[1], RD[0] + 40, RD[1] + 12), abs=1e-9)


def test_dark_unseen_polygons_cover_the_masked_cells(standin):
    c, _, _, layers = standin
    du = layers["dark_unseen"]
    for r in (c.base, *c.variants):
        mask = np.asarray(r.areas["street"].fields["dark_and_unseen"].values) > 0.5
        sel = _rows(du, r.variant, "street")
        if not mask.any():
            assert not sel.any()
            continue
        (i,) = np.nonzero(sel)[0]
        geom = du["geometry"][i]
        # 1 m cells: the dissolved area is the number of cells (the metric's m2)
        assert geom.area == pytest.approx(mask.sum(), rel=1e-9)
        assert du["fields"]["area_m2"][i] == pytest.approx(
            r.areas["street"].metrics["dark_unseen_area"].value, rel=1e-9)
        pts = shapely.points(np.asarray(r.areas["street"].grid.points)[:, :2])
        np.testing.assert_array_equal(shapely.contains(geom, pts), mask)
    assert (du["fields"]["quantity"] == "dark_and_unseen").all()


def test_luminaire_attributes(standin):
    c, _, _, layers = standin
    lum = layers["luminaires"]
    assert len(lum["geometry"]) == sum(len(r.luminaires) for r in (c.base, *c.variants)) == 8
    xyz = shapely.get_coordinates(lum["geometry"], include_z=True)
    want = np.array([lu.position for r in (c.base, *c.variants) for lu in r.luminaires])
    np.testing.assert_allclose(xyz, want, atol=1e-9)
    f = lum["fields"]
    assert list(f["name"][:2]) == ["L1", "L2"]
    # isotropic 800 cd: 4 pi 800 lm; maintenance factor 1 in the stand-in
    np.testing.assert_allclose(f["flux_lm"], 4 * np.pi * 800.0, rtol=2e-3)
    np.testing.assert_allclose(f["flux_maintained_lm"], f["flux_lm"] * f["maintenance_factor"])
    # above the stand-in's flat ground at z = 0: the mounting height is the z of the lamp
    np.testing.assert_allclose(f["mounting_height_m"], want[:, 2], atol=1e-6)


def test_styles_table_names_the_layers_with_qml(standin):
    _, _, files, layers = standin
    styles = read_layer_styles(files["results.gpkg"])
    assert set(styles) == set(layers)
    for layer, qml in styles.items():
        root = ET.fromstring(qml.split("\n", 1)[1])   # after the DOCTYPE line
        assert root.tag == "qgis"
        renderer = root.find("renderer-v2")
        assert renderer is not None and renderer.find("symbols/symbol/layer") is not None
        if renderer.get("type") == "graduatedSymbol":
            assert renderer.get("attr") in layers[layer]["fields"]
    pts = ET.fromstring(styles["points"].split("\n", 1)[1]).find("renderer-v2")
    assert pts.get("type") == "graduatedSymbol" and pts.get("attr") == "E_h"
    assert [float(r.get("lower")) for r in pts.iter("range")] == list(LUX_BREAKS)
    aliases = {a.get("field"): a.get("name") for a in
               ET.fromstring(styles["points"].split("\n", 1)[1]).iter("alias")}
    assert aliases["E_h"] == "E_h [lx]" and aliases["d_E_h"] == "change of E_h [lx]"
    assert aliases["dark_and_unseen"] == "dark_and_unseen"        # unit "1": no brackets
    areas = {a.get("field"): a.get("name") for a in
             ET.fromstring(styles["areas"].split("\n", 1)[1]).iter("alias")}
    assert areas["dark_unseen_area"] == "dark_unseen_area [m²]"
    lum = ET.fromstring(styles["luminaires"].split("\n", 1)[1])
    assert lum.find(".//Option[@name='name']").get("value") == "star"
    with sqlite3.connect(files["results.gpkg"]) as db:
        row = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                         "'layer_styles'").fetchone()
        defaults = db.execute("SELECT f_table_name, f_geometry_column FROM layer_styles "
                              "WHERE useAsDefault = 1").fetchall()
    assert row == ("attributes",)
    with sqlite3.connect(files["results.gpkg"]) as db:
        desc = dict(db.execute("SELECT table_name, description FROM gpkg_contents"))
    assert all(desc[k].startswith("cpted_sim ") for k in layers)
    assert sorted(t for t, _ in defaults) == sorted(layers) and {g for _, g in defaults} == {"geom"}


def test_without_the_gis_extra_the_report_warns_and_writes_the_rest(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyogrio", None)   # import pyogrio raises ImportError
    assert not gp.gpkg_available()
    c = make_comparison(spacing=2.0)
    with pytest.warns(CptedWarning, match=r"results.gpkg not written.*pip install "
                                          r"'cpted_sim\[gis\]'"):
        files = write_report(c, tmp_path / "r", maps=False, meshes=False)
    assert "results.gpkg" not in files and not (tmp_path / "r/results.gpkg").exists()
    assert {"report.html", "fields.npz", "metrics.csv", "manifest.json"} <= set(files)


def test_a_comparison_without_epsg_writes_no_crs(tmp_path):
    c = make_comparison(spacing=2.0)
    p = gp.write_geopackage(c, tmp_path / "x.gpkg", styles=False)
    layers = gp.read_geopackage(p)
    assert {lay["crs"] for lay in layers.values()} == {None}
    assert read_layer_styles(p) == {}
    with pytest.raises(Exception, match="epsg"):
        gp.write_geopackage(c, tmp_path / "y.gpkg", epsg=-3)


def test_reading_a_file_that_is_no_geopackage(tmp_path):
    from cpted_sim.errors import ResultsFormatError

    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a database at all" * 10)
    with pytest.raises(ResultsFormatError, match="bad.gpkg"):
        gp.read_geopackage(bad)


def check_route_stretches(c, layers):
    """Each route point's stretch reaches half-way to its neighbours: the stretches of a route
    add up to its computed length, and carry the point's values."""
    st = layers["route_stretches"]
    for r in (c.base, *c.variants):
        for a_name, area in r.areas.items():
            if area.kind != "route":
                continue
            sel = _rows(st, r.variant, a_name)
            p = np.asarray(area.grid.points)[:, :2]
            length = np.linalg.norm(np.diff(p, axis=0), axis=1).sum()
            assert shapely.length(st["geometry"][sel]).sum() == pytest.approx(length, rel=1e-9)
            np.testing.assert_allclose(st["fields"]["chainage_m"][sel][-1], length, rtol=1e-9)
            for q, f in area.fields.items():
                np.testing.assert_allclose(st["fields"][q][sel], f.values, rtol=1e-7,
                                           equal_nan=True)


def check_observers(c, layers):
    obs = layers["observers"]
    for r in (c.base, *c.variants):
        sel = _rows(obs, r.variant)
        assert sel.sum() == r.observers.n
        np.testing.assert_allclose(shapely.get_coordinates(obs["geometry"][sel], include_z=True),
                                   r.observers.positions, atol=1e-9)
        assert list(obs["fields"]["kind"][sel]) == list(r.observers.kind)


# ---------------------------------------------------------------- the demo, run for real
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import cpted_sim as cs
    from cpted_sim.scenario.demo import demo_scenario_path

    c = cs.compare(cs.load_scenario(demo_scenario_path()), quiet=True)
    out = tmp_path_factory.mktemp("gpkg_demo")
    files = write_report(c, out, maps=False)
    return c, files, gp.read_geopackage(files["results.gpkg"])


def test_demo_geopackage_reads_back(demo):
    c, files, layers = demo
    assert set(layers) == {"points", "areas", "routes", "route_stretches", "luminaires",
                           "observers", "dark_unseen"}
    assert {lay["crs"] for lay in layers.values()} == {None}   # the demo has no EPSG code
    npz = read_fields_npz(files["fields.npz"])
    assert check_points_equal_fields(c, layers, npz) > 50
    check_areas_equal_metrics(c, layers)
    check_route_stretches(c, layers)
    check_observers(c, layers)
    # the street's polygon is the scenario's (a 60 m x 12 m rectangle)
    areas = layers["areas"]
    street = areas["geometry"][_rows(areas, "base", "street")][0]
    assert street.area == pytest.approx(60 * 12, rel=1e-12)
    assert areas["fields"]["lighting_class"][_rows(areas, "base", "street")][0] == "P4"
    # the demo's lamps: the IES file, 6 m above the pavement
    lum = layers["luminaires"]["fields"]
    base = lum["variant"] == "base"
    assert set(lum["photometry_file"][base]) == {"demo_street_light.ies"}
    assert "builtin:street_light_optic" in set(lum["photometry_file"])  # a variant's optic
    assert np.nanmax(np.abs(lum["mounting_height_m"][base] - 6.0)) < 0.2


def test_demo_route_line_is_the_scenario_path(demo):
    c, _, layers = demo
    routes = layers["routes"]
    line = routes["geometry"][_rows(routes, "base", "path_route")][0]
    np.testing.assert_allclose(shapely.get_coordinates(line), [[0.0, -4.5], [80.0, -4.5]])


# ---------------------------------------------------------------- a real street in Delft
DELFT = textwrap.dedent("""\
    name = "Delft canal street"
    [scene]
    mesh = "{mesh}"
    epsg = 28992

    [[luminaires]]
    name = "L1"
    photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
    position = [84972.5, 447585.3, 6.5]
    azimuth = 214.0

    [[luminaires]]
    name = "L2"
    photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
    position = [84962.9, 447599.7, 6.5]
    azimuth = 214.0
    maintenance_factor = 0.7

    [[areas]]
    name = "street"
    kind = "grid"
    polygon = [[84976.42, 447572.28], [84978.91, 447573.94], [84954.91, 447609.94],
               [84952.42, 447608.28]]
    spacing = 2.0
    quantities = ["E_h", "surveillance"]

    [[areas]]
    name = "walk"
    kind = "route"
    path = [[84977.66, 447573.11], [84953.66, 447609.11]]
    spacing = 2.0
    quantities = ["E_h"]

    [[observers]]
    name = "passers-by"
    kind = "person"
    points = [[84977.66, 447573.11, 0.6], [84953.66, 447609.11, 0.6]]
    fov = 360
    height = 1.6

    [[variants]]
    name = "B"
    description = "one more lamp across the street"
    [[variants.changes]]
    op = "add_luminaire"
    name = "L3"
    photometry = {{ builtin = "street_light_optic", flux = 6000.0 }}
    position = [84962.5, 447589.0, 6.5]
    azimuth = 34.0
    """)


@pytest.fixture(scope="module")
def delft(shared_data, tmp_path_factory):
    import cpted_sim as cs
    from cpted_sim.io.scenario_file import loads_scenario

    tmp = tmp_path_factory.mktemp("gpkg_delft")
    mesh = shared_data / "city/delft_3dfier/testarea.obj"
    # the mesh is read from ../shared, outside the scenario's folder: allowed on purpose
    sc = loads_scenario(DELFT.format(mesh=mesh.as_posix()), path=tmp / "delft.toml",
                        allow_outside_files=True)
    c = cs.compare(sc, quiet=True)
    files = write_report(c, tmp / "out", maps=False)
    return c, files, gp.read_geopackage(files["results.gpkg"])


def test_real_street_geopackage_in_rd_new(delft):
    c, files, layers = delft
    # lamps outside buildings, eyes and points above the street: nothing left out
    assert [r.warnings for r in (c.base, *c.variants)] == [(), ()]
    assert set(layers) >= {"points", "areas", "routes", "route_stretches", "luminaires",
                           "observers"}
    assert {lay["crs"] for lay in layers.values()} == {"EPSG:28992"}
    npz = read_fields_npz(files["fields.npz"])
    assert check_points_equal_fields(c, layers, npz) >= 2 * 7
    check_areas_equal_metrics(c, layers)
    check_route_stretches(c, layers)
    check_observers(c, layers)
    # world coordinates in RD New, not the scene's local ones
    xy = shapely.get_coordinates(layers["points"]["geometry"])
    assert (np.abs(xy[:, 0] - 84964) < 30).all() and (np.abs(xy[:, 1] - 447590) < 30).all()
    lum = layers["luminaires"]["fields"]
    assert list(lum["name"]) == ["L1", "L2", "L1", "L2", "L3"]
    np.testing.assert_allclose(lum["maintenance_factor"], [0.8, 0.7, 0.8, 0.7, 0.8])
    np.testing.assert_allclose(lum["flux_maintained_lm"],
                               lum["flux_lm"] * lum["maintenance_factor"])
    # lamps 6.5 m above RD zero over a street at about NAP +0.5 m (the 3dfier terrain)
    assert ((lum["mounting_height_m"] > 5.0) & (lum["mounting_height_m"] < 7.5)).all()
    # the variant's extra lamp shows as a positive change of E_h on the points
    pts = layers["points"]["fields"]
    d = pts["d_E_h"][(pts["variant"] == "B") & (pts["area"] == "street")]
    assert np.nanmax(d) > 1.0 and np.nanmin(d) > -1e-9


def test_real_street_ply_header_round_trips_the_rd_origin(delft):
    from cpted_sim.io.colored_mesh import read_ply

    c, files, _ = delft
    back = read_ply(files["scene_base.ply"])
    np.testing.assert_array_equal(back["origin"], c.base.scene.origin)
    assert back["epsg"] == 28992
    o = c.base.scene.origin
    assert f"origin {o[0]:.3f} {o[1]:.3f} {o[2]:.3f}" in back["comments"]
    assert "crs EPSG:28992" in back["comments"]
    # vertex + origin gives world coordinates within float32 rounding of the local values
    world = back["vertices"].astype(np.float64) + back["origin"]
    lo, hi = c.base.scene.bounds
    assert (world.min(axis=0) > lo - 1e-3).all() and (world.max(axis=0) < hi + 1e-3).all()


def test_mounting_heights_equal_a_downward_ray(delft):
    """The numpy plan test of mounting_heights against the ray kernel on the Delft model."""
    from cpted_sim.geometry.query import closest_hit

    scene = delft[0].base.scene
    lo, hi = scene.bounds
    rng = np.random.default_rng(13)
    pos = np.column_stack([rng.uniform(lo[0], hi[0], 300), rng.uniform(lo[1], hi[1], 300),
                           rng.uniform(1.0, 20.0, 300)])
    got = gp.mounting_heights(scene, pos)
    dist, _ = closest_hit(scene, pos, np.tile([0.0, 0.0, -1.0], (300, 1)))
    want = np.where(np.isfinite(dist), dist, np.nan)
    assert np.isfinite(want).sum() > 50 and np.isnan(want).sum() > 0  # roofs, streets, and
    # positions below the terrain or outside the model
    np.testing.assert_allclose(got, want, atol=1e-6, equal_nan=True)


def test_a_base_alone_has_no_change_columns_and_sync_is_restored(tmp_path):
    from cpted_sim.scenario.compare import compare

    c = make_comparison(spacing=2.0)
    alone = compare(c.base)
    before = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
    layers = gp.read_geopackage(gp.write_geopackage(alone, tmp_path / "a.gpkg", epsg=28992))
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") == before
    for lay in layers.values():
        assert not [k for k in lay["fields"] if k.startswith("d_")]
        assert set(lay["fields"]["variant"]) == {"base"}
    assert len(layers["points"]["geometry"]) == sum(a.grid.n_points for a in c.base.areas.values())


def test_a_self_crossing_outline_is_written_as_its_polygonal_parts(tmp_path):
    from dataclasses import replace

    c = make_comparison(spacing=2.0)
    bowtie = np.array([[0.0, 0.0], [40.0, 12.0], [40.0, 0.0], [0.0, 12.0]])
    area = replace(c.base.areas["street"], outline=bowtie)
    base = replace(c.base, areas={**c.base.areas, "street": area})
    c = replace(c, base=base)
    layers = gp.read_geopackage(gp.write_geopackage(c, tmp_path / "b.gpkg"))
    g = layers["areas"]["geometry"][_rows(layers["areas"], "base", "street")][0]
    assert g.is_valid and g.geom_type == "MultiPolygon"
    assert g.area == pytest.approx(2 * 0.5 * 12 * 20, rel=1e-9)  # two triangles


def test_dissolved_cells_equal_the_mask_on_random_grids():
    """Property: on regular grids clipped to a polygon, at odd origins and cell sizes, the
    dissolved cells of a random mask cover exactly the masked points, with the cells' area."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cpted_sim.geometry.grid import CalculationGrid
    from cpted_sim.io import _gpkg_layers as gl

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(x0=st.floats(-2e5, 2e5), y0=st.floats(-5e5, 5e5), dx=st.sampled_from([0.25, 0.5, 1.0,
                                                                                 1.5, 2.0]),
           seed=st.integers(0, 2**31 - 1))
    def check(x0, y0, dx, seed):
        rng = np.random.default_rng(seed)
        w, h = dx * rng.integers(3, 25), dx * rng.integers(3, 25)
        tri = [(x0, y0), (x0 + w, y0), (x0, y0 + h)]          # clip: a right triangle
        grid = CalculationGrid.regular(x0, y0, x0 + w, y0 + h, dx, polygon=tri)
        mask = rng.random(grid.n_points) < rng.uniform(0.1, 0.9)
        g = gl._dissolve(gl._cell_boxes(grid, mask))
        if not mask.any():
            assert g is None
            return
        assert g.area == pytest.approx(mask.sum() * dx * dx, rel=1e-9)
        pts = shapely.points(np.asarray(grid.points)[:, :2])
        np.testing.assert_array_equal(shapely.contains(g, pts), mask)

    check()


@pytest.mark.parametrize("text", ['plain', 'a&b<c>"d\'e', "line\nbreak\tand\rreturn", ""])
def test_style_attributes_read_back_as_written(text):
    from xml.sax.saxutils import quoteattr

    from cpted_sim.io.gpkg_styles import _quoteattr

    for quote in (_quoteattr, quoteattr):  # the same value as the standard library's
        assert ET.fromstring(f"<x v={quote(text)}/>").get("v") == text
