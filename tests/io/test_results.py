"""Result files: metric table as CSV and JSON, fields as .npz, GeoTIFF, coloured PLY."""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import make_comparison, make_result, compare  # noqa: E402

from cpted_sim.errors import EngineUnavailableError, GridError, ParameterError  # noqa: E402
from cpted_sim.io.colored_mesh import (face_colors, face_values_from_field, read_ply,  # noqa: E402
                                       write_ply)
from cpted_sim.io.raster import write_geotiff  # noqa: E402
from cpted_sim.io.results import (TABLE_COLUMNS, read_fields_npz, read_metrics_csv,  # noqa: E402
                                  write_fields_npz, write_metrics_csv, write_metrics_json)


@pytest.fixture(scope="module")
def comparison():
    return make_comparison(spacing=2.0)


def _same(a, b, rel=0.0):
    if isinstance(a, float) and math.isnan(a):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if rel and isinstance(a, float) and isinstance(b, float) and math.isfinite(a):
        return math.isclose(a, b, rel_tol=rel, abs_tol=0.0)
    return a == b


def test_metrics_csv_reads_back_equal_to_the_table(comparison, tmp_path):
    p = write_metrics_csv(comparison.table, tmp_path / "metrics.csv")
    rows = read_metrics_csv(p)
    assert len(rows) == len(comparison.table) > 10
    assert list(rows[0])[: len(TABLE_COLUMNS)] == list(TABLE_COLUMNS)
    for got, want in zip(rows, comparison.table):
        for k in TABLE_COLUMNS:
            # 10 significant digits (CSV_DIGITS): measured largest relative rounding 2.8e-10
            assert _same(want[k], got[k], rel=5e-10), (k, want[k], got[k])
    assert any(r["value"] is None for r in rows)  # the undefined metric stays undefined
    nan_rows = [dict(r, value=float("nan")) for r in comparison.table[:2]]
    back = read_metrics_csv(write_metrics_csv(nan_rows, tmp_path / "nan.csv"))
    assert all(math.isnan(r["value"]) for r in back)  # NaN reads back as NaN


def test_metrics_csv_keeps_missing_values_missing(tmp_path):
    rows = [{"variant": "B", "area": "a", "metric": "E_min", "unit": "lx", "base": None,
             "value": 2.5, "delta": None, "delta_pct": None, "better": "higher", "note": "x,y"}]
    back = read_metrics_csv(write_metrics_csv(rows, tmp_path / "m.csv"))
    assert back == rows  # None stays None, extra columns follow, commas are quoted


def test_metrics_json_holds_the_table_with_null_for_nan(comparison, tmp_path):
    doc = {"table": comparison.table, "extra": np.arange(3), "inf": float("inf")}
    p = write_metrics_json(doc, tmp_path / "metrics.json")
    back = json.loads(p.read_text())  # strict JSON: no NaN tokens
    assert "NaN" not in p.read_text()
    assert back["extra"] == [0, 1, 2] and back["inf"] is None
    for got, want in zip(back["table"], comparison.table):
        for k in TABLE_COLUMNS:
            assert _same(want[k], got[k]), (k, want[k], got[k])


def test_fields_npz_round_trip(comparison, tmp_path):
    p = write_fields_npz(comparison, tmp_path / "fields.npz")
    data = read_fields_npz(p)
    n = 0
    for r in (comparison.base, *comparison.variants):
        for a, area in r.areas.items():
            for q, f in area.fields.items():
                np.testing.assert_array_equal(data[f"{r.variant}/{a}/{q}"], f.values)
                n += 1
    assert n == 3 * 7
    g = comparison.base.areas["street"].grid
    np.testing.assert_array_equal(data["grid/street/points"], g.points)
    np.testing.assert_array_equal(data["grid/street/raster_index"], g.raster_index)
    assert tuple(data["grid/street/shape"]) == g.shape
    assert tuple(data["grid/street/transform"]) == g.transform
    np.testing.assert_array_equal(data["grid/north facade/normals"],
                                  comparison.base.areas["north facade"].grid.normals)
    d = comparison.deltas["more lights"]["street"]["E_h"]
    np.testing.assert_array_equal(data["delta/more lights/street/E_h"], d.values)
    assert "base/street/E_h" in data


def test_npz_refuses_names_with_a_slash(tmp_path):
    base = make_result("a/b", (10.0,), spacing=4.0)
    with pytest.raises(ParameterError, match="'a/b'"):
        write_fields_npz(compare(base), tmp_path / "f.npz")


