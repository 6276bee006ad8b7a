"""Presence weights by the hour (issue #18, item 2)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.visibility import CREST_PRESENCE, ObserverSet, presence_weights, with_presence


def _observers():
    a = ObserverSet.from_points([[0, 0, 1.6], [1, 0, 1.6]], kind="window", weight=2.0)
    b = ObserverSet.from_points([[0, 5, 1.6]], kind="path")
    return a + b


def test_crest_table_is_the_issues_figures():
    t = np.asarray(CREST_PRESENCE)
    assert t.shape == (24,)
    assert (t[21], t[22], t[23], t[0]) == (0.71, 0.55, 0.29, 0.10)
    assert np.all((t[1:5] >= 0.02) & (t[1:5] <= 0.03))


def test_default_presence_by_kind_and_slot():
    obs = _observers()
    np.testing.assert_array_equal(presence_weights(obs, 21.5), [0.71, 0.71, 1.0])
    np.testing.assert_array_equal(presence_weights(obs, 2.0), [0.025, 0.025, 1.0])
    flow = np.linspace(0.0, 1.15, 24)
    np.testing.assert_array_equal(presence_weights(obs, 23.99, {"path": flow})[2], flow[23])
    per = np.tile(np.arange(24.0), (3, 1))
    np.testing.assert_array_equal(presence_weights(obs, 5.5, per), [5.0, 5.0, 5.0])
    with pytest.raises(ParameterError, match="24 values"):
        presence_weights(obs, 1.0, {"window": [1.0, 2.0]})
    with pytest.raises(ParameterError, match="shape"):
        presence_weights(obs, 1.0, np.ones((2, 24)))


def test_with_presence_scales_weights_only():
    obs = _observers()
    out = with_presence(obs, [0.5, 0.0, 2.0])
    np.testing.assert_array_equal(out.weight, [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(out.positions, obs.positions)
    with pytest.raises(ParameterError):
        with_presence(obs, [1.0, -1.0, 1.0])
