"""Built-in distributions: the shapes they promise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.photometry import canary, cosine_distribution, street_light_optic


def test_cosine_distribution_cie171():
    d = cosine_distribution(1000.0)
    g = np.array([0, 30, 60, 89.5, 90, 120, 180.0])
    np.testing.assert_allclose(d.intensity(0, g), 1000 * np.where(g < 90, np.cos(np.radians(g)), 0),
                               atol=0.01)
    assert d.flux == pytest.approx(1000 * math.pi, rel=1e-5)


def test_street_light_optic_shape():
    d = street_light_optic(flux=12000.0)
    assert d.flux == pytest.approx(12000.0, rel=1e-9)
    # (flux - downward flux) / flux: 0.0 here, -1.5e-16 on another machine (round-off of the
    # two integrals), so zero within a round-off bound, never exactly
    assert d.upward_fraction == pytest.approx(0.0, abs=1e-12)
    g = np.arange(0, 91, 1.0)
    along = d.intensity(0, g)
    street, house = d.intensity(90, g), d.intensity(270, g)
    np.testing.assert_allclose(along, d.intensity(180, g))       # symmetric along the road
    assert 60 <= g[np.argmax(along)] <= 80                       # throw along the road
    assert street.sum() > 2 * house.sum()                        # little backlight
    assert d.intensity(0, 85) < 0.1 * along.max()                # cut-off
    assert np.all(d.intensity(np.arange(0, 360, 5.0)[:, None], [[90.0, 120.0, 180.0]]) == 0)
    with pytest.raises(ParameterError, match="throw"):
        street_light_optic(throw=-1)


def test_canary_is_brightest_towards_c0():
    d = canary(peak_cd=500.0)
    assert d.peak == pytest.approx(500.0)
    assert d.peak_direction == (0.0, 45.0)
    # ((1 + cos 180) / 2)^2: cos through numpy's SIMD paths may miss -1 by an ulp (0.0 here)
    assert d.intensity(180, 45) == pytest.approx(0.0, abs=1e-9)
    assert d.intensity(90, 45) == pytest.approx(125.0)
