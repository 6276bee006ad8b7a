"""Context at each report and places (issue 14 builds 3-4) on the planted neighbourhood."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _triage_town import town_reports, town_scenario  # noqa: E402

from cpted_sim.triage.context import (CONTEXT_QUANTITIES, neighbourhood_grid, report_context,
                                      sun_elevation)
from cpted_sim.triage.places import (Place, cluster_reports, dominant, group_places,
                                     score_place)


@pytest.fixture(scope="module")
def town():
    sc = town_scenario()
    ids, xy, times, kind = town_reports()
    ctx = report_context(sc, xy, ids, times, spacing=1.0)
    return sc, ctx, kind


def test_context_separates_the_planted_places(town):
    _, ctx, kind = town
    v = {k: {q: float(np.mean(ctx.values[q][kind == k])) for q in CONTEXT_QUANTITIES}
         for k in ("path", "square", "niche")}
    # measured: path E_h_mean 0.05 lx, dark 1.0, unwatched at night 1.0, no light within 69 m
    assert v["path"]["dark_share"] > 0.95 and v["path"]["unwatched_night"] > 0.95
    assert v["path"]["E_h_mean"] < 0.3 and v["path"]["light_distance"] > 40
    # measured: square E_h_min 8.9 lx, E_sc_min 1.9 lx, night surveillance 2.6
    assert v["square"]["E_h_min"] > 3 and v["square"]["dark_share"] < 0.05
    assert v["square"]["night_surveillance"] > 1 and v["square"]["unwatched_night"] < 0.1
    # measured: niche concealed 11.4 m2 (the recess is 12 m2), open path and square 0 m2
    assert 4 < v["niche"]["concealed_m2"] < 20
    assert v["path"]["concealed_m2"] < 1 and v["square"]["concealed_m2"] < 1
    assert v["niche"]["isovist_area"] < 0.3 * v["square"]["isovist_area"]   # a street
    assert np.all(ctx.values["at_night"] == 1.0)
    assert np.all(ctx.values["entrapment"] < 0.2)


def test_acceptance_path_first_square_apart_niche_concealed(town):
    _, ctx, kind = town
    with_d, without, labels = group_places(ctx)
    first = with_d[0]
    ids_path = set(ctx.ids[kind == "path"])
    assert ids_path <= set(first.report_ids)
    assert first.dominant_deficit in ("dark", "unwatched")
    assert set(first.causes[:2]) == {"dark", "unwatched"}
    square = [p for p in without if set(ctx.ids[kind == "square"]) <= set(p.report_ids)]
    assert len(square) == 1 and square[0].dominant_deficit == "none"
    assert not any(set(ctx.ids[kind == "square"]) & set(p.report_ids) for p in with_d)
    niche = [p for p in with_d if set(ctx.ids[kind == "niche"]) <= set(p.report_ids)]
    assert len(niche) == 1 and niche[0].dominant_deficit == "concealment"
    # every place holds at least k = 3 reports; labels point at them
    assert all(p.n_reports >= 3 for p in with_d + without)
    for k, p in enumerate(with_d):
        assert set(ctx.ids[labels == k]) == set(p.report_ids)
    assert [p.id for p in with_d] == [f"P{k + 1:02d}" for k in range(len(with_d))]
    assert all(a.score >= b.score for a, b in zip(with_d, with_d[1:]))


def test_neighbourhood_grid_leaves_out_buildings_and_outside(town):
    sc, _, _ = town
    from cpted_sim.scenario.run import build_scene

    scene = build_scene(sc)
    g = neighbourhood_grid(scene, [[206.0, 50.0], [5.0, 5.0]], 6.0, 1.0, scenario=sc)
    p = g.points
    in_block = (p[:, 0] > 180.5) & (p[:, 0] < 203.5) & (p[:, 1] > 44.5) & (p[:, 1] < 55.5)
    assert not in_block.any()
    assert p[:, :2].min() >= 0.0 and np.allclose(p[:, 2], 0.0, atol=1e-6)
    # the niche (204..208 x 53..56) is walkable and in the grid
    assert np.any((p[:, 0] > 204) & (p[:, 0] < 208) & (p[:, 1] > 53) & (p[:, 1] < 56))


def test_entrapment_in_a_walled_alley():
    from cpted_sim.scenario.run import build_scene

    quads = [[(0, -20, 0.0), (100, -20, 0.0), (100, 20, 0.0), (0, 20, 0.0)]]
    from _triage_town import _box_quads

    quads += _box_quads((20, 1.0, 0.0), (80, 10, 6.0)) + _box_quads((20, -10, 0.0),
                                                                    (80, -1.0, 6.0))
    from cpted_sim.scenario import model as m

    sc = m.Scenario("alley", m.SceneSpec(m.GeometrySpec(builtin="quads",
                                                       params={"quads": quads}, group="a")))
    from cpted_sim.errors import CptedWarning

    with pytest.warns(CptedWarning, match=r"1 of 3 reports lie inside buildings.*at most 4\.0 m"):
        ctx = report_context(sc, [[50.0, 0.0], [50.0, 16.0], [50.0, 6.0]], observers=False)
    # the report at y = 6 (inside the north block, 1..10) moves to the nearest grid point
    # outside: y = 10 (the block's face, 2 m lattice)
    assert np.allclose(ctx.xy[2], [50.0, 10.0]) and ctx.settings["n_moved"] == 1
    # measured: 1.0 in the 2 m wide, 60 m long alley (the path runs 25 m each way from the
    # report, inside the walls); 0 in the open beside it
    assert ctx.values["entrapment"][0] > 0.9 and ctx.values["entrapment"][1] == 0.0
    assert "note_no_observers" in ctx.settings["note_keys"]


def test_sun_elevation_day_and_night():
    t = np.array(["2025-06-21T11:40:00", "2025-01-15T22:00:00", "NaT"], dtype="datetime64[s]")
    el = sun_elevation(t, 52.0, 4.4)
    # solar noon at midsummer in Delft: 90 - 52 + 23.44 = 61.4 deg
    assert abs(el[0] - 61.4) < 0.5
    assert el[1] < -30 and np.isnan(el[2])


def test_cluster_reports_density_and_min_reports():
    rng = np.random.default_rng(3)
    a = rng.normal([0, 0], 2.0, (6, 2))
    b = rng.normal([100, 0], 2.0, (2, 2))          # too few: scattered
    c = np.array([[200.0, 0.0]])
    lab = cluster_reports(np.vstack([a, b, c]), eps=15.0, min_reports=3)
    assert np.all(lab[:6] == 0) and np.all(lab[6:] == -1)
    assert np.all(cluster_reports(np.zeros((0, 2))) == -1)


def test_a_street_full_of_reports_is_several_places_not_one():
    x = np.arange(0.0, 200.0, 2.0)                 # a report every 2 m along 200 m
    xy = np.column_stack([x, np.zeros_like(x)])
    lab = cluster_reports(xy, eps=15.0, min_reports=3)
    assert lab.min() >= 0 and lab.max() + 1 >= 6
    for k in range(lab.max() + 1):
        span = np.ptp(x[lab == k])
        assert span <= 30.0 and np.sum(lab == k) >= 3


def test_score_and_dominant_are_transparent():
    d = {"dark": 1.0, "unwatched": 0.5, "concealment": 0.0, "entrapment": 0.0}
    assert score_place(4, d) == pytest.approx(4 * 2.5)
    assert dominant(d) == "dark"
    assert dominant({"dark": 0.49}) == "none"
    assert dominant({"dark": 0.7, "unwatched": 0.7}) == "dark"          # ties: DEFICITS order
    p = Place("P01", [1, 2], ["a", "b", "c"], 3, 7.5, d, "dark")
    assert p.causes == ("dark", "unwatched") and p.xy.shape == (2,)
    with pytest.raises(ValueError, match="dominant_deficit"):
        Place("P02", [0, 0], [], 0, 0.0, {}, "gloomy")


def test_acceptance_best_measure_at_the_path_is_a_light_or_a_view(town):
    """Runs once ``cpted_sim.triage.measures`` (issue 14 build 5) is installed."""
    pytest.importorskip("cpted_sim.triage.measures",
                        reason="cpted_sim.triage.measures is not in this version")
    import warnings

    from cpted_sim.errors import CptedWarning
    from cpted_sim.triage.pipeline import triage

    sc, ctx, kind = town
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CptedWarning)
        res = triage(sc, ctx.xy, ctx.ids, np.full(len(ctx.ids), np.datetime64("2025-01-10T22:00"),
                                                  dtype="datetime64[s]"), top=3)
    best = res.measures[res.places[0].id][0]
    assert best.measure.kind in ("add_pole", "raise_light", "aim_light", "open_facade")
    assert best.effect_m2 > 0
    # the niche's cause is concealment, and its best measure removes it: the recess closed
    niche = [p for p in res.places if set(ctx.ids[kind == "niche"]) <= set(p.report_ids)]
    assert len(niche) == 1 and niche[0].id in res.measures
    nb = res.measures[niche[0].id][0]
    assert nb.measure.kind in ("close_niche", "remove_obstacle")
    # measured: 9 m2 of the 11 m2 concealed removed, 12 m2 night-time dark-and-unseen
    assert nb.concealment_m2_removed > 5.0
    assert nb.effect_per_cost > max(r.effect_per_cost for r in res.measures[niche[0].id][1:])
