"""Visibility graph analysis (VGA) of a grid: Turner, Doxa, O'Sullivan and Penn (2001)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validate import as_float
from ..config import get_threads
from ..errors import ParameterError
from ..field import Field, provenance
from ..geometry.grid import CalculationGrid
from ..geometry.scene import Scene
from ..kernels import sightlines as K
from .isovist import slice_bvh
from .observers import DEFAULT_EYE_HEIGHT
from .surveillance import blocks, spatial_order

__all__ = ["visibility_graph", "VisibilityGraph", "hh_integration", "MAX_GRAPH_POINTS"]

MAX_GRAPH_POINTS = 60_000
BLOCK_ROWS = 256
BLOCK_SOURCES = 1024


def hh_integration(mean_depth, k) -> np.ndarray:
    """Visual integration [HH] from mean depth and the number of nodes of the component.

    ``RA = 2 (MD - 1) / (k - 2)``, ``D_k = 2 (k (log2((k + 2) / 3) - 1) + 1) / ((k - 1)(k - 2))``,
    ``integration = D_k / RA`` (Hillier and Hanson 1984, as used by Turner et al. 2001).
    NaN where ``k < 4`` or ``MD == 1`` (every node one step away).
    """
    md = np.asarray(mean_depth, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ra = 2.0 * (md - 1.0) / (k - 2.0)
        dk = 2.0 * (k * (np.log2((k + 2.0) / 3.0) - 1.0) + 1.0) / ((k - 1.0) * (k - 2.0))
        out = dk / ra
    return np.where((k >= 4) & (ra > 0) & np.isfinite(out), out, np.nan)


@dataclass(frozen=True, eq=False)
class VisibilityGraph:
    """A visibility graph on grid points and its space-syntax measures.

    Attributes
    ----------
    grid : CalculationGrid
    bits : (n, ceil(n / 64)) uint64
        Bit-packed symmetric adjacency: bit j of row i set when i and j see each other.
    connectivity : Field
        ``vga_connectivity`` [1]: number of points visible from each point.
    mean_depth : Field
        ``vga_mean_depth`` [1]: mean number of visual steps to every other point reached.
    integration : Field
        ``vga_integration_hh`` [1]: visual integration, Hillier-Hanson normalisation.
    clustering : Field
        ``vga_clustering`` [1]: share of pairs of a point's neighbours that see each other.
    reached : (n,) int
        Size of each point's connected component (the point included).
    """

    grid: CalculationGrid
    bits: np.ndarray
    connectivity: Field
    mean_depth: Field
    integration: Field
    clustering: Field
    reached: np.ndarray
    settings: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.grid.n_points

    def neighbours(self, i: int) -> np.ndarray:
        """Indices of the points visible from point ``i``."""
        row = np.unpackbits(self.bits[i].view(np.uint8), bitorder="little")[: self.n]
        return np.nonzero(row)[0]

    def adjacency(self) -> np.ndarray:
        """Dense (n, n) bool adjacency (n^2 bytes; for small graphs and tests)."""
        a = np.unpackbits(self.bits.view(np.uint8), axis=1, bitorder="little")[:, : self.n]
        return a.astype(bool)

    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.connectivity.values.sum()) // 2


def visibility_graph(scene: Scene, grid: CalculationGrid, *, height: float = DEFAULT_EYE_HEIGHT,
                     max_distance: float | None = None,
                     min_transmittance: float = 0.5,
                     quiet: bool | None = None) -> VisibilityGraph:
    """Visibility graph of grid points at eye height and its VGA measures.

    Two points are linked when the sightline between their eyes (each ``height`` above the
    point) keeps at least ``min_transmittance`` of the view and is no longer than
    ``max_distance``.

    Parameters
    ----------
    scene : Scene
    grid : CalculationGrid
        Up to ``MAX_GRAPH_POINTS`` points [m]; about 20 000 keep run time in minutes.
    height : float
        Eye height above the points [m] (default 1.6).
    max_distance : float, optional
        Longest link [m]; default unlimited (Turner et al.).
    min_transmittance : float
        Least sight transmittance of a link [-] in (0, 1] (a hedge of 0.3 cuts it).
    quiet : bool, optional
        Turn the progress bars off.

    Returns
    -------
    VisibilityGraph

    Notes
    -----
    For node i with neighbourhood N_i (``k_i = |N_i|``) and step depths d_ij found by
    breadth-first search over its connected component of K_i nodes:

    - connectivity ``k_i``;
    - mean depth ``MD_i = sum_j d_ij / (K_i - 1)``;
    - integration [HH] ``D_K / RA`` with ``RA = 2 (MD - 1) / (K - 2)`` and the diamond value
      ``D_K = 2 (K (log2((K + 2) / 3) - 1) + 1) / ((K - 1)(K - 2))``;
    - clustering ``C_i = |{(j, l) in N_i^2 : j ~ l}| / (k_i (k_i - 1))`` (NaN for k_i < 2).

    Memory: the adjacency is bit-packed, n^2 / 8 bytes (50 MB for 20 000 points). Time: n^2 / 2
    sightlines plus n^3 / 64 word operations for the searches.

    References
    ----------
    Turner, A., Doxa, M., O'Sullivan, D. and Penn, A. (2001). From isovists to visibility
    graphs: a methodology for the analysis of architectural space. Environment and Planning B
    28, 103-121. Hillier, B. and Hanson, J. (1984). The Social Logic of Space.
    """
    if not isinstance(scene, Scene):
        raise ParameterError(f"scene: expected a cpted_sim.Scene, got {type(scene).__name__}")
    if not isinstance(grid, CalculationGrid):
        raise ParameterError(f"grid: expected a CalculationGrid, got {type(grid).__name__}")
    n = grid.n_points
    if n > MAX_GRAPH_POINTS:
        raise ParameterError(f"grid: {n} points is more than {MAX_GRAPH_POINTS} for a visibility "
                             "graph; use a coarser spacing")
    t0 = time.perf_counter()
    height = as_float(height, "height")
    md = np.inf if max_distance is None else as_float(max_distance, "max_distance", lo=0.0,
                                                      lo_open=True, allow_inf=True)
    min_tr = as_float(min_transmittance, "min_transmittance", lo=0.0, hi=1.0, lo_open=True)
    pts = grid.local_points(scene)
    pts[:, 2] += height
    order = spatial_order(pts[:, :2])
    pts_s = np.ascontiguousarray(pts[order])
    face_tr = np.ascontiguousarray(scene.sight_transmittance)
    use_tr = bool(np.any(face_tr > 0))
    n_words = (n + 63) // 64
    bits_s = np.zeros((n, n_words), dtype=np.uint64)
    bvh = scene.bvh
    if np.ptp(pts[:, 2]) == 0.0:
        # Every sightline is horizontal: trace them in the cross-section at eye height.
        sl = slice_bvh(scene, float(pts[0, 2]))
        if sl is None:
            bvh, face_tr = None, None
        else:
            bvh, src = sl
            face_tr = np.ascontiguousarray(face_tr[src])
    if bvh is None:  # nothing at eye height: everything in range sees everything
        K.all_pairs_bits_kernel(pts_s, md, bits_s)
    else:
        for a, b in blocks((n + 1) // 2, BLOCK_ROWS, quiet, "visibility graph: sightlines",
                           "row pairs"):
            K.visibility_bits_kernel(bvh, face_tr, use_tr, min_tr, pts_s, md,
                                     float(scene.ray_offset), a, b, bits_s)
    K.symmetrize_bits_kernel(bits_s, n)
    conn = np.empty(n, dtype=np.int64)
    depth = np.empty(n, dtype=np.int64)
    reach = np.empty(n, dtype=np.int64)
    clust = np.empty(n)
    for a, b in blocks(n, BLOCK_SOURCES, quiet, "visibility graph: depths", "nodes"):
        K.vga_kernel(bits_s, n, a, b, conn, depth, reach, clust)
    # Back to grid order: rows and columns of the bit matrix, and the measures.
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)
    bits = _permute_bits(bits_s, inv, n)
    out = {}
    for name, arr in (("conn", conn), ("depth", depth), ("reach", reach), ("clust", clust)):
        v = np.empty(arr.shape, dtype=arr.dtype)
        v[order] = arr
        out[name] = v
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_depth = np.where(out["reach"] > 1, out["depth"] / (out["reach"] - 1.0), np.nan)
    integ = hh_integration(mean_depth, out["reach"])
    settings = {"height": height, "max_distance": md, "min_transmittance": min_tr,
                "threads": get_threads(), "elapsed_s": time.perf_counter() - t0}
    prov = provenance(function="visibility_graph", **settings)
    return VisibilityGraph(
        grid=grid, bits=bits,
        connectivity=Field(out["conn"].astype(np.float64), grid, "vga_connectivity", "1", prov),
        mean_depth=Field(mean_depth, grid, "vga_mean_depth", "1", prov),
        integration=Field(integ, grid, "vga_integration_hh", "1", prov),
        clustering=Field(out["clust"], grid, "vga_clustering", "1", prov),
        reached=out["reach"], settings=settings)


def _permute_bits(bits_s: np.ndarray, inv: np.ndarray, n: int) -> np.ndarray:
    """Rows and columns of a bit matrix renumbered: new[i, j] = old[inv[i], inv[j]]."""
    out = np.zeros_like(bits_s)
    step = 1024
    for lo in range(0, n, step):
        rows = np.unpackbits(bits_s[inv[lo:lo + step]].view(np.uint8), axis=1,
                             bitorder="little")[:, :n]
        rows = rows[:, inv]
        packed = np.packbits(rows, axis=1, bitorder="little")
        out[lo:lo + step].view(np.uint8)[:, : packed.shape[1]] = packed
    return out
