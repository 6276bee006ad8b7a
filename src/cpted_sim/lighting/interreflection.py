"""Diffuse interreflection: the light that reaches a point after bouncing off surfaces.

Method (details and parameters in ``docs/lighting.md``, section *Interreflection*):

1. **Patches.** A grid of square cells of at most ``patch_size`` is laid on every face in its
   own plane (aligned with its longest edge); the cells' parts inside the face are the patches,
   so thin faces get near-square patches and faces smaller than a cell are one patch. Cells
   grow up to 4 x far from every luminaire (``adaptive``); a cap ``max_patches`` coarsens all.
2. **Direct irradiance** on every patch as the mean of four points (its 2 x 2 sub-cells), with
   shadow rays, face transmittance and the luminaire's photometry; their spread measures the
   discretisation.
3. **Bounces.** From random points of every patch, ``rays_per_patch`` cosine-weighted rays
   find the patch they see (stored once). Jacobi iteration ``B <- rho (E_direct + mean B_seen)``
   then costs no rays; it stops after ``bounces`` reflections, or when the estimated remaining
   energy (geometric tail of the last changes) is below ``tolerance`` of the total.
4. **Final gather** at the calculation points: rays weighted for the quantity (cosine for a
   plane, sin(epsilon) over all azimuths for cylindrical, ...), indirect E = mean radiosity seen.

Random numbers are hashes of (seed, patch or point index, sample): results are deterministic
and independent of the thread count and of block sizes.

The error estimate per point combines, in quadrature, the standard error of the final gather,
the propagated standard error of the patch radiosities it sees, a discretisation term (the
spread of direct light across each patch it sees), the energy left out by stopping, and a
bias floor (``BIAS_FLOOR`` of the value: the patch discretisation error measured on the
reference cases, which the spread terms do not see where the light is uniform).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .._validate import as_float, sub_settings
from ..config import get_threads, progress_enabled
from ..errors import GridError, ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..kernels import interreflection as K
from ..photometry.luminaire import Luminaire
from .illuminance import illuminance
from .patches import Patches, hot_emitters, make_patches

__all__ = ["RadiositySolution", "IndirectResult", "radiosity", "indirect_illuminance",
           "surface_luminance", "add_indirect", "make_patches", "KINDS"]

log = logging.getLogger(__name__)

KINDS = ("horizontal", "vertical", "plane", "semicylindrical", "cylindrical", "hemispherical")
_PATCH_BLOCK = 20_000
_POINT_BLOCK = 8_192
_MAX_BOUNCES = 500

#: Relative bias floor [-] of the indirect light. The spread terms are near 0 where the light is
#: uniform, yet the real error is not: measured at the defaults, the integrating sphere is off
#: by up to 0.057 % (0.17 % against the ideal sphere with explicit bounces) and CIE 171 case 5.8
#: by up to 0.49 % (face-averaged point values) and 0.44 % (face-averaged patch irradiance,
#: seeds 0-5) where the other terms add to 0.002-0.3 % (docs/lighting.md, Error estimate).
BIAS_FLOOR = 0.005


@dataclass(frozen=True, eq=False)
class RadiositySolution:
    """Patch radiosity of a scene lit by luminaires (the state behind indirect light).

    Attributes
    ----------
    patches : Patches
        Geometry of the patches (``centres`` scene-local [m], ``face`` the parent face).
    reflectance : (n,) float
        Diffuse reflectance of each patch [-].
    e_direct : (n,) float
        Direct irradiance of each patch [lx] (front side; back sides follow when two-sided).
    e_indirect : (n,) float
        Indirect irradiance of each patch [lx].
    radiosity : (n,) float
        Exitance ``B`` that the final gather sees [lm/m2]; luminance is ``B / pi``.
    radiosity_se : (n,) float
        Standard error of ``radiosity`` from the patch rays [lm/m2].
    radiosity_spread : (n,) float
        Spread of the reflected direct light across each patch [lm/m2] (discretisation).
    bounces : int
        Reflections included.
    remaining : float
        Estimated fraction of the reflected energy left out by stopping [-].
    settings : dict
        The parameters used.
    bias_floor : float
        Relative discretisation error [-] the estimates never go below (``BIAS_FLOOR``).
    """

    patches: Patches
    reflectance: np.ndarray
    e_direct: np.ndarray
    e_indirect: np.ndarray
    radiosity: np.ndarray
    radiosity_se: np.ndarray
    radiosity_spread: np.ndarray
    bounces: int
    remaining: float
    settings: dict = field(default_factory=dict)
    bias_floor: float = BIAS_FLOOR

    @property
    def e_indirect_error(self) -> np.ndarray:
        """(n,) estimated standard error of ``e_indirect`` [lx].

        In quadrature: the propagated patch noise ``radiosity_se / rho``, the energy left out
        by stopping (``remaining`` of the value, when bouncing to a tolerance) and the bias
        floor (``bias_floor`` of the value), so it is never 0 where light arrives.
        """
        rho = np.where(self.reflectance > 0.0, self.reflectance, 1.0)
        noise = np.where(self.reflectance > 0.0, self.radiosity_se / rho, 0.0)
        trunc = self.remaining if self.settings.get("bounces") is None else 0.0
        return np.sqrt(noise ** 2 + ((self.bias_floor ** 2 + trunc ** 2) ** 0.5
                                     * self.e_indirect) ** 2)

    @property
    def luminance(self) -> np.ndarray:
        """(n,) luminance of each patch [cd/m2], ``rho (E_direct + E_indirect) / pi``."""
        return self.reflectance * (self.e_direct + self.e_indirect) / math.pi

    def face_luminance(self, n_faces: int) -> np.ndarray:
        """(n_faces,) area-weighted luminance of each face's front side [cd/m2]."""
        p = self.patches
        front = slice(0, p.n_front)
        num = np.bincount(p.face[front], weights=(self.luminance[front] * p.areas[front]),
                          minlength=n_faces)
        den = np.bincount(p.face[front], weights=p.areas[front], minlength=n_faces)
        return num / np.where(den > 0, den, 1.0)


