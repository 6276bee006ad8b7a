"""Reading citizens' reports: Signalen GeoJSON / JSON, CSV (RD, lon/lat, swapped), times."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpted_sim.errors import CptedError, CptedWarning, ReportsFormatError
from cpted_sim.io.citizen_reports import parse_time, read_reports

pytest.importorskip("pyproj")

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reports"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data/reports (the report fixtures) is absent")
#: Delft district extent (RD New), from ../shared/data/reports/README.md
DELFT = (84616.0, 447422.0, 85141.0, 447751.0)


@needs_shared
def test_signalen_geojson_and_swapped_csv_give_the_same_points():
    geo = read_reports(SHARED / "signalen_public_geography.geojson", bbox=DELFT)
    with pytest.warns(CptedWarning, match="swapped"):
        dwh = read_reports(SHARED / "signalen_dwh_locations.csv", bbox=DELFT)
    assert geo.format == "signalen-geojson" and len(geo) == 60
    assert dwh.swapped_lat_lon and len(dwh) == 60
    assert np.max(np.abs(geo.xy - dwh.xy)) < 0.01          # measured 0.0 m (same 7 decimals)
    rd = read_reports(SHARED / "meldingen_rd.csv", bbox=DELFT)
    assert np.max(np.abs(geo.xy - rd.xy)) < 0.03           # measured 0.0107 m (RD to 1 cm)
    assert np.all((geo.xy[:, 0] > DELFT[0]) & (geo.xy[:, 0] < DELFT[2]))


@needs_shared
def test_signalen_json_and_dwh_pair_carry_times_text_and_categories():
    sig = read_reports(SHARED / "signalen_signals.json")
    with pytest.warns(CptedWarning, match="swapped"):
        dwh = read_reports(SHARED / "signalen_dwh_signals.csv")
    geo = read_reports(SHARED / "signalen_public_geography.geojson")
    assert sig.format == "signalen-json" and dwh.format == "csv-dwh"
    assert sig.ids[0] == "2d27322e-a2ca-415a-31f8-b4893f07ae7e"
    # 2025-07-06T21:28:00+02:00 in UTC
    assert sig.times[0] == np.datetime64("2025-07-06T19:28:00")
    assert np.array_equal(sig.times, dwh.times) and np.array_equal(sig.times, geo.times)
    assert "donker" in sig.texts[0] and geo.texts[0] == ""
    assert sig.categories[0] == "overig"
    assert np.max(np.abs(sig.xy - dwh.xy)) < 0.01


@pytest.mark.parametrize("text,utc", [
    ("2025-01-09T16:05:00+01:00", "2025-01-09T15:05:00"),
    ("2025-01-09T15:05:00Z", "2025-01-09T15:05:00"),
    ("2025-01-09 16:05", "2025-01-09T15:05:00"),            # naive: Europe/Amsterdam (CET)
    ("2025-07-09T16:05:00", "2025-07-09T14:05:00"),          # naive, summer time (CEST)
    ("2025-01-09", "2025-01-08T23:00:00"),
    ("20250109T160500+0100", "2025-01-09T15:05:00"),
])
def test_times_in_any_iso_form(text, utc):
    assert parse_time(text) == np.datetime64(utc)


def test_missing_and_outside_reports_are_counted_and_warned(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("id;x;y;datum_tijd;omschrijving\n"
                 "a;100;200;2025-01-01T22:00:00+01:00;one\n"
                 "b;;;2025-01-01T22:00:00+01:00;two\n"
                 "c;5000;200;;three\n"
                 "d;110;210;2025-01-02T23:00:00Z;four\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = read_reports(f, bbox=(0, 0, 1000, 1000))
    msgs = [str(w.message) for w in caught if issubclass(w.category, CptedWarning)]
    assert list(r.ids) == ["a", "d"]
    assert r.no_coordinates == ("b",) and r.outside == ("c",)
    assert r.summary() == {"read": 4, "in_scene": 2, "no_coordinates": 1, "outside_scene": 1}
    assert any("1 of 4 reports have no usable coordinates" in m for m in msgs)
    assert any("1 of 4 reports lie outside the scene" in m for m in msgs)


def test_lonlat_csv_in_the_right_order_is_not_flagged(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("lon,lat\n4.3665566,52.0117863\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CptedWarning)
        r = read_reports(f)
    assert not r.swapped_lat_lon
    assert abs(r.xy[0, 0] - 84930.2) < 0.05 and abs(r.xy[0, 1] - 447539.23) < 0.05


def test_bad_time_and_no_coordinates_are_one_line_errors(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("id,x,y,time\na,1,2,yesterday\n", encoding="utf-8")
    with pytest.raises(ReportsFormatError, match=r"r.csv record 1 \(id a\): time 'yesterday'"):
        read_reports(f)
    g = tmp_path / "g.csv"
    g.write_text("id,where\na,here\n", encoding="utf-8")
    with pytest.raises(ReportsFormatError, match="no coordinate columns"):
        read_reports(g)
    h = tmp_path / "h.json"
    h.write_text(json.dumps({"foo": 1}), encoding="utf-8")
    with pytest.raises(ReportsFormatError, match="h.json"):
        read_reports(h)


def test_geojson_feature_without_geometry_is_counted(tmp_path):
    f = tmp_path / "p.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "x1", "geometry": None, "properties": {}},
        {"type": "Feature", "id": "x2",
         "geometry": {"type": "Point", "coordinates": [4.3665566, 52.0117863]},
         "properties": {"created_at": "2025-07-06T21:28:00+02:00", "category": "licht"}}]}))
    with pytest.warns(CptedWarning, match="1 of 2 reports have no usable coordinates"):
        r = read_reports(f)
    assert list(r.ids) == ["x2"] and r.no_coordinates == ("x1",)
    assert r.format == "geojson" and r.categories[0] == "licht"


def test_gis_point_layer(tmp_path):
    pyogrio = pytest.importorskip("pyogrio")
    import pyogrio.raw  # noqa: F401
    shapely = pytest.importorskip("shapely")
    pts = [shapely.Point(84930.2, 447539.23), shapely.Point(84820.12, 447645.07)]
    path = tmp_path / "m.gpkg"
    pyogrio.raw.write(str(path), shapely.to_wkb(np.asarray(pts, dtype=object)),
                      geometry_type="Point", crs="EPSG:28992",
                      field_data=[np.array(["A", "B"], dtype=object),
                                  np.array(["2025-01-01T22:00:00+01:00", "2025-01-02"],
                                           dtype=object)], fields=["id", "datum"])
    r = read_reports(path)
    assert r.format == "vector" and list(r.ids) == ["A", "B"]
    assert abs(r.xy[1, 0] - 84820.12) < 1e-6
    assert r.times[0] == np.datetime64("2025-01-01T21:00:00")


def test_xy_columns_in_degrees_are_read_as_lon_lat(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("id,x,y\na,4.3665566,52.0117863\nb,4.3649317,52.0127236\n", encoding="utf-8")
    with pytest.warns(CptedWarning, match="x and y columns hold degrees"):
        r = read_reports(f, bbox=DELFT)
    assert len(r) == 2 and not r.swapped_lat_lon
    assert abs(r.xy[0, 0] - 84930.2) < 0.05 and abs(r.xy[0, 1] - 447539.23) < 0.05
    g = tmp_path / "g.csv"          # swapped too: fixed, with both warnings
    g.write_text("id,x,y\na,52.0117863,4.3665566\n", encoding="utf-8")
    with pytest.warns(CptedWarning) as rec:
        r = read_reports(g, bbox=DELFT)
    assert r.swapped_lat_lon and len(r) == 1
    assert any("swapped" in str(w.message) for w in rec)


_KEYS = ["type", "features", "geometry", "coordinates", "properties", "results", "location",
         "geometrie", "category", "created_at", "text", "uuid", "id", "crs", "name"]
_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), c, max_size=5),
    max_leaves=20)


def _read_or_refuse(p):
    """Read ``p``: reports or a library error, nothing else (warnings ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        try:
            read_reports(p)
        except CptedError:
            pass


@pytest.mark.slow
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(doc=_JSON)
def test_any_json_is_read_or_refused_with_a_reports_error(tmp_path_factory, doc):
    p = tmp_path_factory.mktemp("fz") / "f.geojson"
    p.write_text(json.dumps(doc), encoding="utf-8")
    _read_or_refuse(p)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=200))
def test_any_csv_text_is_read_or_refused_with_a_reports_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("fz") / "f.csv"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    _read_or_refuse(p)
