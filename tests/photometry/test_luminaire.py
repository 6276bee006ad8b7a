"""Orientation of placed luminaires (docs/architecture.md §4), packing, and the Numba lookup kernel.

The ground illuminance E = I cos(theta) / d^2 is computed here with numpy, no shadows.
"""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import ParameterError
from cpted_sim.kernels.photometry import intensity_batch
from cpted_sim.photometry import (Luminaire, canary, lambertian_downlight, load_photometry,
                                  pack_luminaires, rotation_matrix, street_light_optic)
from photometry_samples import ies_text, smooth_c_table

X, Y = np.meshgrid(np.linspace(-20, 20, 81), np.linspace(-20, 20, 81), indexing="ij")
GROUND = np.column_stack([X.ravel(), Y.ravel(), np.zeros(X.size)])


def ground_illuminance(lum: Luminaire) -> np.ndarray:
    d = GROUND - lum.position
    dist = np.linalg.norm(d, axis=1)
    cos_inc = -d[:, 2] / dist  # ground normal +Z, light arrives from above
    return lum.intensity_towards(GROUND) * np.clip(cos_inc, 0, None) / dist ** 2


def centroid(e: np.ndarray) -> np.ndarray:
    return (GROUND[:, :2] * e[:, None]).sum(axis=0) / e.sum()


def test_canary_azimuth_90_lights_the_plus_y_side():
    e = ground_illuminance(Luminaire(canary(), (0, 0, 6), azimuth=90, maintenance_factor=1.0))
    cx, cy = centroid(e)
    assert cy > 3.0 and abs(cx) < 1e-9
    k = int(np.argmax(e))
    assert GROUND[k, 1] > 0 and GROUND[k, 0] == 0


@pytest.mark.parametrize("azimuth,spin,expect", [
    (0, 0, (1, 0)), (90, 0, (0, 1)), (180, 0, (-1, 0)), (270, 0, (0, -1)),
    (0, 90, (0, 1)), (90, 90, (-1, 0)), (-45, 0, (np.sqrt(0.5), -np.sqrt(0.5))),
])
def test_azimuth_and_spin_turn_c0_counter_clockwise(azimuth, spin, expect):
    e = ground_illuminance(Luminaire(canary(), (0, 0, 6), azimuth=azimuth, spin=spin,
                                     maintenance_factor=1.0))
    c = centroid(e)
    np.testing.assert_allclose(c / np.linalg.norm(c), expect, atol=1e-6)


def test_tilt_lifts_the_c90_side():
    # a tilted downlight's beam axis moves to +Y: Rx(+t) maps (0,0,-1) to (0, sin t, -cos t)
    t = np.radians(30)
    lum = Luminaire(lambertian_downlight(peak_cd=1000.0), (0, 0, 6), tilt=30,
                    maintenance_factor=1.0)
    np.testing.assert_allclose(lum.local_to_world @ [0, 0, -1], [0, np.sin(t), -np.cos(t)],
                               atol=1e-15)
    axis_point = np.array([[0, 6 * np.tan(t), 0]])
    assert lum.intensity_towards(axis_point)[0] == pytest.approx(1000.0, rel=1e-5)
    e = ground_illuminance(lum)
    assert centroid(e)[1] > 1.0
    # the canary keeps its bright side on +X (the tilt axis) and moves towards +Y
    cx, cy = centroid(ground_illuminance(Luminaire(canary(), (0, 0, 6), tilt=20,
                                                   maintenance_factor=1.0)))
    assert cx > 3.0 and cy > 0.5


def test_spin_is_applied_before_tilt():
    # spin 90 turns C0 to local +Y, then tilt lifts the +Y side: the canary's beam climbs
    m = rotation_matrix(0, 30, 90)
    np.testing.assert_allclose(m @ [1, 0, 0], [0, np.cos(np.radians(30)), np.sin(np.radians(30))],
                               atol=1e-15)
    lum = Luminaire(canary(), (0, 0, 6), tilt=30, spin=90, maintenance_factor=1.0)
    lum0 = Luminaire(canary(), (0, 0, 6), spin=90, maintenance_factor=1.0)
    assert centroid(ground_illuminance(lum))[1] > centroid(ground_illuminance(lum0))[1]