@dataclass(frozen=True, eq=False)
class IndirectResult:
    """Indirect illuminance at calculation points, with its error estimate.

    Attributes
    ----------
    field : Field
        Indirect illuminance [lx] (quantity ``E_<kind>_indirect``).
    error : (n,) float
        Estimated standard error [lx]: the terms below in quadrature.
    statistical : (n,) float
        Standard error of the final gather [lx].
    patch_noise : (n,) float
        Propagated standard error of the patch radiosities [lx].
    discretisation : (n,) float
        Patch discretisation term [lx].
    truncation : (n,) float
        Energy left out by stopping the bounces [lx].
    solution : RadiositySolution
        The patch solution (reuse it for other grids and for surface luminance).
    bias : (n,) float
        Discretisation floor [lx]: ``solution.bias_floor`` times the value.
    """

    field: Field
    error: np.ndarray
    statistical: np.ndarray
    patch_noise: np.ndarray
    discretisation: np.ndarray
    truncation: np.ndarray
    solution: RadiositySolution
    bias: np.ndarray | None = None

    @property
    def values(self) -> np.ndarray:
        """(n,) indirect illuminance [lx]."""
        return self.field.values


# ---------------------------------------------------------------------------------- helpers
def _luminaire_list(luminaires) -> list[Luminaire]:
    if isinstance(luminaires, Luminaire):
        luminaires = [luminaires]
    try:
        lums = list(luminaires)
    except TypeError:
        raise ParameterError("luminaires: expected a Luminaire or a sequence of them, got "
                             f"{type(luminaires).__name__}") from None
    if not lums:
        raise ParameterError("luminaires: the list is empty; give at least one Luminaire")
    for k, lum in enumerate(lums):
        if not isinstance(lum, Luminaire):
            raise ParameterError(f"luminaires[{k}]: expected a cpted_sim Luminaire, got "
                                 f"{type(lum).__name__}")
    return lums


def _bar(total: int, quiet, desc: str):
    if not progress_enabled(quiet):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="pt", leave=False)


def _count(arg, name: str, lo: int, hi: int) -> int:
    if isinstance(arg, bool) or not isinstance(arg, (int, np.integer)):
        raise ParameterError(f"{name}: expected a whole number, got {arg!r}")
    if not lo <= int(arg) <= hi:
        raise ParameterError(f"{name}: expected {lo}..{hi}, got {arg}")
    return int(arg)


def _layers(scene: Scene) -> int:
    return 4 if np.any(scene.light_transmittance > 0.0) else 1


