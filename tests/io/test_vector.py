"""GIS vector layers: CRS handling, filters, geometry helpers (io/vector.py).

The acceptance test writes the real BGT road polygons of Delft (../shared/data/city) in
WGS84 and in EPSG:28992 with pyogrio, and reads both back into RD New.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from cpted_sim.errors import CptedWarning, VectorLayerError

pyogrio = pytest.importorskip("pyogrio")
shapely = pytest.importorskip("shapely")
pyproj = pytest.importorskip("pyproj")

from cpted_sim.io.vector import (line_parts, point_coords, polygon_parts,  # noqa: E402
                                 read_vector)

BGT = "city/delft_3dfier/bgt_wegdeel.geojson"


def _write(path, geoms, crs, **fields):
    attrs = {k: np.asarray(v) for k, v in fields.items()}
    from pyogrio.raw import write

    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object))
    gtype = geoms[0].geom_type
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        write(str(path), wkb, geometry_type=gtype, field_data=list(attrs.values()),
              fields=list(attrs.keys()), crs=crs)
    return path


def _pts(n=5, x0=85000.0, y0=447500.0):
    return [shapely.Point(x0 + 10 * i, y0 + 3 * i) for i in range(n)]


@pytest.fixture
def bgt(shared_data):
    return shared_data / BGT


def test_bgt_layer_reads_with_its_crs_and_where(bgt):
    lay = read_vector(bgt, where="function = 'rijbaan lokale weg'", target_epsg=28992)
    assert len(lay) == 32  # README: 32 'rijbaan lokale weg'
    assert lay.epsg == 28992 and "28992" in lay.source_crs
    parts = polygon_parts(lay)
    assert len(parts) == 32
    assert all(p.coords.shape[1] == 2 for p in parts)
    allc = np.vstack([p.coords for p in parts])
    assert allc[:, 0].min() >= 84760.0 and allc[:, 0].max() <= 85073.9


def test_wgs84_and_rd_layers_give_the_same_points_within_1cm(bgt, tmp_path):
    """Acceptance (issue 12): the same layer in WGS84 and in EPSG:28992."""
    rd = read_vector(bgt, filter={"function": "voetpad"}, target_epsg=28992)
    tr = pyproj.Transformer.from_crs(28992, 4326, always_xy=True)
    ll = shapely.transform(rd.geometries, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    p84 = _write(tmp_path / "wgs84.geojson", list(ll), "EPSG:4326",
                 function=np.array(["voetpad"] * len(ll), dtype=object))
    p28 = _write(tmp_path / "rd.geojson", list(rd.geometries), "EPSG:28992",
                 function=np.array(["voetpad"] * len(ll), dtype=object))
    a = read_vector(p84, target_epsg=28992)
    b = read_vector(p28, target_epsg=28992)
    ca = shapely.get_coordinates(a.geometries)
    cb = shapely.get_coordinates(b.geometries)
    assert ca.shape == cb.shape and len(ca) > 1000
    d = np.hypot(*(ca - cb).T)
    assert d.max() < 0.01  # measured 0.44 mm (PROJ forward and inverse); 1 cm: issue 12
    # and the WGS84 file really was in degrees
    raw = pyogrio.raw.read(str(p84))[2]
    assert abs(shapely.get_coordinates(shapely.from_wkb(raw))[:, 0]).max() < 10


def test_rd_nap_7415_reads_into_28992_unchanged(tmp_path):
    p = _write(tmp_path / "a.gpkg", _pts(), "EPSG:7415", id=np.arange(5))
    lay = read_vector(p, target_epsg=28992)
    xy, fid = point_coords(lay)
    assert np.allclose(xy[:, 0], 85000.0 + 10 * np.arange(5), atol=1e-9)
    assert list(fid) == list(range(5))
    # and the other way round
    p2 = _write(tmp_path / "b.gpkg", _pts(), "EPSG:28992", id=np.arange(5))
    assert np.allclose(point_coords(read_vector(p2, target_epsg=7415))[0], xy, atol=1e-9)


def test_layer_without_crs_takes_the_scenes_with_a_warning(tmp_path):
    p = _write(tmp_path / "nocrs.gpkg", _pts(), None, id=np.arange(5))
    with pytest.warns(CptedWarning, match=r"has no CRS.*EPSG:28992"):
        lay = read_vector(p, target_epsg=28992)
    assert lay.source_crs is None and lay.epsg == 28992
    assert np.allclose(point_coords(lay)[0][0], [85000.0, 447500.0])


def test_vertical_datum_mismatch_is_an_error(tmp_path):
    p = _write(tmp_path / "egm.gpkg", _pts(), "EPSG:28992+3855", id=np.arange(5))
    with pytest.raises(VectorLayerError, match=r"egm.gpkg layer .*vertical datum"):
        read_vector(p, target_epsg=7415)


def test_unknown_datum_projected_crs_is_an_error(tmp_path):
    crs = "+proj=tmerc +lat_0=0 +lon_0=5 +k=1 +x_0=0 +y_0=0 +ellps=intl +units=m +no_defs"
    p = _write(tmp_path / "odd.gpkg", _pts(), crs, id=np.arange(5))
    with pytest.raises(VectorLayerError, match="ballpark"):
        read_vector(p, target_epsg=28992)


def test_geographic_layer_without_scene_crs_is_an_error(tmp_path):
    p = _write(tmp_path / "ll.geojson", [shapely.Point(4.36, 52.01)], "EPSG:4326", id=[1])
    with pytest.raises(VectorLayerError, match="set scene.epsg"):
        read_vector(p)
    # a projected layer without a scene CRS keeps its own
    p2 = _write(tmp_path / "rd.gpkg", _pts(), "EPSG:28992", id=np.arange(5))
    assert read_vector(p2).epsg == 28992


def test_utm_layer_is_transformed(tmp_path):
    tr = pyproj.Transformer.from_crs(28992, 32631, always_xy=True)
    pts = [shapely.Point(*tr.transform(85000.0, 447500.0))]
    p = _write(tmp_path / "utm.gpkg", pts, "EPSG:32631", id=[1])
    xy = point_coords(read_vector(p, target_epsg=28992))[0]
    assert np.allclose(xy, [[85000.0, 447500.0]], atol=0.01)  # measured 0.44 mm


def test_filter_errors_name_the_field(bgt):
    with pytest.raises(VectorLayerError, match=r"field 'functie'.*has 'ogc_fid'"):
        read_vector(bgt, filter={"functie": "voetpad"}, target_epsg=28992)
    with pytest.raises(VectorLayerError, match=r"field 'function'.*matches none.*'voetpad'"):
        read_vector(bgt, filter={"function": "footpath"}, target_epsg=28992)
    lay = read_vector(bgt, filter={"function": ["voetpad", "voetpad op trap"]},
                      target_epsg=28992)
    assert len(lay) == 82  # README: 78 + 4


def test_where_errors_and_layer_names(bgt, tmp_path):
    with pytest.raises(VectorLayerError, match=r"where .*cannot be applied"):
        read_vector(bgt, where="nosuchfield = 3", target_epsg=28992)
    with pytest.raises(VectorLayerError, match="matches no feature"):
        read_vector(bgt, where="function = 'nothing'", target_epsg=28992)
    with pytest.raises(VectorLayerError, match=r"layer 'roads': no such layer"):
        read_vector(bgt, layer="roads", target_epsg=28992)
    p = tmp_path / "two.gpkg"
    _write(p, _pts(), "EPSG:28992", id=np.arange(5))
    from pyogrio.raw import write

    write(str(p), shapely.to_wkb(np.asarray(_pts(2), dtype=object)), geometry_type="Point",
          field_data=[np.arange(2)], fields=["id"], crs="EPSG:28992", layer="second",
          append=False)
    with pytest.raises(VectorLayerError, match="has 2 layers"):
        read_vector(p, target_epsg=28992)
    assert len(read_vector(p, layer="second", target_epsg=28992)) == 2


def test_missing_file_and_not_a_vector_file(tmp_path):
    with pytest.raises(VectorLayerError, match="no such file"):
        read_vector(tmp_path / "none.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text("this is not json")
    with pytest.raises(VectorLayerError, match="bad.geojson"):
        read_vector(bad)


def test_multi_geometries_split_or_refused(tmp_path):
    mp = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    ml = shapely.MultiLineString([[(0, 0), (1, 0)], [(0, 1), (1, 1), (2, 1)]])
    mpt = shapely.MultiPoint([(0, 0), (1, 1)])
    for geom, fn, n in ((mp, polygon_parts, 2), (ml, line_parts, 2)):
        p = _write(tmp_path / f"{geom.geom_type}.gpkg", [geom], "EPSG:28992", id=[7])
        lay = read_vector(p, target_epsg=28992)
        with pytest.raises(VectorLayerError, match="split = true"):
            fn(lay)
        parts = fn(lay, split=True)
        assert len(parts) == n and all(pt.feature == 0 for pt in parts)
    p = _write(tmp_path / "mpt.gpkg", [mpt], "EPSG:28992", id=[7])
    with pytest.raises(VectorLayerError, match="split = true"):
        point_coords(read_vector(p, target_epsg=28992))
    xy, fid = point_coords(read_vector(p, target_epsg=28992), split=True)
    assert xy.shape == (2, 2) and list(fid) == [0, 0]
    # a polygon layer asked for lines
    with pytest.raises(VectorLayerError, match="expected lines"):
        line_parts(read_vector(tmp_path / "MultiPolygon.gpkg", target_epsg=28992), split=True)


def test_polygon_holes_are_kept(bgt):
    lay = read_vector(bgt, target_epsg=28992)
    parts = polygon_parts(lay)
    assert sum(len(p.holes) for p in parts) == 38  # README: 38 inner rings
    assert all(not np.array_equal(p.coords[0], p.coords[-1]) for p in parts)


def test_shapefile_with_prj(tmp_path):
    p = _write(tmp_path / "poles.shp", _pts(3), "EPSG:28992", hoogte=[6.0, 8.0, 6.0])
    lay = read_vector(p, target_epsg=28992)
    assert np.allclose(lay.field("hoogte"), [6.0, 8.0, 6.0])
    with pytest.raises(VectorLayerError, match=r"field 'height': no such field"):
        lay.field("height")


def test_missing_gis_extra_is_one_clear_error():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pyogrio', 'shapely', 'pyproj'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import cpted_sim, cpted_sim.io.vector as v, cpted_sim.io.scenario_file\n"
        "try:\n"
        "    v.read_vector('x.gpkg')\n"
        "except cpted_sim.errors.VectorLayerError as e:\n"
        "    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ERR" in out.stdout and "pip install cpted_sim[gis]" in out.stdout


def test_projected_coordinates_in_a_geojson_without_crs_are_refused(tmp_path):
    p = _write(tmp_path / "rd_no_crs.geojson", _pts(), None, id=np.arange(5))
    assert "4326" in pyogrio.read_info(str(p))["crs"]   # GDAL: GeoJSON is WGS84 by default
    with pytest.raises(VectorLayerError, match=r"rd_no_crs.geojson layer .*x = 85040, "
                       r"y = 447512, which are not degrees"):
        read_vector(p, target_epsg=28992)


def test_bbox_is_in_the_scene_crs_after_transforming(tmp_path):
    tr = pyproj.Transformer.from_crs(28992, 4326, always_xy=True)
    pts = [shapely.Point(*tr.transform(85000.0 + 10 * i, 447500.0)) for i in range(5)]
    p = _write(tmp_path / "ll.gpkg", pts, "EPSG:4326", id=np.arange(5))
    lay = read_vector(p, target_epsg=28992, bbox=(85005.0, 447490.0, 85025.0, 447510.0))
    assert list(lay.field("id")) == [1, 2]
    assert list(lay.feature_ids) == [1, 2]
    with pytest.raises(VectorLayerError, match="bbox: expected"):
        read_vector(p, target_epsg=28992, bbox=(1, 2, 3))