def test_geotiff_round_trip(comparison, tmp_path):
    rasterio = pytest.importorskip("rasterio", reason="GeoTIFF needs the optional gis extra")
    f = comparison.base.areas["street"].fields["E_h"]
    p = write_geotiff(f, tmp_path / "e.tif", 28992)
    with rasterio.open(p) as src:
        band = src.read(1)
        assert src.crs.to_epsg() == 28992
        # north-up: the first row is the grid's last (largest y); cell centre of (0, 0)
        np.testing.assert_allclose(band[::-1], f.as_raster().astype(np.float32))
        x0, y0, dx, dy = f.grid.transform
        cx, cy = src.xy(band.shape[0] - 1, 0)
        assert (cx, cy) == pytest.approx((x0, y0))
        assert src.tags()["quantity"] == "E_h"


def test_geotiff_errors(comparison, tmp_path, monkeypatch):
    facade = comparison.base.areas["north facade"].fields["E_v"]
    street = comparison.base.areas["street"].fields["E_h"]
    if "rasterio" in sys.modules or _has_rasterio():
        with pytest.raises(GridError, match="plan grid"):
            write_geotiff(facade, tmp_path / "x.tif", 28992)
        with pytest.raises(ParameterError, match="epsg"):
            write_geotiff(street, tmp_path / "x.tif", "RD")
    monkeypatch.setitem(sys.modules, "rasterio", None)  # as if not installed
    with pytest.raises(EngineUnavailableError, match=r"cpted_sim\[gis\]"):
        write_geotiff(street, tmp_path / "x.tif", 28992)


def _has_rasterio():
    try:
        import rasterio  # noqa: F401
    except ImportError:
        return False
    return True


def test_ply_round_trip_and_colours(comparison, tmp_path):
    r = comparison.base
    f = r.areas["street"].fields["E_h"]
    vals = face_values_from_field(r.scene, f)
    # the two ground triangles' centroids lie on the street grid; walls and roofs do not
    ground = r.scene.group_faces("ground")
    assert np.isfinite(vals[ground]).all()
    assert np.isnan(np.delete(vals, ground)).all()
    cols = face_colors(r.scene, vals)
    p = write_ply(r.scene, tmp_path / "s.ply", cols, comment="E_h")
    back = read_ply(p)
    n = r.scene.n_faces
    assert back["faces"].shape == (n, 3) and back["vertices"].shape == (3 * n, 3)
    np.testing.assert_allclose(back["vertices"], r.scene.vertices[r.scene.faces].reshape(-1, 3),
                               atol=1e-5)
    np.testing.assert_array_equal(back["colors"][::3], cols)
    assert any(c.startswith("origin ") for c in back["comments"]) and "E_h" in back["comments"]


def test_ply_reads_in_trimesh(comparison, tmp_path):
    trimesh = pytest.importorskip("trimesh")
    r = comparison.base
    p = write_ply(r.scene, tmp_path / "s.ply")
    mesh = trimesh.load(p, process=False)
    assert len(mesh.faces) == r.scene.n_faces
    np.testing.assert_allclose(mesh.vertices, r.scene.vertices[r.scene.faces].reshape(-1, 3),
                               atol=1e-5)
    rgb = np.asarray(mesh.visual.vertex_colors)[:, :3]
    # grey by group: ground and building differ, faces of one group agree
    g = r.scene.face_group
    assert len({tuple(rgb[3 * i]) for i in np.nonzero(g == g[0])[0]}) == 1
    assert len({tuple(c) for c in rgb}) == len(r.scene.groups)


def test_ply_rejects_wrong_colours(comparison, tmp_path):
    with pytest.raises(ParameterError, match="colors"):
        write_ply(comparison.base.scene, tmp_path / "x.ply", np.zeros((2, 3)))


def test_report_logs_and_skips_geotiff_without_rasterio(tmp_path, monkeypatch, caplog):
    from cpted_sim.io.report import write_report

    monkeypatch.setitem(sys.modules, "rasterio", None)
    c = make_comparison(epsg=28992, spacing=4.0)
    with caplog.at_level(logging.INFO, logger="cpted_sim.io.report"):
        files = write_report(c, tmp_path, maps=False, meshes=False)
    assert not any(k.startswith("geotiff/") for k in files)
    assert "rasterio is missing" in caplog.text and "EPSG:28992" in caplog.text


# ----------------------------------------------------------------------------- issue 11
def _row(**kw):
    r = {"variant": "B", "area": "a", "metric": "E_min", "unit": "lx", "base": 1.0,
         "value": 2.0, "delta": 1.0, "delta_pct": 100.0, "better": "higher"}
    r.update(kw)
    return r


