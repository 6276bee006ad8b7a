"""Direct illuminance: closed forms, CIE 171 test case 5.2, brute-force references, shadows."""

from __future__ import annotations

import importlib

import numba
import numpy as np
import pytest

import cpted_sim as cs
from cpted_sim import CalculationGrid, Luminaire, illuminance
from cpted_sim.errors import GridError, ParameterError
from cpted_sim.photometry.builtin import canary, cosine_distribution, isotropic, street_light_optic

from lighting_reference import reference_illuminance
from lighting_scenes import box_scene, ground_scene, hedge_scene

illum_mod = importlib.import_module("cpted_sim.lighting.illuminance")

# CIE 171:2006 test case 5.2: a source 3 m above the centre of a 4 x 4 m plane with
# I(gamma) = 1000 cos(gamma) cd; horizontal illuminance [lx] on the plane.
CIE_171_5_2 = [((0.0, 0.0), 111.11), ((0.5, 0.0), 105.21), ((1.0, 0.0), 90.02),
               ((1.5, 0.0), 71.11), ((0.5, 0.5), 99.73), ((1.0, 0.5), 85.64),
               ((1.5, 0.5), 68.06), ((1.0, 1.0), 74.36), ((1.5, 1.0), 59.98),
               ((1.5, 1.5), 49.39)]


def _grid(xy, z=0.0, normals=None):
    xy = np.asarray(xy, float)
    return CalculationGrid.from_points(np.column_stack([xy, np.full(len(xy), z)]), normals)


def test_cie_171_test_case_5_2():
    scene = ground_scene(4.0)
    lum = Luminaire(cosine_distribution(1000.0), [0.0, 0.0, 3.0], maintenance_factor=1.0)
    xy = [p for p, _ in CIE_171_5_2]
    expected = np.array([e for _, e in CIE_171_5_2])
    field = illuminance(scene, [lum], _grid(xy), quiet=True)
    assert field.quantity == "E_h" and field.unit == "lx"
    # the published two-decimal values: 2.7e-4 apart at most, measured, all of it the table's
    # own distance from the closed form below (also 2.7e-4)
    np.testing.assert_allclose(field.values, expected, rtol=4e-4)
    # the closed form, E = I cos(gamma) / d^2 = 1000 cos^2(gamma) / d^2 = 9000 / d^4: 1.8e-6
    # apart, measured (the tabulated 1000 cos(gamma) is interpolated between its angles)
    d2 = np.sum(np.asarray(xy) ** 2, axis=1) + 9.0
    np.testing.assert_allclose(field.values, 9000.0 / d2 ** 2, rtol=5e-6)


def test_inverse_square_cosine_law_on_any_plane(rng):
    scene = ground_scene(200.0)
    lum = Luminaire(isotropic(800.0), [3.0, -2.0, 6.0], maintenance_factor=1.0)
    pts = np.column_stack([rng.uniform(-20, 20, (200, 2)), rng.uniform(0.01, 4.0, 200)])
    nrm = rng.normal(size=(200, 3))
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    grid = CalculationGrid.from_points(pts, nrm)
    v = lum.position - pts
    d = np.linalg.norm(v, axis=1)
    expected = 800.0 * np.maximum(0.0, np.sum(v / d[:, None] * nrm, axis=1)) / d**2
    got = illuminance(scene, lum, grid, kind="plane", quiet=True, cutoff=0.0).values
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_vertical_is_plane_with_horizontal_facing(rng):
    scene = ground_scene(200.0)
    lums = [Luminaire(canary(500.0), [x, 0.0, 5.0], azimuth=a, maintenance_factor=1.0)
            for x, a in ((-8, 0), (9, 120))]
    pts = np.column_stack([rng.uniform(-15, 15, (50, 2)), np.full(50, 1.5)])
    facing = np.array([0.6, -0.8, 0.0])
    grid = CalculationGrid.from_points(pts)
    ev = illuminance(scene, lums, grid, kind="vertical", facing=facing + [0, 0, 5], quiet=True)
    ep = illuminance(scene, lums, grid, kind="plane", facing=facing, quiet=True)
    assert ev.quantity == "E_v" and ep.quantity == "E_plane"
    np.testing.assert_allclose(ev.values, ep.values, rtol=1e-12)
    assert ev.values.max() > 1.0