# ---------------------------------------------------------------------------------- solver
def _jacobi_bounces(hits, patch_rays, ptrans, ftrans, rho, e_direct, area, bounces, tolerance):
    """Jacobi bounces: ``B(1) = rho E_direct``, ``B(k+1) = rho (E_direct + G B(k))``.

    ``bounces`` None: until the estimated remaining energy share is below ``tolerance`` (at most
    ``_MAX_BOUNCES``). Returns the radiosity ``b_cur``, a scratch array ``b_new``, the
    irradiance buffer ``h``, the bounces done and the remaining energy share.
    """
    n = rho.shape[0]
    b_cur = rho * e_direct
    b_new = np.empty(n)
    h = np.empty(n)
    total = float(np.dot(area, b_cur))
    done = 1
    remaining = 1.0
    prev_delta = None
    limit = bounces if bounces is not None else _MAX_BOUNCES
    while done < limit:
        K.jacobi_step(hits, patch_rays, ptrans, ftrans, rho, e_direct, b_cur, b_new, h)
        delta = float(np.dot(area, np.abs(b_new - b_cur)))
        total = float(np.dot(area, b_new))
        b_cur, b_new = b_new, b_cur
        done += 1
        if total <= 0.0:
            remaining = 0.0
            break
        ratio = min(delta / prev_delta, 0.999) if prev_delta else float(np.max(rho, initial=0))
        remaining = delta * ratio / max(1e-300, 1.0 - ratio) / total
        prev_delta = delta if delta > 0 else None
        if bounces is None and remaining < tolerance:
            break
        if delta == 0.0:
            remaining = 0.0
            break
    if bounces is not None and done == 1:
        # One bounce: the tail left out is everything after the first reflection.
        ratio = float(np.average(rho, weights=area)) if total > 0 else 0.0
        remaining = ratio / max(1e-300, 1.0 - ratio)
    elif bounces is None and remaining >= tolerance:
        log.warning("interreflection stopped after %d bounces with %.2g of the energy left "
                    "(tolerance %.2g)", done, remaining, tolerance)
    return b_cur, b_new, h, done, remaining


