"""Reasons for "none", "0" and extreme values, and edge effects at the ends of routes."""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _hedge_yard import hedge_yard  # noqa: E402

from cpted_sim.field import Field  # noqa: E402
from cpted_sim.io.report_reasons import edge_effects, reasons, reasons_section  # noqa: E402
from cpted_sim.io.report_sections import render_md  # noqa: E402
from cpted_sim.scenario.compare import compare  # noqa: E402


@pytest.fixture(scope="module")
def yard():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare(hedge_yard())


def _reason(found, variant, area, metric):
    hits = [x["text"] for x in found if (x["variant"], x["area"], x["metric"])
            == (variant, area, metric)]
    assert len(hits) == 1, (variant, area, metric, found)
    return hits[0]


def test_class_none_names_the_dark_points_and_the_hedge_that_shadows_them(yard):
    found = reasons(yard)
    text = _reason(found, "base", "yard", "class_achieved")
    area = yard.base.areas["yard"]
    assert area.metrics["class_achieved"].label == "none"
    e = area.fields["E_h"].values
    n_dark = int(np.sum(e < 0.4))                      # P6's minimum; measured 140 points
    assert 100 <= n_dark <= 180
    assert text.startswith(f"class none at {area.metrics['E_avg'].value:.3g} lx average "
                           "(enough for P5) because the minimum is 0 lx, below P6's 0.4 lx")
    assert f"{n_dark} points ({n_dark} m²) below 0.4 lx" in text
    m = re.search(r"; (\d+) of (\d+) lie in the shadow of 'vegetation'", text)
    assert m and int(m.group(2)) == n_dark
    assert int(m.group(1)) > 0.8 * n_dark             # measured 122 of 140 behind the hedge
    x = float(re.search(r"around x = ([\d.]+)", text).group(1))
    assert 13.0 < x < 28.0                             # behind the hedge, seen from the lamp


def test_faces_without_light_are_located(yard):
    area = yard.base.areas["yard"]
    n = int(np.sum(area.fields["E_sc"].values <= 0))
    assert area.metrics["E_sc_min"].value == 0 and n > 0     # behind the hedge
    text = _reason(reasons(yard), "base", "yard", "E_sc_min")
    assert text.startswith(f"a face gets no light from any side at {n} points ({n} m²) "
                           "with E_sc 0, around")
    assert "'vegetation'" in text


def test_a_zero_dark_and_unseen_area_says_why(yard):
    found = reasons(yard)
    assert yard.variants[0].areas["yard"].metrics["dark_unseen_area"].value == 0
    text = _reason(found, "more light", "yard", "dark_unseen_area")
    assert "dark points all lie in sight of an observer" in text
    walk = _reason(found, "more light", "walk", "dark_unseen_pct")
    assert walk.startswith("no point is dark: every point gets at least 1 lx")


def test_concealment_only_at_the_ends_of_the_route_is_labelled_an_edge_effect(yard):
    edges = {e["variant"]: e for e in edge_effects(yard)}
    e = edges["base"]
    total = yard.base.areas["yard"].metrics["concealment_area"].value
    assert e["only_at_ends"] and e["total_m2"] == pytest.approx(total)   # measured 92 m2
    assert e["at_ends_m2"] == pytest.approx(total) and e["elsewhere_m2"] == 0
    assert "edge effect" in _reason(reasons(yard), "base", "yard", "concealment_area")
    # the walk's dark points are counted in metres of route, not square metres
    walk = _reason(reasons(yard), "base", "walk", "E_min")
    assert "4 points (4 m of route) below 0.119 lx" in walk


def test_concealment_along_the_route_is_not_all_an_edge_effect(yard):
    area = yard.base.areas["yard"]
    c = np.nan_to_num(area.fields["concealment"].values).copy()
    pts = area.grid.points
    mid = int(np.argmin(np.hypot(pts[:, 0] - 15.0, pts[:, 1] - 26.0)))  # far from both ends
    assert c[mid] == 0
    c[mid] = 1.0
    fields = {**area.fields, "concealment": Field(c, area.grid, "concealment", "1", {})}
    base = replace(yard.base, areas={**yard.base.areas, "yard": replace(area, fields=fields)})
    e = edge_effects(replace(yard, base=base, variants=()))[0]
    assert not e["only_at_ends"] and e["elsewhere_m2"] == pytest.approx(1.0)
    assert "the other 1 m² lies along the route" in e["text"]


def test_no_observers_is_the_reason_for_unseen_everywhere(yard):
    res = yard.base
    yard_area = res.areas["yard"]
    metrics = dict(yard_area.metrics)
    metrics["unobserved_pct"] = replace(metrics["unobserved_pct"], value=100.0)
    metrics["night_surveyed_pct"] = replace(metrics["night_surveyed_pct"], value=0.0)
    res = replace(res, settings={**res.settings, "n_observers": 0},
                  areas={"yard": replace(yard_area, metrics=metrics)})
    found = reasons(replace(yard, base=res, variants=()))
    assert _reason(found, "base", "yard", "unobserved_pct") == "the variant has no observers"
    assert _reason(found, "base", "yard", "night_surveyed_pct") == "the variant has no observers"


def test_nothing_to_explain_says_so(yard):
    lines = render_md(reasons_section(yard, found=[]))
    assert "- No metric reads none, 0 or an extreme value that needs explaining." in lines


def test_an_area_without_light_says_so_rather_than_quoting_its_uniformity(yard):
    res = yard.base
    area = res.areas["yard"]
    e = area.fields["E_h"]
    dim = e.with_values(e.values * 1e-5)
    metrics = dict(area.metrics)
    for k in ("E_avg", "E_min"):
        metrics[k] = replace(metrics[k], value=metrics[k].value * 1e-5)
    metrics.pop("class_achieved")
    res = replace(res, areas={"yard": replace(area, fields={**area.fields, "E_h": dim},
                                              metrics=metrics)})
    found = reasons(replace(yard, base=res, variants=()))
    text = _reason(found, "base", "yard", "E_avg")
    assert text.startswith("practically no light reaches yard (average 3.8e-05 lx): ")
    assert f"{area.grid.n_points} points" in text          # every point is below 0.05 lx
    assert not any(x["metric"] == "E_min" for x in found)
