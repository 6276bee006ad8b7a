"""The triage pipeline on the real report formats over the Delft district's extent."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

from cpted_sim.cli import main
from cpted_sim.errors import CptedWarning, ParameterError
from cpted_sim.io.citizen_reports import read_reports
from cpted_sim.io.scenario_writer import save_scenario
from cpted_sim.scenario import model as m
from cpted_sim.triage.pipeline import triage

pytest.importorskip("pyproj")
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reports"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data/reports (the report fixtures) is absent")
X0, Y0, X1, Y1 = 84616.0, 447422.0, 85141.0, 447751.0


def _delft_ground() -> m.Scenario:
    quad = [[(X0, Y0, 0.0), (X1, Y0, 0.0), (X1, Y1, 0.0), (X0, Y1, 0.0)]]
    geom = m.GeometrySpec(builtin="quads", params={"quads": quad}, group="ground")
    return m.Scenario("delft ground", m.SceneSpec(geom, origin=(X0, Y0, 0.0), epsg=28992),
                      settings=m.RunSettings(quiet=True))


@needs_shared
def test_signalen_geojson_through_the_cli(tmp_path, capsys):
    save_scenario(_delft_ground(), tmp_path / "delft.toml")
    out = tmp_path / "out"
    rc = main(["--quiet", "triage", str(tmp_path / "delft.toml"), "--reports",
               str(SHARED / "signalen_public_geography.geojson"), "--out", str(out),
               "--lang", "en", "--radius", "40"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "no luminaires" in err and "no observers" in err
    rows = list(csv.DictReader(open(out / "reports.csv", encoding="utf-8")))
    assert len(rows) == 60
    md = (out / "triage.md").read_text(encoding="utf-8")
    assert "| Reports read | 60 |" in md and "| Reports in the scene | 60 |" in md
    assert "The scenario has no luminaires" in md and "| Coordinate system | EPSG:28992 |" in md
    pyogrio = pytest.importorskip("pyogrio")
    assert pyogrio.read_info(str(out / "triage.gpkg"), layer="places")["crs"] == "EPSG:28992"
    # the public feed's created_at are local times with an offset; most are after dark
    night = [float(r["at_night"]) for r in rows]
    assert 20 < sum(night) < 60


@needs_shared
def test_swapped_dwh_csv_gives_the_same_context_as_the_signal_json():
    sc = _delft_ground()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        a = read_reports(SHARED / "signalen_signals.json")
        b = read_reports(SHARED / "signalen_dwh_signals.csv")
        ra = triage(sc, a.xy, a.ids, a.times, radius=40.0, measures=False)
        rb = triage(sc, b.xy, b.ids, b.times, radius=40.0, measures=False)
    assert [p.n_reports for p in ra.places] == [p.n_reports for p in rb.places]
    assert np.array_equal(ra.context.values["at_night"], rb.context.values["at_night"])
    assert all(p.dominant_deficit == "dark" for p in ra.places)     # no light at all


def test_pipeline_notes_and_bad_min_reports():
    sc = _delft_ground()
    xy = np.array([[84700.0, 447500.0], [84702.0, 447501.0], [84701.0, 447503.0],
                   [85000.0, 447700.0]])
    with pytest.warns(CptedWarning, match="1 of 4 reports lie in groups of fewer than 3"):
        res = triage(sc, xy)
    keys = [k for k, _ in res.note_keys]
    assert keys[:2] == ["note_no_luminaires", "note_no_observers"]
    assert "note_scattered" in keys
    assert res.n_scattered == 1 and len(res.places) == 1
    assert list(res.place_of()) == ["P01", "P01", "P01", ""]
    with pytest.raises(ParameterError, match="min_reports"):
        triage(sc, xy, min_reports=0)
