"""The flat bounding-volume hierarchy over a scene's triangles (docs/architecture.md §3)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np

from ..kernels import bvh_build
from ..kernels.bvh_build import WIDE
from ..kernels.scratch import small_pages

__all__ = ["FlatBVH", "BVHStats", "build_bvh", "wide_nodes", "aligned_copy", "MAX_LEAF",
           "N_BINS"]

MAX_LEAF = 4
N_BINS = 16
# The subtrees of at most max(TASK_MIN, n / TASKS) triangles are built as parallel tasks.
TASKS = 64
TASK_MIN = 1024


class FlatBVH(NamedTuple):
    """A BVH as flat arrays, passed as one argument to every traversal kernel.

    Attributes
    ----------
    tri : (n, 9) float
        Triangle corners in leaf order (scene-local metres).
    face : (n,) int64
        The scene face index of each row of ``tri``.
    nodes : (w, 64) int32, 64-byte aligned
        What traversal reads: the tree collapsed to 8-wide nodes (``WIDE``), 256 bytes each.
        Read as float32 (``nodes.view(np.float32)``), columns 0-47 hold the boxes of the
        node's up to eight children as ``xmin[8], ymin[8], zmin[8], xmax[8], ymax[8],
        zmax[8]``, rounded outward so that they still contain the float64 boxes (empty slots:
        +inf, entered by no ray). Columns 48-55 are each child's wide node index or first
        triangle and columns 56-63 its triangle count (0: interior child, -1: empty slot,
        empty slots last). Stored as int32 so that two trees compare with
        ``np.array_equal``. The binary tree it was collapsed from (:func:`binary_tree`) is
        not kept: no traversal reads it.
    """

    tri: np.ndarray
    face: np.ndarray
    nodes: np.ndarray

    def __reduce__(self):
        # Unpickled (or deep-copied) arrays get numpy's default alignment, weaker than the
        # 32 bytes the traversal's vector loads need: restore ``nodes`` into an aligned buffer.
        return (_restore, tuple(self))


def _restore(tri, face, nodes) -> FlatBVH:
    """A :class:`FlatBVH` from its unpickled arrays, ``nodes`` copied to a 64-byte boundary."""
    return FlatBVH(tri, face, aligned_copy(nodes))


@dataclass(frozen=True)
class BVHStats:
    """Figures of a build, for reports: time [s], depth, node and leaf counts, size [bytes]."""

    build_seconds: float
    depth: int
    n_nodes: int
    n_leaves: int
    n_triangles: int
    nbytes: int


def aligned_copy(nodes: np.ndarray, align: int = 64) -> np.ndarray:
    """``nodes`` itself when C-contiguous on an ``align``-byte boundary, else an aligned copy."""
    nodes = np.asarray(nodes)
    if nodes.ndim == 2 and nodes.flags.c_contiguous and nodes.ctypes.data % align == 0:
        return nodes
    out = _aligned_empty(*nodes.shape, nodes.dtype, align)
    out[...] = nodes
    return out


def _aligned_empty(rows: int, cols: int, dtype, align: int = 64) -> np.ndarray:
    """An uninitialised C-contiguous ``(rows, cols)`` array starting on an ``align`` boundary
    (pages untouched until written: an upper bound costs no memory)."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(rows * cols + align // itemsize, dtype=dtype)
    shift = (-raw.ctypes.data % align) // itemsize
    return raw[shift:shift + rows * cols].reshape(rows, cols)