@pytest.mark.parametrize("kind", ["semicylindrical", "cylindrical", "hemispherical"])
def test_solid_kinds_match_brute_force_integration(kind, rng):
    """Mean illuminance over a small semicylinder, cylinder, hemisphere within 0.5 %."""
    scene = ground_scene(200.0)
    lums = [Luminaire(canary(900.0), [-6.0, 2.0, 6.0], azimuth=30.0, tilt=10.0,
                      maintenance_factor=1.0),
            Luminaire(street_light_optic(8000.0), [7.0, -3.0, 8.0], azimuth=200.0,
                      maintenance_factor=1.0),
            Luminaire(isotropic(50.0), [1.0, 1.0, 0.8],
                      maintenance_factor=1.0)]  # a bollard below the points
    pts = np.column_stack([rng.uniform(-12, 12, (12, 2)), np.full(12, 1.5)])
    facing = np.column_stack([rng.normal(size=(12, 2)), np.zeros(12)])
    facing /= np.linalg.norm(facing, axis=1, keepdims=True)
    grid = CalculationGrid.from_points(pts, facing)
    got = illuminance(scene, lums, grid, kind=kind, cutoff=0.0, quiet=True).values
    ref = reference_illuminance(scene, lums, pts, kind, normals=facing)
    assert np.count_nonzero(ref > 1.0) >= 6 and np.all(ref > 0.0)
    np.testing.assert_allclose(got, ref, rtol=5e-3)


@pytest.mark.parametrize("kind,n_normals", [("cylindrical", 720), ("semicylindrical", 360),
                                            ("hemispherical", None)])
def test_solid_kinds_are_means_of_plane_illuminance(kind, n_normals):
    """Through the whole pipeline: E_cyl, E_sc, E_hs are means of E_plane over the surface."""
    scene = ground_scene(200.0)
    lums = [Luminaire(street_light_optic(8000.0), [5.0, -4.0, 7.0], azimuth=100.0,
                      maintenance_factor=1.0),
            Luminaire(canary(700.0), [-4.0, 3.0, 5.0], azimuth=-30.0, maintenance_factor=1.0)]
    p = np.array([0.5, 0.2, 1.5])
    facing = np.array([0.0, -1.0, 0.0])
    if kind == "hemispherical":
        th = (np.arange(90) + 0.5) / 90 * np.pi / 2
        ph = (np.arange(180) + 0.5) / 180 * 2 * np.pi
        t, f = np.meshgrid(th, ph, indexing="ij")
        nrm = np.stack([np.sin(t) * np.cos(f), np.sin(t) * np.sin(f), np.cos(t)], -1).reshape(-1, 3)
        w = np.sin(t).ravel()
    else:
        span = np.pi if kind == "semicylindrical" else 2 * np.pi
        phi = -np.pi / 2 - span / 2 + (np.arange(n_normals) + 0.5) / n_normals * span
        nrm = np.column_stack([np.cos(phi), np.sin(phi), np.zeros(n_normals)])
        w = np.ones(n_normals)
    planes = illuminance(scene, lums, CalculationGrid.from_points(np.tile(p, (len(nrm), 1)), nrm),
                         kind="plane", cutoff=0.0, quiet=True).values
    solid = illuminance(scene, lums, CalculationGrid.from_points(p), kind=kind, facing=facing,
                        cutoff=0.0, quiet=True).values[0]
    assert solid == pytest.approx(np.sum(planes * w) / np.sum(w), rel=5e-3)


