"""Every gallery example runs at small size and writes its maps.

Each ``examples/plot_*.py`` runs in-process with ``CPTED_SIM_EXAMPLE_SMALL=1`` in a temporary
working folder; the test checks the PNG files it promises are written and are real images.
"""

from __future__ import annotations

import importlib
import runpy
from pathlib import Path

import numpy as np
import pytest

import cpted_sim as cs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: example -> (the maps it writes, the public names it needs)
CASES = {
    "plot_street_canyon.py": (
        ("street_canyon_E_h.png", "street_canyon_surveillance.png",
         "street_canyon_night_surveillance.png", "street_canyon_dark_unseen.png"),
        ("illuminance", "ObserverSet", "surveillance", "night_surveillance",
         "scenario.synthetic"),
    ),
    "plot_underpass.py": (
        ("underpass_E_h.png", "underpass_delta_E_h.png", "underpass_night_surveillance.png"),
        ("illuminance", "ObserverSet", "night_surveillance"),
    ),
    "plot_night_hours.py": (
        ("night_hours_surveillance.png", "night_hours_E_h.png"),
        ("hourly_illuminance", "Schedule", "ObserverSet", "lighting.hours"),
    ),
    "plot_park_path.py": (
        ("park_path_E_h.png", "park_path_surveillance.png", "park_path_dark_unseen.png"),
        ("illuminance", "ObserverSet", "surveillance", "scenario.synthetic"),
    ),
}


def _missing(names) -> list[str]:
    out = []
    for n in names:
        if "." in n:
            try:
                importlib.import_module(f"cpted_sim.{n}")
            except ImportError:
                out.append(f"cpted_sim.{n}")
        elif not hasattr(cs, n):
            out.append(f"cs.{n}")
    return out


def test_a_missing_public_name_is_reported():
    assert _missing(("illuminance", "scenario.synthetic")) == []
    assert _missing(("no_such_function", "scenario.no_such_module")) == [
        "cs.no_such_function", "cpted_sim.scenario.no_such_module"]


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("plot_*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_small(name, tmp_path, monkeypatch, capsys):
    from matplotlib.image import imread

    pngs, needs = CASES[name]
    # a public name the example uses and the package lacks is a failure, never a skip
    missing = _missing(needs)
    assert not missing, f"{name} needs {', '.join(missing)}, which cpted_sim does not provide"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CPTED_SIM_EXAMPLE_SMALL", "1")
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    for png in pngs:
        p = tmp_path / png
        assert p.is_file(), f"{name} did not write {png}"
        img = imread(p)[..., :3]
        assert img.shape[0] > 200 and img.shape[1] > 300
        assert np.ptp(img) > 0.5 and (img.std(axis=2) > 0.05).mean() > 0.02  # colour drawn
    assert capsys.readouterr().out.strip()  # each example prints its headline numbers
