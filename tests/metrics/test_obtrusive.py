"""Obtrusive light limits at windows (issue #18, item 4)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.metrics.obtrusive import OBTRUSIVE_PRESETS, check_obtrusive, obtrusive_limits


def test_presets_have_sources_and_curfew():
    e3 = obtrusive_limits("E3")
    assert (e3.E_v_pre, e3.E_v_post, e3.I_pre, e3.I_post) == (10.0, 2.0, 10000.0, 1000.0)
    assert [OBTRUSIVE_PRESETS[z].E_v_pre for z in ("E1", "E2", "E3", "E4")] == [2, 5, 10, 25]
    assert all("CIE 150" in OBTRUSIVE_PRESETS[z].source for z in ("E1", "E2", "E3", "E4"))
    np.testing.assert_array_equal(e3.E_v_limit([22.5, 23.0, 2.0, 6.0]), [10, 2, 2, 10])
    nsvv = obtrusive_limits("NSVV-urban")
    assert np.all(np.isinf(nsvv.I_limit([1.0, 22.0])))
    own = obtrusive_limits({"E_v_pre": 4.0, "E_v_post": 1.5, "curfew": 22.0})
    assert own.name == "user" and own.E_v_limit(22.5) == 1.5
    with pytest.raises(ParameterError, match="zone"):
        obtrusive_limits("E9")
    with pytest.raises(ParameterError, match="zone"):
        obtrusive_limits({"E_v_pre": 1.0, "E_v_post": 1.0, "bogus": 3})


def test_over_limit_list_matches_brute_force():
    rng = np.random.default_rng(1812)
    hours = np.array([20.5, 21.5, 22.5, 23.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    ev = rng.gamma(1.0, 3.0, (hours.size, 300))
    inten = rng.gamma(1.0, 800.0, (hours.size, 300))
    res = check_obtrusive(ev, inten, hours, "E3")
    for t, h in enumerate(hours):
        post = h >= 23.0 or h < 6.0
        ev_lim, i_lim = (2.0, 1000.0) if post else (10.0, 10000.0)
        brute = [i for i in range(300) if ev[t, i] > ev_lim or inten[t, i] > i_lim]
        assert res.over_windows(t).tolist() == brute
    assert res.over_windows().tolist() == sorted({i for t in range(hours.size)
                                                  for i in res.over_windows(t)})
    assert res.count_by_hour[res.worst_hour] == res.count_by_hour.max()
    assert res.count_by_hour[3] > res.count_by_hour[2]     # the curfew bites at 23:00