def test_shadow_edge_behind_a_box_lands_where_geometry_puts_it():
    # Light at (0, 0, 6); box x 2..6, y -2..2, z 0..3. Along y = 0 the ground is lit up to the
    # box's west face (x = 2) and again from where the ray grazes the east top edge (6, 0, 3):
    # x = 6 * 6 / (6 - 3) = 12 m.
    scene = box_scene()
    lum = Luminaire(isotropic(1000.0), [0.0, 0.0, 6.0], maintenance_factor=1.0)
    xs = np.array([1.99, 6.01, 11.9, 11.98, 12.02, 12.1, 14.0])
    field = illuminance(scene, lum, _grid(np.column_stack([xs, np.zeros(7)])), quiet=True)
    lit = field.values > 0
    assert lit.tolist() == [True, False, False, False, True, True, True]
    # lit values follow the inverse-square cosine law exactly
    d2 = xs[lit] ** 2 + 36.0
    np.testing.assert_allclose(field.values[lit], 1000.0 * 6.0 / d2**1.5, rtol=1e-12)
    # At x = 8 the ray to the light leaves the box's volume through its top (z = 3) halfway,
    # at (4, y / 2, 3): the shadow's side edges are the images of the top's long edges, |y| = 4.
    ys = np.array([-4.05, -3.95, 0.0, 3.95, 4.05])
    field = illuminance(scene, lum, _grid(np.column_stack([np.full(5, 8.0), ys])), quiet=True)
    assert (field.values > 0).tolist() == [True, False, False, False, True]


@pytest.mark.parametrize("tau,layers", [(0.5, 1), (0.3, 2), (1.0, 3)])
def test_partly_transparent_hedges_multiply(tau, layers):
    scene = hedge_scene(tau, layers)
    lum = Luminaire(isotropic(1000.0), [0.0, 0.0, 5.0], maintenance_factor=1.0)
    grid = _grid([[6.0, 0.0], [-6.0, 0.0]])
    e = illuminance(scene, lum, grid, quiet=True).values
    free = 1000.0 * 5.0 / (36.0 + 25.0) ** 1.5
    np.testing.assert_allclose(e, [free * tau**layers, free], rtol=1e-12)


def test_maintenance_factor_gives_maintained_values():
    scene = ground_scene()
    dist = cosine_distribution(1000.0)
    lum = Luminaire(dist, [0.0, 0.0, 3.0], maintenance_factor=0.8, flux_scale=0.5)
    grid = _grid([[0.0, 0.0]])
    assert illuminance(scene, lum, grid, quiet=True).values[0] == pytest.approx(1000 / 9 * 0.4)
    initial = illuminance(scene, lum, grid, quiet=True, maintained=False).values[0]
    assert initial == pytest.approx(1000 / 9 * 0.5)


def _street(n_lights=24, spacing=25.0):
    opt = street_light_optic(12000.0)
    return [Luminaire(opt, [spacing * k, 0.0, 8.0], azimuth=0.0, tilt=5.0,
                      maintenance_factor=0.85) for k in range(n_lights)]


def test_range_cutoff_changes_results_by_less_than_its_tolerance():
    scene = ground_scene(2000.0)
    lums = _street()
    grid = CalculationGrid.regular(-10, -6, 600, 10, 1.0)
    full = illuminance(scene, lums, grid, cutoff=0.0, quiet=True)
    for cutoff in (1e-3, 1e-2, 0.1):
        cut = illuminance(scene, lums, grid, cutoff=cutoff, quiet=True)
        diff = full.values - cut.values
        assert np.all(diff >= 0.0)
        # each luminaire left out carried less than `cutoff`; in this street the sum does too
        assert diff.max() < cutoff
        assert cut.provenance["shadow_rays"] < full.provenance["shadow_rays"]
    near = illuminance(scene, lums, grid, cutoff=0.0, max_distance=60.0, quiet=True)
    assert near.provenance["pairs"] < full.provenance["pairs"]
    assert np.all(near.values <= full.values + 1e-12)