def test_maxwell_exports_differ_by_a_quarter_turn(shared_data):
    """The CIE export is the IESNA export turned by 90 deg: spin the IESNA one by +90 deg."""
    folder = shared_data / "photometry" / "ies"
    iesna = load_photometry(folder / "maxwell_8_t4_iesna.ies")
    cie = load_photometry(folder / "maxwell_8_t4_cie.ies")
    e_cie = ground_illuminance(Luminaire(cie, (0, 0, 6), maintenance_factor=1.0))
    e_iesna_spun = ground_illuminance(Luminaire(iesna, (0, 0, 6), spin=90, maintenance_factor=1.0))
    e_iesna = ground_illuminance(Luminaire(iesna, (0, 0, 6), maintenance_factor=1.0))
    scale = e_cie.max()
    assert np.abs(e_iesna_spun - e_cie).max() <= 0.005 * scale
    assert np.abs(e_iesna - e_cie).max() > 0.1 * scale  # not spun: visibly wrong


def test_maintenance_factor_and_flux_scale_multiply():
    d = lambertian_downlight(peak_cd=100.0)
    lum = Luminaire(d, (1, 2, 5), maintenance_factor=0.8, flux_scale=1.5)
    assert lum.intensity_towards([[1, 2, 0]])[0] == pytest.approx(120.0)
    assert lum.flux == pytest.approx(d.flux * 1.2)
    assert lum.name == d.name


@pytest.mark.parametrize("kwargs,match", [
    ({"position": (0, 0)}, "position"), ({"maintenance_factor": -1}, "maintenance_factor"),
    ({"tilt": float("nan")}, "tilt"), ({"distribution": "street.ies"}, "distribution"),
])
def test_bad_luminaire_arguments(kwargs, match):
    args = {"distribution": canary(), "position": (0, 0, 6), **kwargs}
    with pytest.raises(ParameterError, match=match):
        Luminaire(**args)


def test_pack_shares_tables_and_subtracts_the_origin():
    a, b = canary(), street_light_optic(flux=5000.0)
    lums = [Luminaire(a, (100, 200, 6), maintenance_factor=1.0),
            Luminaire(b, (110, 200, 8), azimuth=30, maintenance_factor=1.0),
            Luminaire(a, (120, 200, 6), maintenance_factor=0.5)]
    p = pack_luminaires(lums, origin=(100, 200, 0))
    np.testing.assert_allclose(p.position, [[0, 0, 6], [10, 0, 8], [20, 0, 6]])
    assert p.table_start[0] == p.table_start[2] != p.table_start[1]
    assert p.candela.size == a.candela.size + b.candela.size
    np.testing.assert_allclose(p.rotation[1], lums[1].local_to_world.T)
    np.testing.assert_allclose(p.scale, [1, 1, 0.5])
    for arr in p:
        assert arr.flags.c_contiguous


def _nonuniform(tmp_path):
    c = np.array([0, 10, 30, 45, 60, 90, 120, 150, 170, 180.0])
    g = np.array([0, 5, 10, 20, 35, 50, 60, 65, 70, 80, 90.0])
    p = tmp_path / "nonuniform.ies"
    p.write_text(ies_text(c, g, smooth_c_table(c, g, "c0-c180")))
    return load_photometry(p)


def test_kernel_matches_the_numpy_reference(tmp_path, rng):
    dists = [canary(), street_light_optic(flux=8000.0), _nonuniform(tmp_path)]
    lums = [Luminaire(d, rng.uniform(-5, 5, 3), azimuth=rng.uniform(-180, 180),
                      tilt=rng.uniform(-40, 40), spin=rng.uniform(0, 360),
                      maintenance_factor=0.9) for d in dists for _ in range(2)]
    packed = pack_luminaires(lums)
    assert packed.c_inv_step[0] > 0 and packed.c_inv_step[-1] == 0  # both lookup paths
    m = 20000
    dirs = rng.normal(size=(m, 3))
    dirs[:50] = [0, 0, -1]                    # poles
    dirs[50:100] = [0, 0, 1]
    dirs[100:200, 1] = rng.normal(scale=1e-9, size=100)  # C within a hair of 0 / 360
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    idx = rng.integers(0, len(lums), m).astype(np.int64)
    out = np.empty(m)
    intensity_batch(packed, idx, dirs, out)
    ref = np.empty(m)
    for k, lum in enumerate(lums):
        sel = idx == k
        c, g = lum.world_to_angles(dirs[sel])
        ref[sel] = lum.distribution.intensity(c, g) * lum.scale
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-9)


def test_interpolation_wraps_at_c_360():
    d = canary()
    np.testing.assert_allclose(d.intensity([-1.0, 359.0, 719.0], 45),
                               d.intensity(1.0, 45) * np.ones(3), rtol=1e-12)
    lum = Luminaire(d, (0, 0, 0), maintenance_factor=1.0)
    e = 1e-7
    a = lum.intensity_towards([[np.cos(e), np.sin(e), -1.0], [np.cos(e), -np.sin(e), -1.0]])
    assert a[0] == pytest.approx(a[1], rel=1e-9)
