"""Binned surface-area-heuristic BVH build on flat arrays.

The tree is returned as flat arrays (docs/architecture.md §3): node boxes, for each node either its left
child (the right child is the next node) or its first primitive, and its primitive count
(0 for interior nodes). Children of a node are stored next to each other so traversal tests
both boxes from one cache line pair.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .._jit import jit, pjit

WIDE = 8  # children per node of the traversal tree (see collapse_wide)


@pjit
def triangle_boxes(vertices, faces, lo, hi, centroid):
    """Per-triangle bounding boxes and box centroids."""
    for f in prange(faces.shape[0]):
        for k in range(3):
            a = vertices[faces[f, 0], k]
            b = vertices[faces[f, 1], k]
            c = vertices[faces[f, 2], k]
            mn = min(a, min(b, c))
            mx = max(a, max(b, c))
            lo[f, k] = mn
            hi[f, k] = mx
            centroid[f, k] = 0.5 * (mn + mx)


@jit
def _area(b0, b1, b2, b3, b4, b5):
    ex = b3 - b0
    ey = b4 - b1
    ez = b5 - b2
    if ex < 0.0:
        return 0.0
    return ex * ey + ey * ez + ez * ex


@jit
def build_bvh(lo, hi, centroid, max_leaf, n_bins, pad):
    """Build a binned-SAH BVH over boxes ``lo``/``hi`` ((n, 3)).

    Parameters
    ----------
    lo, hi, centroid : (n, 3) float64
        Primitive boxes and their centroids.
    max_leaf : int
        Largest number of primitives in a leaf.
    n_bins : int
        SAH bins per axis.
    pad : float
        Absolute padding added to every node box (conservative traversal).

    Returns
    -------
    bounds : (m, 6) float64
    child_or_first : (m,) int64
    count : (m,) int64
    order : (n,) int64
        Primitive indices in leaf order.
    depth : int
    """
    n = lo.shape[0]
    order = np.arange(n)
    max_nodes = max(1, 2 * n - 1)
    bounds = np.empty((max_nodes, 6))
    child = np.full(max_nodes, -1, dtype=np.int64)
    count = np.zeros(max_nodes, dtype=np.int64)
    stack_node = np.empty(128, dtype=np.int64)
    stack_start = np.empty(128, dtype=np.int64)
    stack_end = np.empty(128, dtype=np.int64)
    stack_depth = np.empty(128, dtype=np.int64)
    sp = 0
    stack_node[0] = 0
    stack_start[0] = 0
    stack_end[0] = n
    stack_depth[0] = 1
    sp = 1
    n_nodes = 1
    max_depth = 1
    bin_count = np.zeros((3, n_bins), dtype=np.int64)
    bin_box = np.empty((3, n_bins, 6))
    right_area = np.empty(n_bins)
    right_count = np.empty(n_bins, dtype=np.int64)
    while sp > 0:
        sp -= 1
        node = stack_node[sp]
        start = stack_start[sp]
        end = stack_end[sp]
        depth = stack_depth[sp]
        if depth > max_depth:
            max_depth = depth
        b0 = np.inf
        b1 = np.inf
        b2 = np.inf
        b3 = -np.inf
        b4 = -np.inf
        b5 = -np.inf
        c0 = np.inf
        c1 = np.inf
        c2 = np.inf
        c3 = -np.inf
        c4 = -np.inf
        c5 = -np.inf
        for j in range(start, end):
            p = order[j]
            b0 = min(b0, lo[p, 0])
            b1 = min(b1, lo[p, 1])
            b2 = min(b2, lo[p, 2])
            b3 = max(b3, hi[p, 0])
            b4 = max(b4, hi[p, 1])
            b5 = max(b5, hi[p, 2])
            c0 = min(c0, centroid[p, 0])
            c1 = min(c1, centroid[p, 1])
            c2 = min(c2, centroid[p, 2])
            c3 = max(c3, centroid[p, 0])
            c4 = max(c4, centroid[p, 1])
            c5 = max(c5, centroid[p, 2])
        bounds[node, 0] = b0 - pad
        bounds[node, 1] = b1 - pad
        bounds[node, 2] = b2 - pad
        bounds[node, 3] = b3 + pad
        bounds[node, 4] = b4 + pad
        bounds[node, 5] = b5 + pad
        nprim = end - start
        if nprim <= 1 or depth >= 120:
            child[node] = start
            count[node] = nprim
            continue
        cmin = (c0, c1, c2)
        cext = (c3 - c0, c4 - c1, c5 - c2)
        # Bin the centroids along all three axes.
        bin_count[:, :] = 0
        for a in range(3):
            for k in range(n_bins):
                bin_box[a, k, 0] = np.inf
                bin_box[a, k, 1] = np.inf
                bin_box[a, k, 2] = np.inf
                bin_box[a, k, 3] = -np.inf
                bin_box[a, k, 4] = -np.inf
                bin_box[a, k, 5] = -np.inf
        scale = np.empty(3)
        for a in range(3):
            scale[a] = n_bins * (1.0 - 1e-9) / cext[a] if cext[a] > 0.0 else 0.0
        for j in range(start, end):
            p = order[j]
            for a in range(3):
                k = int((centroid[p, a] - cmin[a]) * scale[a])
                if k >= n_bins:
                    k = n_bins - 1
                bin_count[a, k] += 1
                bin_box[a, k, 0] = min(bin_box[a, k, 0], lo[p, 0])
                bin_box[a, k, 1] = min(bin_box[a, k, 1], lo[p, 1])
                bin_box[a, k, 2] = min(bin_box[a, k, 2], lo[p, 2])
                bin_box[a, k, 3] = max(bin_box[a, k, 3], hi[p, 0])
                bin_box[a, k, 4] = max(bin_box[a, k, 4], hi[p, 1])
                bin_box[a, k, 5] = max(bin_box[a, k, 5], hi[p, 2])
        best_cost = np.inf
        best_axis = -1
        best_split = -1
        for a in range(3):
            if cext[a] <= 0.0:
                continue
            r0 = np.inf
            r1 = np.inf
            r2 = np.inf
            r3 = -np.inf
            r4 = -np.inf
            r5 = -np.inf
            rc = 0
            for k in range(n_bins - 1, 0, -1):
                if bin_count[a, k] > 0:
                    r0 = min(r0, bin_box[a, k, 0])
                    r1 = min(r1, bin_box[a, k, 1])
                    r2 = min(r2, bin_box[a, k, 2])
                    r3 = max(r3, bin_box[a, k, 3])
                    r4 = max(r4, bin_box[a, k, 4])
                    r5 = max(r5, bin_box[a, k, 5])
                rc += bin_count[a, k]
                right_area[k] = _area(r0, r1, r2, r3, r4, r5)
                right_count[k] = rc
            l0 = np.inf
            l1 = np.inf
            l2 = np.inf
            l3 = -np.inf
            l4 = -np.inf
            l5 = -np.inf
            lc = 0
            for k in range(0, n_bins - 1):
                if bin_count[a, k] > 0:
                    l0 = min(l0, bin_box[a, k, 0])
                    l1 = min(l1, bin_box[a, k, 1])
                    l2 = min(l2, bin_box[a, k, 2])
                    l3 = max(l3, bin_box[a, k, 3])
                    l4 = max(l4, bin_box[a, k, 4])
                    l5 = max(l5, bin_box[a, k, 5])
                lc += bin_count[a, k]
                rcount = right_count[k + 1]
                if lc == 0 or rcount == 0:
                    continue
                cost = lc * _area(l0, l1, l2, l3, l4, l5) + rcount * right_area[k + 1]
                if cost < best_cost:
                    best_cost = cost
                    best_axis = a
                    best_split = k
        node_area = _area(b0, b1, b2, b3, b4, b5)
        leaf_cost = nprim * node_area
        # Traversal cost 1, intersection cost 1 per primitive (relative to the node's area).
        if nprim <= max_leaf and (best_axis < 0 or leaf_cost <= node_area + best_cost):
            child[node] = start
            count[node] = nprim
            continue
        mid = start
        if best_axis >= 0:
            a = best_axis
            i = start
            j = end - 1
            while i <= j:
                k = int((centroid[order[i], a] - cmin[a]) * scale[a])
                if k >= n_bins:
                    k = n_bins - 1
                if k <= best_split:
                    i += 1
                else:
                    tmp = order[i]
                    order[i] = order[j]
                    order[j] = tmp
                    j -= 1
            mid = i
        if mid <= start or mid >= end:
            if nprim <= max_leaf:
                child[node] = start
                count[node] = nprim
                continue
            mid = (start + end) // 2
        left = n_nodes
        n_nodes += 2
        child[node] = left
        count[node] = 0
        if sp + 2 > stack_node.shape[0]:
            grow = stack_node.shape[0] * 2
            stack_node = _grow(stack_node, grow)
            stack_start = _grow(stack_start, grow)
            stack_end = _grow(stack_end, grow)
            stack_depth = _grow(stack_depth, grow)
        stack_node[sp] = left + 1
        stack_start[sp] = mid
        stack_end[sp] = end
        stack_depth[sp] = depth + 1
        sp += 1
        stack_node[sp] = left
        stack_start[sp] = start
        stack_end[sp] = mid
        stack_depth[sp] = depth + 1
        sp += 1
    return bounds[:n_nodes].copy(), child[:n_nodes].copy(), count[:n_nodes].copy(), order, max_depth


@jit
def _grow(a, size):
    out = np.empty(size, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@jit
def _grow_rows(a, fill):
    """``a`` (r, c) with twice the rows, the new ones set to ``fill``."""
    out = np.full((2 * a.shape[0], a.shape[1]), fill, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@pjit
def gather_triangles(vertices, faces, order, tri):
    """Triangle corner coordinates in leaf order: ``tri[i] = vertices[faces[order[i]]]``."""
    for i in prange(order.shape[0]):
        f = order[i]
        for c in range(3):
            v = faces[f, c]
            tri[i, 3 * c] = vertices[v, 0]
            tri[i, 3 * c + 1] = vertices[v, 1]
            tri[i, 3 * c + 2] = vertices[v, 2]


@jit
def collapse_wide(bounds, child, count):
    """Collapse a binary BVH into a ``WIDE``-wide one.

    A wide node starts from the two children of a binary node and opens the interior child of
    largest surface area (the one rays enter most often) until it has ``WIDE`` children or
    only leaves are left, so slots stay empty only where a subtree has fewer leaves.

    Parameters
    ----------
    bounds, child, count : binary tree arrays from :func:`build_bvh`.

    Returns
    -------
    boxes : (w, 6 * WIDE) float64
        Child boxes of each wide node, structure of arrays: ``xmin[WIDE], ymin[WIDE],
        zmin[WIDE], xmax[WIDE], ymax[WIDE], zmax[WIDE]``; empty slots hold +inf.
    ref : (w, WIDE) int64
        Per child slot: the wide node index (interior child) or the first triangle (leaf).
    cnt : (w, WIDE) int64
        Per child slot: 0 for an interior child, the triangle count of a leaf, -1 for an empty
        slot (empty slots come last).
    """
    m = bounds.shape[0]
    # Wide nodes are far fewer than binary ones (about m / 8): start small and grow.
    cap = max(16, m // 8)
    boxes = np.full((cap, 6 * WIDE), np.inf)
    ref = np.zeros((cap, WIDE), dtype=np.int64)
    cnt = np.full((cap, WIDE), -1, dtype=np.int64)
    stack_b = np.empty(max(1, m), dtype=np.int64)
    stack_w = np.empty(max(1, m), dtype=np.int64)
    kids = np.empty(WIDE, dtype=np.int64)
    stack_b[0] = 0
    stack_w[0] = 0
    sp = 1
    n_wide = 1
    while sp > 0:
        sp -= 1
        b = stack_b[sp]
        w = stack_w[sp]
        if count[b] > 0:  # a tree that is a single leaf
            kids[0] = b
            nk = 1
        else:
            kids[0] = child[b]
            kids[1] = child[b] + 1
            nk = 2
            while nk < WIDE:
                pick = -1
                best = -1.0
                for k in range(nk):
                    c = kids[k]
                    if count[c] == 0:
                        a = _area(bounds[c, 0], bounds[c, 1], bounds[c, 2], bounds[c, 3],
                                  bounds[c, 4], bounds[c, 5])
                        if a > best:
                            best = a
                            pick = k
                if pick < 0:
                    break
                c = kids[pick]
                kids[pick] = child[c]
                kids[nk] = child[c] + 1
                nk += 1
        for k in range(nk):
            c = kids[k]
            for a in range(6):
                boxes[w, WIDE * a + k] = bounds[c, a]
            if count[c] > 0:
                ref[w, k] = child[c]
                cnt[w, k] = count[c]
            else:
                if n_wide == boxes.shape[0]:
                    boxes = _grow_rows(boxes, np.inf)
                    ref = _grow_rows(ref, 0)
                    cnt = _grow_rows(cnt, -1)
                ref[w, k] = n_wide
                cnt[w, k] = 0
                stack_b[sp] = c
                stack_w[sp] = n_wide
                sp += 1
                n_wide += 1
    return boxes[:n_wide].copy(), ref[:n_wide].copy(), cnt[:n_wide].copy()