def radiosity(scene: Scene, luminaires, *, bounces: int | None = None,
              tolerance: float = 1e-3, patch_size: float = 0.5, max_patches: int | None = None,
              rays_per_patch: int = 32, seed: int = 0, two_sided: bool = False,
              adaptive: bool = True, direct_cutoff: float = 0.01,
              bias_floor: float = BIAS_FLOOR, quiet: bool | None = None) -> RadiositySolution:
    """Solve the patch radiosity of a scene lit by luminaires.

    Parameters
    ----------
    scene : Scene
        Faces reflect on their front side (right-hand normal) unless ``two_sided``; material
        reflectance and light transmittance come from ``scene.materials``.
    luminaires : Luminaire or sequence of Luminaire
        The light sources (maintained values: flux scale x maintenance factor apply).
    bounces : int, optional
        Reflections to include (1 = light reflected once). Default: until the remaining energy
        is below ``tolerance``.
    tolerance : float
        Relative remaining energy [-] at which the bounces stop (default 1e-3).
    patch_size : float
        Longest patch edge near the luminaires [m] (default 0.5).
    max_patches : int, optional
        Cap on the number of patches; ``patch_size`` grows to honour it. Default: one million
        or twice the number of faces, whichever is larger.
    rays_per_patch : int
        Gather rays of a patch as large as a full cell (default 32); smaller patches get
        proportionally fewer (at least 4): a patch's noise weighs by its area.
    seed : int
        Seed of the counter-based random numbers.
    two_sided : bool
        Both sides of every face reflect (use for meshes with inconsistent normals).
    adaptive : bool
        Larger patches far from every luminaire (up to 4 x ``patch_size``).
    direct_cutoff : float
        Unshadowed contributions below this [lx] skip their shadow ray.
    bias_floor : float
        Relative discretisation error [-] below which no error estimate goes (default
        ``BIAS_FLOOR``, 0.5 %); lower it only with a finer ``patch_size`` measured to need less.
    quiet : bool, optional
        Hide the progress bar.

    Returns
    -------
    RadiositySolution
    """
    t0 = time.perf_counter()
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a Scene, got {type(scene).__name__}")
    lums = _luminaire_list(luminaires)
    if bounces is not None:
        bounces = _count(bounces, "bounces", 1, _MAX_BOUNCES)
    tolerance = as_float(tolerance, "tolerance", lo=0.0, hi=1.0, lo_open=True)
    patch_size = as_float(patch_size, "patch_size", lo=0.0, lo_open=True)
    if max_patches is None:
        max_patches = max(1_000_000, 2 * scene.n_faces)
    max_patches = _count(max_patches, "max_patches", 1, 10**9)
    rays_per_patch = _count(rays_per_patch, "rays_per_patch", 1, 65536)
    seed = _count(seed, "seed", 0, 2**63 - 1)
    direct_cutoff = as_float(direct_cutoff, "direct_cutoff", lo=0.0)
    bias_floor = as_float(bias_floor, "bias_floor", lo=0.0, hi=1.0)

    pt = make_patches(scene, patch_size, max_patches=max_patches, two_sided=two_sided,
                      sources=scene.to_local([lm.position for lm in lums]),
                      adaptive=adaptive)
    n = pt.centres.shape[0]
    layers = _layers(scene)
    hit_bytes = n * rays_per_patch * layers * 4
    if hit_bytes > 4 * 2**30:
        raise ParameterError(f"{n} patches x {rays_per_patch} rays need "
                             f"{hit_bytes / 2**30:.1f} GiB; lower rays_per_patch or "
                             "max_patches, or raise patch_size")
    offset = scene.ray_offset
    bvh = scene.bvh
    rho = np.ascontiguousarray(scene.reflectance[pt.face])
    ptrans = np.ascontiguousarray(scene.light_transmittance[pt.face])
    ftrans = scene.light_transmittance
    normals = scene.face_normals

    # Direct irradiance at four points of every patch (2 x 2 sub-cells), by the direct engine.
    n_s = pt.samples.shape[1]
    sample_pts = pt.samples.reshape(-1, 3)
    if pt.two_sided:
        sample_pts = np.vstack([sample_pts, sample_pts])
    sample_grid = CalculationGrid(np.ascontiguousarray(scene.to_world(sample_pts)),
                                  np.ascontiguousarray(np.repeat(pt.normals, n_s, axis=0)),
                                  "plane", name="interreflection patches")
    hits = np.empty((n, rays_per_patch, layers), dtype=np.int32)
    # Rays in proportion to area (a patch's noise weighs by its area): a full cell gets
    # rays_per_patch, small faces (window reveals, kerbs) fewer, never below 4.
    full_cell = pt.patch_size ** 2
    patch_rays = np.clip(np.ceil(rays_per_patch * pt.areas / full_cell), min(4, rays_per_patch),
                         rays_per_patch).astype(np.int64)
    bar = _bar(n, quiet, "interreflection: patches")
    times = {}
    try:
        t1 = time.perf_counter()
        e3 = illuminance(scene, lums, sample_grid, kind="plane", cutoff=direct_cutoff,
                         quiet=quiet).values
        t2 = time.perf_counter()
        times["direct_seconds"] = round(t2 - t1, 3)
        for a in range(0, n, _PATCH_BLOCK):
            b = min(n, a + _PATCH_BLOCK)
            K.patch_gather(bvh, pt.cells, normals, ftrans, pt.n_front, pt.two_sided, ptrans,
                           pt.normals, patch_rays, a, seed, offset, hits[a:b])
            if bar is not None:
                bar.update(b - a)
        times["patch_rays_seconds"] = round(time.perf_counter() - t2, 3)
    finally:
        if bar is not None:
            bar.close()
    e3 = e3.reshape(n, n_s)
    e_direct = e3.mean(axis=1)
    spread = rho * e3.std(axis=1, ddof=1)

    b_cur, b_new, h, done, remaining = _jacobi_bounces(hits, patch_rays, ptrans, ftrans, rho,
                                                       e_direct, pt.areas, bounces, tolerance)
    # Indirect irradiance of the patches from the final radiosity, and its standard error.
    K.jacobi_step(hits, patch_rays, ptrans, ftrans, rho, e_direct, b_cur, b_new, h)
    se = np.empty(n)
    K.patch_spread(hits, patch_rays, ptrans, ftrans, b_cur, se)
    settings = dict(bounces=bounces, tolerance=tolerance, patch_size=pt.patch_size,
                    max_patches=max_patches, rays_per_patch=rays_per_patch, seed=seed,
                    two_sided=two_sided, adaptive=adaptive, direct_cutoff=direct_cutoff,
                    n_patches=n, bias_floor=bias_floor, patch_rays=int(patch_rays.sum()), threads=get_threads(),
                    **times,
                    seconds=round(time.perf_counter() - t0, 3))
    log.debug("radiosity: %d patches, %d bounces, remaining %.2g, %.2f s", n, done, remaining,
              settings["seconds"])
    return RadiositySolution(pt, rho, e_direct, h.copy(), b_cur.copy(), rho * se, spread, done,
                             float(remaining), settings, bias_floor)


