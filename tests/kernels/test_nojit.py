"""Kernels run as plain Python (``NUMBA_DISABLE_JIT=1``): the ``nojit`` subset and its twins.

``make nojit`` (``NUMBA_DISABLE_JIT=1 python -m pytest -m nojit``) runs every test marked
``nojit`` without compiling anything, so a kernel can be stepped through in a debugger. The
marked tests here use tiny inputs (pure Python costs milliseconds per ray) and check the answers
against brute-force or closed-form references, so they also pass, faster, with the JIT on.
``test_every_kernel_module_has_nojit_tests`` keeps the subset covering every module of
``src/cpted_sim/kernels``.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numba
import numpy as np
import pytest

from cpted_sim import CalculationGrid, Luminaire, Material, Scene, illuminance
from cpted_sim.geometry.engines import get_engine
from cpted_sim.kernels import _plain, bvh_build, bvh_query, direct, interreflection, intersect
from cpted_sim.kernels import occlusivity, photometry
from cpted_sim.kernels import ray_order as ro
from cpted_sim.kernels import sightlines
from cpted_sim.lighting.interreflection import indirect_illuminance
from cpted_sim.photometry.builtin import isotropic
from cpted_sim.photometry.luminaire import pack_luminaires
from cpted_sim.visibility.isovist import isovist

import original_bvh_query
import reference

ROOT = Path(__file__).resolve().parents[2]
NOJIT = numba.config.DISABLE_JIT


def _random_scene(rng, n_faces=40):
    v = rng.uniform(0.0, 10.0, (3 * n_faces, 3))
    f = np.arange(3 * n_faces).reshape(n_faces, 3)
    return v, f, Scene.from_arrays(v, f, origin=(0, 0, 0))


def _rays(rng, n):
    o = rng.uniform(-1.0, 11.0, (n, 3))
    d = rng.normal(size=(n, 3))
    return o, d / np.linalg.norm(d, axis=1, keepdims=True)


def _room(side=10.0, height=3.0):
    """Four walls (no floor or roof) around the origin, ``side`` m apart."""
    h = side / 2
    corners = [(-h, -h), (h, -h), (h, h), (-h, h)]
    v, f = [], []
    for k in range(4):
        (x0, y0), (x1, y1) = corners[k], corners[(k + 1) % 4]
        b = len(v)
        v += [(x0, y0, 0.0), (x1, y1, 0.0), (x1, y1, height), (x0, y0, height)]
        f += [(b, b + 1, b + 2), (b, b + 2, b + 3)]
    return np.array(v), np.array(f)


# --------------------------------------------------------------------------- the nojit subset
@pytest.mark.nojit
def test_traversal_matches_brute_force(rng):
    """bvh_build, bvh_query and intersect: closest hit, occlusion, visibility, transmittance."""
    v, f, scene = _random_scene(rng)
    lo, hi, c = (np.empty((len(f), 3)) for _ in range(3))
    bvh_build.triangle_boxes(scene.vertices, scene.faces, lo, hi, c, 0, len(f))
    np.testing.assert_allclose(lo, scene.vertices[scene.faces].min(axis=1), rtol=0)
    np.testing.assert_array_equal(np.sort(scene.bvh.face), np.arange(len(f)))
    o, d = _rays(rng, 40)
    eng = get_engine("numba")
    t, face = eng.closest_hit(scene, o, d, np.full(len(o), np.inf))
    t_ref, face_ref = reference.closest_hit(v, f, o, d)
    assert np.isfinite(t).sum() >= 10  # 17 of 40 hit with this seed
    np.testing.assert_array_equal(face, face_ref)
    np.testing.assert_allclose(t, t_ref, rtol=1e-9)
    # the watertight test on its own, for the first ray that hits
    i = int(np.argmax(np.isfinite(t)))
    shear = intersect.ray_shear(*d[i])
    row = int(np.flatnonzero(scene.bvh.face == face[i])[0])
    kx, ky, kz = shear[:3]
    t_row = intersect.triangle_t_sheared(scene.bvh.tri, row, o[i, kx], o[i, ky], o[i, kz], *shear)
    assert t_row == pytest.approx(t[i], rel=1e-12)
    a, b = o[:20], o[20:]
    np.testing.assert_array_equal(eng.occluded(scene, a, b, 1e-6),
                                  reference.occluded(v, f, a, b, 1e-6))
    np.testing.assert_array_equal(eng.visibility(scene, a[:6], b[:5], 8.0, 1e-6),
                                  reference.visibility_matrix(v, f, a[:6], b[:5], 8.0, 1e-6))
    # every face passes half the light: the product counts the faces crossed
    out = np.empty(len(a))
    bvh_query.transmittance_batch(scene.bvh, np.full(len(f), 0.5), a, b, 1e-6, out)
    crossed = [np.sum((reference.ray_triangle_distances(v, f, p, q - p) > 1e-6 / np.linalg.norm(q - p))
                      & (reference.ray_triangle_distances(v, f, p, q - p) < 1 - 1e-6 / np.linalg.norm(q - p)))
               for p, q in zip(a, b)]
    np.testing.assert_allclose(out, 0.5 ** np.array(crossed), rtol=1e-12)


@pytest.mark.nojit
def test_sorted_batches_equal_the_plain_ones(rng):
    """ray_order: sorting rays and segments by cell changes no answer."""
    _, _, scene = _random_scene(rng)
    o, d = _rays(rng, 48)
    n = len(o)
    res = []
    for sort in (False, True):
        t = np.empty(n)
        face = np.empty(n, dtype=np.int64)
        bvh_query.closest_hit_batch(scene.bvh, o, d, np.zeros(n), np.full(n, np.inf), t, face,
                                    sort=sort)
        blocked = np.empty(n // 2, dtype=np.bool_)
        bvh_query.occluded_batch(scene.bvh, o[:n // 2], o[n // 2:], 1e-6, blocked, sort=sort)
        res.append((t, face, blocked))
    for x, y in zip(*res):
        np.testing.assert_array_equal(x, y)
    key = np.empty(n, dtype=np.int32)
    order = np.empty(n, dtype=np.int64)
    rays = np.empty((n, ro.RAY_COLUMNS))
    ro.sort_rays(o, d, np.zeros(n), np.ones(n), key, order, rays)
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    np.testing.assert_array_equal(rays[:, :3], o[order])


@pytest.mark.nojit
def test_point_source_follows_the_inverse_square_law():
    """photometry and direct: an isotropic source over a ground plane, E = I cos / d^2."""
    ground = Scene.from_arrays([[-20, -20, 0], [20, -20, 0], [20, 20, 0], [-20, 20, 0]],
                               [[0, 1, 2], [0, 2, 3]], origin=(0, 0, 0))
    lum = Luminaire(isotropic(flux=4000.0), (0.0, 0.0, 4.0), maintenance_factor=1.0)
    pts = np.array([[0.0, 0.0], [3.0, 0.0], [-2.0, 5.0], [6.0, -6.0]])
    grid = CalculationGrid.from_points(np.c_[pts, np.zeros(len(pts))])
    e = illuminance(ground, lum, grid).values
    intensity = 4000.0 / (4 * math.pi)
    d2 = (pts ** 2).sum(axis=1) + 16.0
    np.testing.assert_allclose(e, intensity * 4.0 / d2 ** 1.5, rtol=1e-3)  # measured 2e-4
    packed = pack_luminaires([lum])
    out = np.empty(5)
    dirs = np.eye(3)[[0, 1, 2, 0, 1]] * np.array([1, -1, 1, -1, 1])[:, None]
    photometry.intensity_batch(packed, np.zeros(5, dtype=np.int64), dirs.astype(float), out)
    np.testing.assert_allclose(out, intensity, rtol=1e-3)
    assert direct.luminaire_peaks(packed)[0] == pytest.approx(intensity, rel=1e-3)


@pytest.mark.nojit
# as plain Python the hash's uint64 arithmetic wraps with a warning, as intended (compiled: silent)
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_open_box_gets_indirect_light_only_from_its_walls():
    """interreflection: four reflecting walls around a source light a point; black walls do not."""
    v, f = _room(side=4.0, height=2.0)
    f = f[:, ::-1]  # facing inwards
    lum = Luminaire(isotropic(flux=4000.0), (0.0, 0.0, 1.0), maintenance_factor=1.0)
    grid = CalculationGrid.from_points([[0.5, 0.5, 1.0]], [1.0, 0.0, 0.0])
    kw = dict(kind="plane", quiet=True, patch_size=2.0, rays=64, bounces=2)
    lit = indirect_illuminance(Scene.from_arrays(v, f, materials={"default": Material(0.5)}),
                               [lum], grid, **kw)
    black = indirect_illuminance(Scene.from_arrays(v, f, materials={"default": Material(0.0)}),
                                 [lum], grid, **kw)
    assert np.all(black.values == 0.0)
    assert np.all(lit.values > 1.0)
    assert interreflection.n_replicates(64) >= 2


@pytest.mark.nojit
def test_isovist_inside_a_closed_room():
    """sightlines and occlusivity: a fan from the centre of a closed square room."""
    v, f = _room(side=10.0)
    scene = Scene.from_arrays(v, f, origin=(0, 0, 0))
    n = 16
    res = isovist(scene, [[0.0, 0.0, 0.0]], n_rays=n, height=1.5, max_radius=50.0, quiet=True)
    theta = np.arange(n) * 2 * math.pi / n
    r = 5.0 / np.maximum(np.abs(np.cos(theta)), np.abs(np.sin(theta)))
    polygon = 0.5 * np.sum(r * np.roll(r, -1)) * math.sin(2 * math.pi / n)
    assert res.area[0] == pytest.approx(polygon, rel=1e-6)
    assert res.max_radial[0] == pytest.approx(5.0 * math.sqrt(2), rel=1e-6)
    assert res.open_fraction[0] == 0.0
    assert res.occlusivity[0] == pytest.approx(0.0, abs=1e-9)  # walls join: no occluding edge
    assert sightlines.popcount64(np.uint64(0b1011)) == 3
    stack = np.empty(bvh_query.STACK_SIZE, dtype=np.int64)
    eye = scene.to_local([0.0, 0.0, 1.5])
    r_east, lx, ly, hit, _ = occlusivity.trace_ray(scene.bvh, stack, *eye, 1.0, 0.0, 0.0, 50.0)
    assert (r_east, hit) == (pytest.approx(5.0), 1.0)
    assert abs(lx) == pytest.approx(0.0, abs=1e-12) and abs(ly) == pytest.approx(1.0)


@pytest.mark.nojit
@pytest.mark.filterwarnings("ignore:(divide by zero|invalid value) encountered:RuntimeWarning")
def test_the_triangle_test_equals_the_first_one_bit_for_bit(rng):
    """``triangle_hit`` (the one copy, branch-free, on scalars) answers exactly as the first
    test did (``original_bvh_query.triangle_t``: an array row, with branches), misses included.

    Rays aim at corners and edge midpoints too, where the exact arithmetic matters.
    """
    tri = rng.uniform(-5.0, 5.0, (60, 9))
    tri[::7, 6:] = tri[::7, 3:6]  # some degenerate (zero-area) triangles
    n_same = 0
    for i in range(len(tri)):
        a, b, c = tri[i, :3], tri[i, 3:6], tri[i, 6:]
        for target in (a, b, (a + b) / 2, (b + c) / 2, (a + b + c) / 3, rng.uniform(-5, 5, 3)):
            o = rng.uniform(-9.0, 9.0, 3)
            kx, ky, kz, sx, sy, sz = intersect.ray_shear(*(target - o))
            t1 = original_bvh_query.triangle_t(tri, i, *o, kx, ky, kz, sx, sy, sz)
            t2 = intersect.triangle_t_sheared(tri, i, o[kx], o[ky], o[kz], kx, ky, kz, sx, sy, sz)
            assert t1 == t2 or (np.isnan(t1) and np.isnan(t2)), (i, target, o)
            n_same += bool(np.isfinite(t1))
    assert n_same >= 150  # 210 of 360 rays hit with this seed (rounding misses some edges)


# --------------------------------------------------------------------------- the twins (JIT on)
@pytest.mark.skipif(NOJIT, reason="compares the plain-Python twins with the compiled intrinsics")
def test_plain_twins_equal_the_intrinsics(rng):
    """``_plain`` computes what the LLVM code computes, bit for bit (misses at inf included)."""
    _, _, scene = _random_scene(rng, 60)
    nodes = scene.bvh.nodes

    @numba.njit
    def entries(nodes, w, o, inv, tmin, tmax, out):
        return intersect.child_entries(nodes, w, o[0], o[1], o[2], inv[0], inv[1], inv[2], tmin,
                                       tmax, out, 3)

    @numba.njit
    def bits(x):
        return intersect.lowest_bit(x)

    @numba.njit
    def fenced(x):
        return intersect.fence(x * 3.0)

    for _ in range(200):
        w = int(rng.integers(nodes.shape[0]))
        o = rng.uniform(-2, 12, 3)
        d = rng.normal(size=3)
        d[rng.random(3) < 0.1] = 0.0
        inv = np.array(intersect.safe_inverse(*d))
        tmin, tmax = float(rng.uniform(0, 1)), float(rng.choice([np.inf, rng.uniform(1, 20)]))
        a = np.full(12, -1.0)
        b = np.full(12, -1.0)
        ma = entries(nodes.view(np.float32), w, o, inv, tmin, tmax, a)
        mb = _plain.child_entries(nodes.view(np.float32), w, *o, *inv, tmin, tmax, b, 3)
        assert ma == mb
        np.testing.assert_array_equal(a, b)
    for x in [1, 2, 12, 2**40, 2**62 + 2**61, -8]:
        assert bits(np.int64(x)) == _plain.lowest_bit(x)
    assert fenced(0.1) == _plain.fence(0.1 * 3.0)


def test_intrinsics_are_swapped_for_twins_only_without_jit():
    names = ("child_entries", "lowest_bit", "fence", "prefetch")
    swapped = [getattr(intersect, k) is getattr(_plain, k) for k in names]
    assert swapped == [NOJIT] * 4


# --------------------------------------------------------------------------- the subset's reach
def _kernel_modules():
    return sorted(p.stem for p in (ROOT / "src" / "cpted_sim" / "kernels").glob("*.py")
                  if p.stem != "__init__")


def _is_nojit_mark(dec) -> bool:
    return isinstance(dec, ast.Attribute) and dec.attr == "nojit"


def _nojit_reach(path: Path) -> dict[str, set[str]]:
    """Kernel module -> names of the ``nojit`` tests in ``path`` whose body uses it.

    A test uses a module when its body names the module's alias or a name imported from it.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    alias: dict[str, str] = {}  # local name -> kernel module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            mod = node.module.split(".")
            if mod[:2] == ["cpted_sim", "kernels"] and len(mod) == 2:
                for a in node.names:
                    alias[a.asname or a.name] = a.name
            elif mod[:2] == ["cpted_sim", "kernels"] and len(mod) == 3:
                for a in node.names:
                    alias[a.asname or a.name] = mod[2]
    module_marked = any(isinstance(n, ast.Assign) and any(
        getattr(t, "id", "") == "pytestmark" for t in n.targets) and "nojit" in ast.dump(n.value)
        for n in tree.body)
    reach: dict[str, set[str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
            continue
        if not (module_marked or any(_is_nojit_mark(d) for d in node.decorator_list)):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in alias:
                reach.setdefault(alias[sub.id], set()).add(f"{path.name}::{node.name}")
    return reach


def test_every_kernel_module_has_nojit_tests():
    """Each module of ``src/cpted_sim/kernels`` is named in the body of a ``nojit`` test.

    Modules reached only through another kernel (``intersect`` through traversal) count when
    a marked test names them too; the check is static (ast), so it costs no compilation.
    """
    reach: dict[str, set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for mod, tests in _nojit_reach(path).items():
            reach.setdefault(mod, set()).update(tests)
    missing = [m for m in _kernel_modules() if m != "_plain" and not reach.get(m)]
    assert not missing, f"kernel modules without a nojit test: {missing}"
