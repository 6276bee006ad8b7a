"""``cpted-sim triage``: outputs, privacy by default, both languages (issue 14 builds 2, 5)."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _triage_town import town_reports, town_scenario  # noqa: E402

from cpted_sim.cli import main
from cpted_sim.io.scenario_writer import save_scenario
from cpted_sim.io.triage_report import LABELS

MARKER = "GEHEIM-7f3a9c"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    d = tmp_path_factory.mktemp("triage")
    save_scenario(town_scenario(), d / "town.toml")
    ids, xy, times, _ = town_reports()
    with open(d / "meldingen.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "x", "y", "datum_tijd", "omschrijving"])
        for i in range(len(ids)):
            w.writerow([ids[i], f"{xy[i, 0]:.3f}", f"{xy[i, 1]:.3f}", f"{times[i]}Z",
                        f"{MARKER} melding {i}"])
        w.writerow(["X1", "", "", "2025-01-03T22:00:00+01:00", f"{MARKER} no place"])
        w.writerow(["X2", "9000", "9000", "2025-01-03T22:00:00+01:00", f"{MARKER} far"])
    return d, xy


def _run(d, out, *extra):
    return main(["--quiet", "triage", str(d / "town.toml"), "--reports",
                 str(d / "meldingen.csv"), "--out", str(out), "--no-measures", *extra])


@pytest.fixture(scope="module")
def dutch(study):
    d, _ = study
    out = d / "out_nl"
    assert _run(d, out, "--lang", "nl") == 0
    return out


def test_outputs_and_counts(dutch, capsys):
    names = sorted(p.name for p in dutch.iterdir())
    assert names == ["manifest.json", "places.csv", "reports.csv", "triage.gpkg", "triage.html",
                     "triage.md", "triage_map.png"]
    rows = list(csv.DictReader(open(dutch / "places.csv", encoding="utf-8")))
    assert rows[0]["place"] == "P01" and rows[0]["dominant_deficit"] == "dark"
    none = [r for r in rows if r["dominant_deficit"] == "none"]
    assert len(none) == 1 and int(none[0]["n_reports"]) >= 20 and none[0]["rank"] == ""
    md = (dutch / "triage.md").read_text(encoding="utf-8")
    # 69 read, 67 in the scene, 1 without coordinates, 1 outside: all counted in the report
    assert "| Meldingen gelezen | 69 |" in md
    assert "| Meldingen zonder coördinaten | 1 |" in md
    assert "| Meldingen buiten het gebied | 1 |" in md
    rep = list(csv.DictReader(open(dutch / "reports.csv", encoding="utf-8")))
    assert len(rep) == 67 and "x" not in rep[0] and "text" not in rep[0]


def test_no_report_text_or_location_in_any_output(study, dutch):
    _, xy = study
    for p in dutch.iterdir():
        text = p.read_bytes().decode("utf-8", errors="replace")
        assert MARKER not in text, p.name
        numbers = re.findall(r"-?\d+(?:\.\d+)?", text)
        pairs = set(zip(numbers, numbers[1:]))
        # no report's x followed by its y (as they were written into the input)
        for x, y in xy:
            assert (f"{x:.3f}", f"{y:.3f}") not in pairs, p.name


def test_include_text_writes_the_texts(study):
    d, _ = study
    out = d / "out_text"
    assert _run(d, out, "--lang", "en", "--include-text") == 0
    assert MARKER in (out / "reports.csv").read_text(encoding="utf-8")
    assert MARKER in (out / "triage.md").read_text(encoding="utf-8")


def test_dutch_report_has_no_english_label(dutch):
    for name in ("triage.md", "triage.html"):
        text = (dutch / name).read_text(encoding="utf-8")
        for key, v in LABELS.items():
            if v["en"] == v["nl"]:
                continue
            en = v["en"].split("{")[0].strip() or v["en"]
            assert en not in text, f"{name}: English label {key!r} ({en!r}) in the Dutch report"
    assert '<html lang="nl">' in (dutch / "triage.html").read_text(encoding="utf-8")


def test_english_report_and_bad_language(study, capsys):
    d, _ = study
    out = d / "out_en"
    assert _run(d, out, "--lang", "en") == 0
    md = (out / "triage.md").read_text(encoding="utf-8")
    assert "## 1. Analysis" in md and "## 2. Alternatives" in md
    assert "| 1 | P01 |" in md and "dark, unwatched" in md
    with pytest.raises(SystemExit):
        _run(d, d / "out_xx", "--lang", "de")


def test_labels_are_complete():
    for key, v in LABELS.items():
        assert set(v) == {"en", "nl"} and all(v.values()), key


def test_bad_reports_file_and_strict_are_one_line_errors(study, tmp_path, capsys):
    d, _ = study
    bad = tmp_path / "bad.csv"
    bad.write_text("id,x,y,datum_tijd\na,1,2,gisteren\n", encoding="utf-8")
    rc = main(["--quiet", "triage", str(d / "town.toml"), "--reports", str(bad), "--out",
               str(tmp_path / "o1")])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.csv record 1 (id a): time 'gisteren'" in err
    assert not (tmp_path / "o1").exists()
    rc = main(["--quiet", "triage", str(d / "town.toml"), "--reports",
               str(d / "meldingen.csv"), "--out", str(tmp_path / "o2"), "--no-measures",
               "--strict"])
    err = capsys.readouterr().err
    assert rc == 2 and "--strict:" in err and not (tmp_path / "o2").exists()


def test_gpkg_places_layer(dutch):
    pyogrio = pytest.importorskip("pyogrio")
    import pyogrio.raw  # noqa: F401

    meta, _, geom, fields = pyogrio.raw.read(str(dutch / "triage.gpkg"), layer="places")
    names = list(meta["fields"])
    assert "place" in names and "dominant_deficit" in names
    rows = list(csv.DictReader(open(dutch / "places.csv", encoding="utf-8")))
    assert list(fields[names.index("place")]) == [r["place"] for r in rows]
    assert meta["crs"] is None          # the built-in scene has no CRS


def test_overview_map_is_in_the_report_with_a_caption_in_its_language(dutch, study):
    from cpted_sim.io.triage_report import MAP_FILE

    d, _ = study
    assert (dutch / MAP_FILE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (dutch / "triage.html").read_text(encoding="utf-8")
    assert f'<img src="{MAP_FILE}"' in html
    assert LABELS["map_caption"]["nl"] in html and LABELS["map_caption"]["en"] not in html
    out = d / "out_en_map"
    assert _run(d, out, "--lang", "en") == 0
    md = (out / "triage.md").read_text(encoding="utf-8")
    assert f"]({MAP_FILE})" in md and LABELS["map_caption"]["en"] in md


def test_overview_map_shows_places_not_reports(tmp_path, monkeypatch):
    """Discs for places with a scale bar and a north arrow; no point per report."""
    import matplotlib.pyplot as plt

    from cpted_sim.plot import triage_map
    from cpted_sim.triage.places import Place

    places = [Place("P01", [40.0, 60.0], ["a", "b", "c", "d"], 4, 9.0, {"dark": 1.0}, "dark"),
              Place("N01", [130.0, 60.0], ["e", "f", "g"], 3, 0.0, {}, "none")]
    seen = {}
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig: seen.setdefault("fig", fig))
    triage_map.triage_overview_map(places, tmp_path / "m.png", labels={"reports": "meldingen"})
    ax = seen["fig"].axes[0]
    gids = [a.get_gid() for a in ax.get_children()]
    assert gids.count("place") == 2
    assert "scale_bar" in gids and "north_arrow" in gids
    texts = [t.get_text() for t in ax.texts]
    assert "1. P01\n4 meldingen" in texts and "N01\n3 meldingen" in texts
    assert not ax.collections or all(len(c.get_offsets()) == 0 for c in ax.collections
                                     if hasattr(c, "get_offsets"))
    close(seen["fig"])