# ---------------------------------------------------------------------------------- gather
def _directions(grid: CalculationGrid, kind: str, facing) -> tuple[int, np.ndarray]:
    n = grid.n_points
    if kind not in KINDS:
        raise ParameterError(f"kind: expected one of {KINDS}, got {kind!r}")
    if kind == "horizontal":
        return 0, np.tile([0.0, 0.0, 1.0], (n, 1))
    if kind in ("cylindrical", "hemispherical"):
        return K.KIND_CODES[kind], np.tile([0.0, 0.0, 1.0], (n, 1))
    if facing is None:
        if grid.normals is None:
            raise GridError(f"kind={kind!r} needs facing directions: pass facing= or a grid "
                            "with normals (CalculationGrid.with_normals)")
        d = np.asarray(grid.normals, dtype=np.float64)
    elif np.ndim(facing) == 0:
        az = math.radians(as_float(facing, "facing"))
        d = np.tile([math.cos(az), math.sin(az), 0.0], (n, 1))
    else:
        d = np.asarray(facing, dtype=np.float64)
        if d.shape == (3,):
            d = np.tile(d, (n, 1))
        if d.shape != (n, 3) or not np.all(np.isfinite(d)):
            raise ParameterError(f"facing: expected an azimuth [deg], a (3,) direction or "
                                 f"({n}, 3) directions, got shape {np.shape(facing)}")
    if kind in ("vertical", "semicylindrical"):
        d = d.copy()
        d[:, 2] = 0.0
    length = np.linalg.norm(d, axis=1)
    if np.any(length == 0.0):
        raise ParameterError(f"facing: {int(np.sum(length == 0))} directions have no "
                             f"{'horizontal ' if kind != 'plane' else ''}component")
    d = d / length[:, None]
    return (K.KIND_CODES["semicylindrical"] if kind == "semicylindrical" else 0), d