def test_metrics_csv_neutralises_formulas_but_keeps_numbers(tmp_path):
    evil = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "'=quoted",
            "plain", "a=b"]
    rows = [_row(variant=v, value=-3.5, delta=-0.25) for v in evil]
    rows.append(_row(note="=HYPERLINK(\"http://x\")"))
    p = write_metrics_csv(rows, tmp_path / "m.csv")
    import csv
    with p.open(newline="", encoding="utf-8") as fh:
        cells = list(csv.reader(fh))
    header, body = cells[0], cells[1:]
    for line in body:
        for c, col in zip(line, header):
            if col in ("base", "value", "delta", "delta_pct"):
                float(c)  # numbers stay numbers, even negative ones
            else:
                assert not c.startswith(("=", "+", "-", "@", "\t", "\r")), (col, c)
    assert [line[0] for line in body[:len(evil)]] == [
        "'=cmd|' /C calc'!A0", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTAB", "'\rCR", "''=quoted",
        "plain", "a=b"]
    assert body[0][header.index("value")] == "-3.5"
    back = read_metrics_csv(p)
    assert [r["variant"] for r in back[:len(evil)]] == evil  # exact round trip
    assert back[-1]["note"] == "=HYPERLINK(\"http://x\")"


def test_metrics_csv_numbers_have_fixed_precision(tmp_path):
    p = write_metrics_csv([_row(value=0.1 + 0.2, base=1e-300, delta=float("inf"),
                                delta_pct=float("nan"))], tmp_path / "m.csv")
    line = p.read_text().splitlines()[1]
    assert ",0.3," in line and "0.30000000000000004" not in line  # 10 digits, not repr
    assert "1e-300" in line and ",inf," in line and line.count("nan") == 1


@pytest.mark.parametrize("text,match", [
    ("", "empty file"),
    ("variant,area\nB,a\n", "header lacks the columns"),
    ("variant,area,metric,unit,base,value,delta,delta_pct,better\nB,a,m,lx,1,2\n",
     "line 2: 6 cells, the header has 9"),
    ("variant,area,metric,unit,base,value,delta,delta_pct,better\nB,a,m,lx,1,two,1,1,higher\n",
     "line 2 column value: expected a number, found 'two'"),
    ("variant,area,metric,unit,base,value,delta,delta_pct,better\nB,\"a,m\n",
     "not a valid CSV table"),
    ("variant,variant,area,metric,unit,base,value,delta,delta_pct,better\n", "repeated column"),
])
def test_read_metrics_csv_raises_results_format_error(tmp_path, text, match):
    from cpted_sim.errors import ResultsFormatError

    p = tmp_path / "metrics.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ResultsFormatError, match=match) as exc:
        read_metrics_csv(p)
    assert str(exc.value).startswith("metrics.csv") or "metrics.csv" in str(exc.value)
    p.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ResultsFormatError, match="not utf-8 text"):
        read_metrics_csv(p)
    with pytest.raises(ResultsFormatError):
        read_metrics_csv(tmp_path / "missing.csv")


def test_read_fields_npz_refuses_damaged_and_hostile_files(tmp_path):
    import io
    import zipfile

    from cpted_sim.errors import ResultsFormatError

    good = tmp_path / "good.npz"
    np.savez_compressed(good, **{"base/street/E_h": np.arange(4.0),
                                 "grid/street/shape": np.array([2, 2])})
    back = read_fields_npz(good)
    np.testing.assert_array_equal(back["base/street/E_h"], np.arange(4.0))
    raw = good.read_bytes()
    cases = {"truncated": raw[: len(raw) // 2], "not a zip": b"PK\x03\x04 nonsense",
             "empty": b""}
    # an object array (would need pickle) and a header claiming 1e12 elements
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        hdr = io.BytesIO()
        np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False,
                                                   "shape": (10**12,)})
        zf.writestr("huge.npy", hdr.getvalue() + b"\0" * 64)
    cases["huge shape"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez(buf, obj=np.array([{"a": 1}], dtype=object), allow_pickle=True)
    cases["object dtype"] = buf.getvalue()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes.txt", b"hello")
    cases["not npy"] = buf.getvalue()
    for label, data in cases.items():
        p = tmp_path / f"{label}.npz"
        p.write_bytes(data)
        with pytest.raises(ResultsFormatError, match=rf"{re.escape(p.name)}"):
            read_fields_npz(p)
    with pytest.raises(ResultsFormatError, match="more than the 16 bytes accepted"):
        read_fields_npz(good, max_bytes=16)  # the file itself
    zeros = tmp_path / "zeros.npz"
    np.savez_compressed(zeros, z=np.zeros(100_000))  # 800 kB unpacked, ~1 kB packed
    with pytest.raises(ResultsFormatError, match="the arrays hold more than 100000 bytes"):
        read_fields_npz(zeros, max_bytes=100_000)
