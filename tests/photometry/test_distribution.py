"""IntensityDistribution: closed-form fluxes, interpolation, rescaling, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.photometry import IntensityDistribution, isotropic, lambertian_downlight


def test_isotropic_flux_is_4_pi_i():
    d = isotropic(intensity_cd=100.0)
    assert d.flux == pytest.approx(4 * math.pi * 100.0, rel=1e-12)
    assert d.downward_fraction == pytest.approx(0.5, rel=1e-12)
    assert isotropic(flux=1000.0).peak == pytest.approx(1000.0 / (4 * math.pi))


def test_lambertian_flux_is_pi_i0():
    d = lambertian_downlight(peak_cd=100.0)
    assert d.flux == pytest.approx(math.pi * 100.0, rel=1e-5)
    assert d.upward_fraction == 0.0
    g = np.linspace(0, 89.9, 500)
    np.testing.assert_allclose(d.intensity(17.0, g), 100 * np.cos(np.radians(g)), atol=3e-4)


def test_flux_integrates_the_bilinear_interpolant_exactly():
    """A table linear in gamma on one cell: compare with the analytic integral."""
    c = np.array([0.0, 360.0])
    g = np.array([0.0, 60.0, 180.0])
    d = IntensityDistribution(c, g, np.array([[10.0, 40.0, 0.0]] * 2))
    a, b = 0.0, math.pi / 3
    # integral of (10 + 30 (x - a)/(b - a)) sin x over [a, b] plus 40 (pi - x)/(pi - b) sin x
    n = 200001
    x1, x2 = np.linspace(a, b, n), np.linspace(b, math.pi, n)
    f1 = (10 + 30 * (x1 - a) / (b - a)) * np.sin(x1)
    f2 = 40 * (math.pi - x2) / (math.pi - b) * np.sin(x2)
    expected = 2 * math.pi * (np.trapezoid(f1, x1) + np.trapezoid(f2, x2))
    assert d.flux == pytest.approx(expected, rel=1e-9)


def test_bilinear_inside_a_cell():
    c, g = np.array([0.0, 90.0, 360.0]), np.array([0.0, 90.0, 180.0])
    cd = np.array([[0, 10, 0], [20, 30, 0], [0, 10, 0]], float)
    d = IntensityDistribution(c, g, cd)
    # C = 45 (halfway 0..90), gamma = 45 (halfway 0..90): mean of 0, 10, 20, 30
    assert d.intensity(45, 45) == pytest.approx(15.0)
    assert d.intensity(45, 45 + 360 * 0).shape == ()
    assert d.intensity(np.zeros((2, 3)), np.zeros(3)).shape == (2, 3)


def test_scaled_to_flux_keeps_the_shape():
    d = lambertian_downlight(peak_cd=100.0)
    s = d.scaled_to_flux(5000.0)
    assert s.flux == pytest.approx(5000.0, rel=1e-12)
    np.testing.assert_allclose(s.candela / d.candela.max(), d.candela / d.candela.max() * s.peak / d.peak)
    with pytest.raises(ParameterError, match="flux"):
        d.scaled_to_flux(-1)


@pytest.mark.parametrize("c,g,cd,match", [
    ([0, 180], [0, 180], np.zeros((2, 2)), "c_angles: expected 0 .. 360"),
    ([0, 360], [0, 90], np.zeros((2, 2)), "gamma_angles: expected 0 .. 180"),
    ([0, 200, 100, 360], [0, 180], np.zeros((4, 2)), "strictly increasing"),
    ([0, 360], [0, 180], np.zeros((3, 2)), "shape"),
    ([0, 360], [0, 180], [[1, -1], [1, 1]], "negative value -1"),
    ([0, 360], [0, 180], [[1, np.nan], [1, 1]], "NaN"),
])
def test_invalid_tables_raise_parameter_error(c, g, cd, match):
    with pytest.raises(ParameterError, match=match):
        IntensityDistribution(c, g, cd)


def test_tables_are_read_only():
    d = isotropic(intensity_cd=1.0)
    with pytest.raises(ValueError):
        d.candela[0, 0] = 5.0
