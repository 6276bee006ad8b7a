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
    lum = ET.fromstring(styles["luminaires"].split("\n", 1)[1])
    assert lum.find(".//Option[@name='name']").get("value") == "star"
    with sqlite3.connect(files["results.gpkg"]) as db:
        row = db.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                         "'layer_styles'").fetchone()
        defaults = db.execute("SELECT f_table_name, f_geometry_column FROM layer_styles "
                              "WHERE useAsDefault = 1").fetchall()
    assert row == ("attributes",)
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
