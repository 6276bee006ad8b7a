"""The flat bounding-volume hierarchy over a scene's triangles (docs/architecture.md §3)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..kernels import bvh_build
from ..kernels.bvh_build import WIDE

__all__ = ["FlatBVH", "BVHStats", "build_bvh", "wide_nodes", "round_outward", "aligned_copy",
           "MAX_LEAF", "N_BINS"]

MAX_LEAF = 4
N_BINS = 16


class FlatBVH(NamedTuple):
    """A BVH as flat arrays, passed as one argument to every traversal kernel.

    Attributes
    ----------
    bounds : (m, 6) float
        Node boxes ``[xmin, ymin, zmin, xmax, ymax, zmax]`` in scene-local metres.
    child_or_first : (m,) int64
        Interior node: its left child (the right child is the next node). Leaf: its first
        triangle in ``tri``.
    count : (m,) int64
        Triangles in a leaf; 0 for interior nodes.
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
        ``np.array_equal``. ``bounds``, ``child_or_first`` and ``count`` keep the binary tree
        it was collapsed from.
    """

    bounds: np.ndarray
    child_or_first: np.ndarray
    count: np.ndarray
    tri: np.ndarray
    face: np.ndarray
    nodes: np.ndarray

    def __reduce__(self):
        # Unpickled (or deep-copied) arrays get numpy's default alignment, weaker than the
        # 32 bytes the traversal's vector loads need: restore ``nodes`` into an aligned buffer.
        return (_restore, tuple(self))


def _restore(bounds, child_or_first, count, tri, face, nodes) -> FlatBVH:
    """A :class:`FlatBVH` from its unpickled arrays, ``nodes`` copied to a 64-byte boundary."""
    return FlatBVH(bounds, child_or_first, count, tri, face, aligned_copy(nodes))


@dataclass(frozen=True)
class BVHStats:
    """Figures of a build, for reports: time [s], depth, node and leaf counts, size [bytes]."""

    build_seconds: float
    depth: int
    n_nodes: int
    n_leaves: int
    n_triangles: int
    nbytes: int


def round_outward(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 copies of box corners that still contain the float64 box."""
    lo32 = lo.astype(np.float32)
    hi32 = hi.astype(np.float32)
    down = lo32.astype(np.float64) > lo
    up = hi32.astype(np.float64) < hi
    lo32[down] = np.nextafter(lo32[down], np.float32(-np.inf))
    hi32[up] = np.nextafter(hi32[up], np.float32(np.inf))
    return lo32, hi32


def _aligned_zeros(rows: int, cols: int, dtype, align: int = 64) -> np.ndarray:
    """A zeroed C-contiguous ``(rows, cols)`` array whose data starts on an ``align`` boundary."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(rows * cols + align // itemsize, dtype=dtype)
    shift = (-raw.ctypes.data % align) // itemsize
    return raw[shift:shift + rows * cols].reshape(rows, cols)


def aligned_copy(nodes: np.ndarray, align: int = 64) -> np.ndarray:
    """``nodes`` itself when C-contiguous on an ``align``-byte boundary, else an aligned copy."""
    nodes = np.asarray(nodes)
    if nodes.ndim == 2 and nodes.flags.c_contiguous and nodes.ctypes.data % align == 0:
        return nodes
    out = _aligned_zeros(*nodes.shape, nodes.dtype, align)
    out[...] = nodes
    return out


def wide_nodes(bounds: np.ndarray, child: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The ``(w, 8 * WIDE)`` int32 wide node rows of :attr:`FlatBVH.nodes` from a binary tree."""
    if child.size and (child.max() >= 2**31 or count.max() >= 2**31):
        raise OverflowError("BVH too large for 32-bit node links")
    boxes, ref, cnt = bvh_build.collapse_wide(bounds, child, count)
    n = WIDE
    links = _aligned_zeros(boxes.shape[0], 8 * n, np.int32)
    lo32, hi32 = round_outward(boxes[:, :3 * n], boxes[:, 3 * n:])
    fbox = links.view(np.float32)
    fbox[:, :3 * n] = lo32
    fbox[:, 3 * n:6 * n] = hi32
    links[:, 6 * n:7 * n] = ref
    links[:, 7 * n:] = cnt
    return links


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
    vertices = np.ascontiguousarray(vertices, dtype=np.float64)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    n = faces.shape[0]
    lo = np.empty((n, 3))
    hi = np.empty((n, 3))
    centroid = np.empty((n, 3))
    bvh_build.triangle_boxes(vertices, faces, lo, hi, centroid)
    extent = float(np.max(vertices.max(axis=0) - vertices.min(axis=0))) if len(vertices) else 1.0
    pad = 1e-9 * max(extent, 1.0)
    bounds, child, count, order, depth = bvh_build.build_bvh(lo, hi, centroid, max_leaf, n_bins, pad)
    tri = np.empty((n, 9))
    bvh_build.gather_triangles(vertices, faces, order, tri)
    bvh = FlatBVH(bounds, child, count, tri, order, wide_nodes(bounds, child, count))
    nbytes = sum(a.nbytes for a in bvh)
    stats = BVHStats(
        build_seconds=time.perf_counter() - t0,
        depth=int(depth),
        n_nodes=int(bounds.shape[0]),
        n_leaves=int(np.count_nonzero(count)),
        n_triangles=int(n),
        nbytes=int(nbytes),
    )
    return bvh, stats