def wide_nodes(bounds: np.ndarray, child: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The ``(w, 8 * WIDE)`` int32 wide node rows of :attr:`FlatBVH.nodes` from a binary tree.

    ``child`` and ``count`` may hold rows that no node links to (the parallel build leaves
    gaps); only the nodes reachable from node 0 are read.
    """
    if child.shape[0] >= 2**31:  # node links and first triangles are below it
        raise OverflowError("BVH too large for 32-bit node links")
    # a wide node takes at least one interior binary node: a bound, written only where used
    links = _aligned_empty(child.shape[0] // 2 + 1, 8 * WIDE, np.int32)
    n_wide = bvh_build.collapse_wide(bounds, child, count, links)
    out = _aligned_empty(n_wide, 8 * WIDE, np.int32)
    out[...] = links[:n_wide]
    return out


class _Builder:
    """The binary tree over boxes ``lo``/``hi`` ((n, 3)), built on ``pool``'s threads (see
    :mod:`cpted_sim.kernels.bvh_build`: serial kernels that release the GIL)."""

    def __init__(self, lo, hi, centroid, max_leaf, n_bins, pad, pool, n_threads):
        self.lo, self.hi, self.centroid = lo, hi, centroid
        self.max_leaf, self.n_bins, self.pad = max_leaf, n_bins, pad
        self.pool, self.n_threads = pool, n_threads
        n = lo.shape[0]
        self.order = np.arange(n, dtype=np.int64)
        m = max(1, 2 * n - 1)  # a binary tree of n leaves or fewer
        # zeroed (lazily, by the OS: rows never written cost nothing), so that the rows no
        # node links to are the same in every build; the numbering depends on n only
        self.bounds = np.zeros((m, 6))
        self.child = np.zeros(m, dtype=np.int64)
        self.count = np.zeros(m, dtype=np.int64)

    def _map(self, fn, items):
        return list(self.pool.map(fn, items))

    def _split_in_chunks(self, node, s, e):
        """Split node ``node`` over ``order[s:e]``, bounding and binning it in parallel chunks
        (the same bins as one pass: exact minima, maxima and counts)."""
        k = 4 * self.n_threads
        cuts = np.linspace(s, e, k + 1).astype(np.int64)
        part = np.empty((k, 12))
        args = (self.lo, self.hi, self.centroid, self.order)
        self._map(lambda i: bvh_build.range_box(*args, cuts[i], cuts[i + 1], part[i]), range(k))
        box = np.concatenate([part[:, 0:3].min(0), part[:, 3:6].max(0), part[:, 6:9].min(0),
                              part[:, 9:12].max(0)])
        self.bounds[node, :3] = box[:3] - self.pad
        self.bounds[node, 3:] = box[3:6] + self.pad
        scale = np.empty(3)
        bvh_build.bin_scale(box, self.n_bins, scale)
        counts = np.empty((k, 3, self.n_bins), dtype=np.int64)
        boxes = np.empty((k, 3, self.n_bins, 6))

        def bins(i):
            bvh_build.clear_bins(counts[i], boxes[i])
            bvh_build.bin_range(*args, cuts[i], cuts[i + 1], box, scale, counts[i], boxes[i])

        self._map(bins, range(k))
        bin_box = np.concatenate([boxes[..., :3].min(0), boxes[..., 3:].max(0)], axis=-1)
        return bvh_build.split_or_leaf(self.centroid, self.order, s, e, self.max_leaf, box,
                                       scale, counts.sum(0), bin_box, np.empty(self.n_bins),
                                       np.empty(self.n_bins, dtype=np.int64))

    def _split_whole(self, job):
        node, s, e, _ = job
        return bvh_build.split_node(self.lo, self.hi, self.centroid, self.order, node, s, e,
                                    self.max_leaf, self.n_bins, self.pad, self.bounds)

    def build(self, task_size):
        """Split the nodes of more than ``task_size`` primitives level by level (a level of
        fewer nodes than ``2 * n_threads``: each node in chunks; else one node per thread),
        then build the subtrees below them as parallel tasks. Returns the depth."""
        n = self.order.shape[0]
        level, tasks, n_top = [(0, 0, n, 1)], [], 1
        if n <= task_size:
            level, tasks = [], [(0, 0, n, 1)]
        while level:
            if len(level) < 2 * self.n_threads:
                mids = [self._split_in_chunks(*job[:3]) for job in level]
            else:
                mids = self._map(self._split_whole, level)
            below = []
            for (node, s, e, d), mid in zip(level, mids):  # top nodes are never leaves
                self.child[node], self.count[node] = n_top, 0
                for c, c0, c1 in ((n_top, s, mid), (n_top + 1, mid, e)):
                    small = c1 - c0 <= task_size or d + 1 >= bvh_build.MAX_DEPTH
                    (tasks if small else below).append((c, c0, c1, d + 1))
                n_top += 2
            level = below
        tasks.sort(key=lambda t: t[1] - t[2])  # largest first, for the balance of the pool
        first = n_top + np.concatenate(([0], np.cumsum([2 * (e - s) - 2 for _, s, e, _ in tasks])))

        def subtree(i):
            node, s, e, d = tasks[i]
            return bvh_build.build_subtree(self.lo, self.hi, self.centroid, self.order, node, s,
                                           e, d, first[i], self.max_leaf, self.n_bins,
                                           self.pad, self.bounds, self.child, self.count)[1]

        return max(self._map(subtree, range(len(tasks))))


def binary_tree(lo: np.ndarray, hi: np.ndarray, centroid: np.ndarray, max_leaf: int,
                n_bins: int, pad: float):
    """The binned-SAH binary tree over boxes ``lo``/``hi`` ((n, 3)) and their centroids.

    Returns ``bounds`` (m, 6), ``child`` (m,), ``count`` (m,), ``order`` (n,) the primitives
    in leaf order, and the depth of the deepest leaf. Upper nodes are split first (their
    primitives binned in parallel chunks), the subtrees below them built in parallel, on
    ``numba.get_num_threads()`` Python threads; rows that no node links to stay zero (see
    :mod:`cpted_sim.kernels.bvh_build`).
    """
    n_threads = numba.get_num_threads()
    task_size = max(TASK_MIN, -(-lo.shape[0] // TASKS))
    with ThreadPoolExecutor(n_threads) as pool:
        b = _Builder(lo, hi, centroid, max_leaf, n_bins, pad, pool, n_threads)
        depth = b.build(task_size)
    return b.bounds, b.child, b.count, b.order, int(depth)


def build_bvh(vertices: np.ndarray, faces: np.ndarray, *, max_leaf: int = MAX_LEAF,
              n_bins: int = N_BINS) -> tuple[FlatBVH, BVHStats]:
    """Build a binned-SAH BVH over triangles.

    Parameters
    ----------
    vertices : (v, 3) float
        Scene-local vertex coordinates [m], validated.
    faces : (n, 3) int
        Vertex indices of each triangle, validated, n >= 1.
    max_leaf : int
        Largest number of triangles in a leaf.
    n_bins : int
        SAH bins per axis.

    Returns
    -------
    bvh : FlatBVH
    stats : BVHStats
    """
    t0 = time.perf_counter()
    with small_pages():
        bvh, depth = _build(vertices, faces, max_leaf, n_bins)
    nodes = bvh.nodes
    n = bvh.face.shape[0]
    nbytes = sum(a.nbytes for a in bvh)
    n_leaves = int(np.count_nonzero(nodes[:, 7 * WIDE:] > 0))
    stats = BVHStats(
        build_seconds=time.perf_counter() - t0,
        depth=depth,
        n_nodes=2 * n_leaves - 1,
        n_leaves=n_leaves,
        n_triangles=int(n),
        nbytes=int(nbytes),
    )
    return bvh, stats


def _in_chunks(kernel, n: int, *args) -> None:
    """``kernel(*args, start, end)`` over rows ``0:n`` in one chunk per thread (Python threads:
    the serial kernels release the GIL); small ``n`` in one call."""
    k = numba.get_num_threads() if n >= TASK_MIN else 1
    cuts = [n * i // k for i in range(k + 1)]
    if k == 1:
        kernel(*args, 0, n)
        return
    with ThreadPoolExecutor(k) as pool:
        list(pool.map(lambda i: kernel(*args, cuts[i], cuts[i + 1]), range(k)))


def _build(vertices, faces, max_leaf, n_bins) -> tuple[FlatBVH, int]:
    """The tree of :func:`build_bvh` and its depth."""
    # writeable C arrays: Numba types read-only ones apart (a second compilation on first use)
    vertices = np.require(vertices, np.float64, ["C", "W"])
    faces = np.require(faces, np.int64, ["C", "W"])
    n = faces.shape[0]
    lo = np.empty((n, 3))
    hi = np.empty((n, 3))
    centroid = np.empty((n, 3))
    _in_chunks(bvh_build.triangle_boxes, n, vertices, faces, lo, hi, centroid)
    extent = float(np.max(vertices.max(axis=0) - vertices.min(axis=0))) if len(vertices) else 1.0
    pad = 1e-9 * max(extent, 1.0)
    bounds, child, count, order, depth = binary_tree(lo, hi, centroid, max_leaf, n_bins, pad)
    del lo, hi, centroid
    nodes = wide_nodes(bounds, child, count)
    del bounds, child, count  # the binary tree: no traversal reads it
    tri = np.empty((n, 9))
    _in_chunks(bvh_build.gather_triangles, n, vertices, faces, order, tri)
    return FlatBVH(tri, order, nodes), depth