def indirect_illuminance(scene: Scene, luminaires, grid: CalculationGrid,
                         kind: str = "horizontal", facing=None, *, bounces: int | None = None,
                         tolerance: float = 1e-3, seed: int = 0, quiet: bool | None = None,
                         rays: int = 512, solution: RadiositySolution | None = None,
                         hot_factor: float = 50.0, max_hot: int = 20_000,
                         solver: dict | None = None, **solver_kw) -> IndirectResult:
    """Indirect (interreflected) illuminance at the points of a grid, with an error estimate.

    Parameters
    ----------
    scene : Scene
        The geometry and its materials (reflectance, light transmittance).
    luminaires : Luminaire or sequence of Luminaire
        The light sources; ignored when ``solution`` is given.
    grid : CalculationGrid
        Calculation points [m] (world).
    kind : str
        ``"horizontal"``, ``"vertical"``, ``"plane"`` (grid normals), ``"semicylindrical"``,
        ``"cylindrical"`` or ``"hemispherical"``.
    facing : float, (3,) or (n, 3), optional
        Facing azimuth [deg] or directions for vertical and semicylindrical illuminance (the
        grid's normals otherwise).
    bounces, tolerance, seed, quiet
        See :func:`radiosity`; ``seed`` also seeds the final gather.
    rays : int
        Final-gather rays per point (default 512).
    solution : RadiositySolution, optional
        A solution from :func:`radiosity` of the same scene, reused (no patch work).
    hot_factor : float
        Small patches brighter than ``hot_factor`` [1] x the mean radiosity are added exactly
        as Lambertian emitters instead of being found by the random rays (no fireflies under
        lamps); 0 turns this off.
    max_hot : int
        At most this many such patches [1], the brightest by flux.
    solver : dict, optional
        Further :func:`radiosity` parameters (``{"patch_size": 1.0, "rays_per_patch": 64}``).
        Given as loose keywords (``patch_size=1.0``), the old form, they still work for one
        release with a :class:`DeprecationWarning`.

    Returns
    -------
    IndirectResult
        Values [lx] with quantity ``E_<kind>_indirect``, error terms [lx] and the solution.

    Notes
    -----
    For every kind the estimator is the mean exitance ``B`` of the patches seen by rays drawn
    from the density of the kind's weighting, e.g. for a plane the cosine-weighted hemisphere:
    ``E = integral L cos(theta) dw = pi mean(L) = mean(B)``, ``L = B / pi = rho E / pi``.
    """
    t0 = time.perf_counter()
    if not isinstance(grid, CalculationGrid):
        raise ParameterError(f"grid: expected a CalculationGrid, got {type(grid).__name__}")
    code, nrm = _directions(grid, kind, facing)
    rays = _count(rays, "rays", 1, 2**22)
    if solution is None:
        solver = sub_settings(solver, "solver", solver_kw)
        solution = radiosity(scene, luminaires, bounces=bounces, tolerance=tolerance, seed=seed,
                             quiet=quiet, **solver)
    elif not isinstance(solution, RadiositySolution):
        raise ParameterError(f"solution: expected a RadiositySolution, got "
                             f"{type(solution).__name__}")
    elif solution.patches.cells.nu.shape[0] != scene.n_faces:
        raise ParameterError("solution: it was computed for another scene "
                             f"({solution.patches.cells.nu.shape[0]} faces, not "
                             f"{scene.n_faces})")
    t_gather = time.perf_counter()
    pt = solution.patches
    pts = grid.local_points(scene)
    nrm = np.ascontiguousarray(nrm)
    n = pts.shape[0]
    out = [np.empty(n) for _ in range(4)]
    ptrans = np.ascontiguousarray(scene.light_transmittance[pt.face])
    layers = _layers(scene)
    seed = _count(seed, "seed", 0, 2**63 - 1)
    seed2 = seed ^ 0x5DEECE66D  # the gather's own streams, apart from the patches' ones
    hot, emitters = hot_emitters(scene, solution.patches, solution.radiosity, as_float(hot_factor, "hot_factor", lo=0.0),
                                  _count(max_hot, "max_hot", 0, 10**7))
    b_gather = solution.radiosity.copy()
    se_gather = solution.radiosity_se.copy()
    disc_gather = solution.radiosity_spread.copy()
    b_gather[hot] = 0.0
    se_gather[hot] = 0.0
    disc_gather[hot] = 0.0
    bar = _bar(n, quiet, "interreflection: points")
    try:
        for a in range(0, n, _POINT_BLOCK):
            b = min(n, a + _POINT_BLOCK)
            K.point_gather(scene.bvh, pt.cells, scene.face_normals, scene.light_transmittance,
                           pt.n_front, pt.two_sided, ptrans, b_gather, se_gather, disc_gather,
                           pts[a:b], nrm[a:b], code, rays, layers, seed2, a, scene.ray_offset,
                           *(o[a:b] for o in out))
            if bar is not None:
                bar.update(b - a)
    finally:
        if bar is not None:
            bar.close()
    e, stat, pnoise, disc = out
    if emitters:
        # The hot patches' share, exact; their spread across the patch is a discretisation term.
        kw = dict(kind=kind, quiet=True, cutoff=1e-4,
                  facing=nrm if kind in ("vertical", "semicylindrical", "plane") else None)
        hot_e = illuminance(scene, emitters, grid, **kw).values
        spread = [replace(lm, flux_scale=lm.flux_scale * solution.radiosity_spread[j]
                          / max(solution.radiosity[j], 1e-300)) for lm, j in zip(emitters, hot)]
        hot_d = illuminance(scene, spread, grid, **kw).values
        e = e + hot_e
        disc = np.sqrt(disc ** 2 + hot_d ** 2)
    # Stopping at a tolerance leaves energy out; an explicit number of bounces is what was asked.
    trunc = e * (solution.remaining if solution.settings.get("bounces") is None else 0.0)
    bias = solution.bias_floor * e
    err = np.sqrt(stat ** 2 + pnoise ** 2 + disc ** 2 + trunc ** 2 + bias ** 2)
    quantity = {"horizontal": "E_h", "vertical": "E_v", "plane": "E_plane",
                "semicylindrical": "E_sc", "cylindrical": "E_cyl",
                "hemispherical": "E_hs"}[kind] + "_indirect"
    prov = provenance(method="interreflection (patch radiosity, Monte-Carlo gathering)",
                      kind=kind, rays=rays, hot_emitters=len(emitters), bounces_done=solution.bounces,
                      remaining=solution.remaining, **solution.settings,
                      gather_seconds=round(time.perf_counter() - t_gather, 3),
                      total_seconds=round(time.perf_counter() - t0, 3))
    fld = Field(e, grid, quantity, "lx", prov)
    return IndirectResult(fld, err, stat, pnoise, disc, trunc, solution, bias)


# surface_luminance and add_indirect live in lighting/totals.py (this module stays small)
from .totals import add_indirect, surface_luminance  # noqa: E402