def test_blocks_threads_and_morton_order_do_not_change_results(monkeypatch):
    scene = box_scene()
    lums = _street(4, 10.0)
    grid = CalculationGrid.regular(-20, -20, 20, 20, 0.5)
    ref = illuminance(scene, lums, grid, quiet=True).values
    monkeypatch.setattr(illum_mod, "BLOCK_POINTS", 777)
    counts = [n for n in (1, 2) if n <= numba.config.NUMBA_NUM_THREADS]
    for n in counts:
        got = illuminance(scene, lums, grid, quiet=False, threads=n).values
        np.testing.assert_array_equal(got, ref)
    if len(counts) < 2:
        pytest.skip("NUMBA_NUM_THREADS=1: blocks checked, the 2-thread run was not possible")


def test_ctrl_c_stops_between_blocks(monkeypatch):
    scene = ground_scene()
    lums = _street(2)
    grid = CalculationGrid.regular(-20, -20, 20, 20, 0.5)
    calls = []
    real = illum_mod.direct.direct_illuminance

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(illum_mod, "BLOCK_POINTS", 1000)
    monkeypatch.setattr(illum_mod.direct, "direct_illuminance", interrupted)
    with pytest.raises(KeyboardInterrupt):
        illuminance(scene, lums, grid, quiet=True)
    assert len(calls) == 2


def test_far_from_the_origin_gives_the_same_values():
    lums0 = [Luminaire(canary(600.0), [1.0, 2.0, 5.0], azimuth=40.0, maintenance_factor=1.0)]
    grid0 = CalculationGrid.regular(-5, -5, 5, 5, 1.0)
    e0 = illuminance(ground_scene(), lums0, grid0, quiet=True).values
    off = np.array([155000.0, 463000.0, 0.0])
    scene = ground_scene(origin=None)
    scene_far = cs.Scene.from_arrays(scene.vertices + off, scene.faces)
    lums = [Luminaire(canary(600.0), off + [1.0, 2.0, 5.0], azimuth=40.0, maintenance_factor=1.0)]
    grid = CalculationGrid.from_points(grid0.points + off)
    np.testing.assert_allclose(illuminance(scene_far, lums, grid, quiet=True).values, e0,
                               rtol=1e-9)


def test_no_luminaires_gives_zero():
    f = illuminance(ground_scene(), [], _grid([[0, 0], [1, 1]]), quiet=True)
    assert f.values.tolist() == [0.0, 0.0]


def test_errors_name_the_argument():
    scene = ground_scene()
    lum = Luminaire(isotropic(10.0), [0, 0, 3], maintenance_factor=1.0)
    grid = _grid([[0, 0]])
    with pytest.raises(ParameterError, match="kind"):
        illuminance(scene, lum, grid, kind="radial")
    with pytest.raises(GridError, match="normals"):
        illuminance(scene, lum, grid, kind="plane")
    with pytest.raises(ParameterError, match="facing"):
        illuminance(scene, lum, grid, kind="semicylindrical")
    with pytest.raises(ParameterError, match="horizontal component"):
        illuminance(scene, lum, grid, kind="vertical", facing=(0, 0, 1))
    with pytest.raises(ParameterError, match="scene"):
        illuminance("scene", lum, grid)
    with pytest.raises(ParameterError, match=r"luminaires\[1\]"):
        illuminance(scene, [lum, "lamp"], grid)
    with pytest.raises(ParameterError, match="cutoff"):
        illuminance(scene, lum, grid, cutoff=-1)
    with pytest.raises(ParameterError, match="facing"):
        illuminance(scene, lum, _grid([[0, 0], [1, 1]]), kind="vertical",
                    facing=np.ones((3, 3)))


def test_intensity_envelope_bounds_every_lookup(rng):
    from cpted_sim.kernels import direct
    from cpted_sim.kernels.photometry import intensity_batch
    from cpted_sim.photometry.luminaire import pack_luminaires

    lums = [Luminaire(street_light_optic(9000.0), [0, 0, 8], azimuth=33.0, tilt=15.0, spin=7.0,
                      maintenance_factor=0.7),
            Luminaire(canary(400.0), [5, 1, 4], azimuth=-120.0, tilt=-40.0, maintenance_factor=1.0)]
    packed = pack_luminaires(lums)
    env = direct.intensity_envelope(packed, direct.N_BANDS)
    d = rng.normal(size=(200_000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for i in range(len(lums)):
        out = np.empty(len(d))
        intensity_batch(packed, np.full(len(d), i, dtype=np.int64), d, out)
        cg = -(d @ packed.rotation[i, 2])          # cos(gamma) in the luminaire frame
        band = np.clip(((1.0 - cg) * direct.N_BANDS / 2).astype(int), 0, direct.N_BANDS - 1)
        assert np.all(out <= env[i, band] * (1 + 1e-12))
        # and the envelope is not loose: in most bands its maximum is reached within 10 %
        # (it is looser only where the table's cells straddle a steep cut-off)
        reached = np.zeros(direct.N_BANDS)
        np.maximum.at(reached, band, out)
        lit = env[i] > 0.05 * env[i].max()
        assert np.mean(reached[lit] >= 0.9 * env[i, lit]) >= 0.8
    assert direct.luminaire_peaks(packed) == pytest.approx(env.max(axis=1))


@pytest.mark.parametrize("kind", ["horizontal", "semicylindrical", "hemispherical"])
def test_cutoff_drops_exactly_the_pairs_below_it(kind, rng):
    """With tilted luminaires and points at many heights, the cut-off result is the sum of
    the pairs whose unobstructed contribution reaches the cut-off, and nothing else."""
    scene = box_scene()
    lums = [Luminaire(street_light_optic(10000.0), [x, y, 7.0], azimuth=a, tilt=t,
                      maintenance_factor=1.0)
            for x, y, a, t in rng.uniform([-200, -200, 0, -30], [200, 200, 360, 30], (40, 4))]
    pts = np.column_stack([rng.uniform(-150, 150, (3000, 2)), rng.uniform(0.01, 6.0, 3000)])
    grid = CalculationGrid.from_points(pts, np.tile([1.0, 0.0, 0.0], (3000, 1)))
    cutoff = 0.01
    each = np.array([illuminance(scene, lum, grid, kind=kind, cutoff=0.0, quiet=True).values
                     for lum in lums])
    free = np.array([illuminance(scene, lum, grid, kind=kind, cutoff=0.0, shadows=False,
                                 quiet=True).values for lum in lums])
    cut = illuminance(scene, lums, grid, kind=kind, cutoff=cutoff, quiet=True)
    kept = free >= cutoff
    np.testing.assert_allclose(cut.values, np.sum(each * kept, axis=0), rtol=1e-12, atol=1e-12)
    # every pair left out carried less than the cut-off
    assert np.all(each[~kept] < cutoff)
    full = illuminance(scene, lums, grid, kind=kind, cutoff=0.0, quiet=True)
    assert cut.provenance["pairs"] < 0.2 * full.provenance["pairs"]
    assert np.max(full.values - cut.values) < cutoff * np.max(np.sum(~kept & (each > 0), axis=0))


def test_plane_illuminance_on_facade_points():
    scene = box_scene()
    lum = Luminaire(isotropic(1000.0), [0.0, 0.0, 6.0], maintenance_factor=1.0)
    grid = CalculationGrid.on_faces(scene, "box", spacing=0.5)
    e = illuminance(scene, lum, grid, kind="plane", quiet=True)
    assert e.quantity == "E_plane"
    n = grid.normals
    v = lum.position - grid.points
    d = np.linalg.norm(v, axis=1)
    free = 1000.0 * np.maximum(0.0, np.sum(v * n, axis=1) / d) / d**2
    west, top = n[:, 0] < -0.5, n[:, 2] > 0.5
    np.testing.assert_allclose(e.values[west | top], free[west | top], rtol=1e-12)
    assert np.all(e.values[~(west | top)] == 0.0)       # faces turned away from the light
    assert np.all(e.values[west] > 0) and np.all(e.values[top] > 0)
