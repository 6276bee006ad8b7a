"""Binned surface-area-heuristic BVH build on flat arrays, in parallel.

The binary tree is built into flat arrays (docs/architecture.md §3): node boxes, for each
node either its left child (the right child is the next node) or its first primitive, and its
primitive count (0 for interior nodes). It is then collapsed straight into the 8-wide int32
node rows that traversal reads (:func:`collapse_wide`); the binary tree is not kept.

Parallel build (orchestrated by ``geometry.bvh.binary_tree`` on Python threads, these kernels
being serial and releasing the GIL): the nodes of the upper tree are split level by level,
the first levels' primitives bounded and binned in chunks (:func:`range_box`,
:func:`bin_range`, then :func:`split_or_leaf`), the next levels' nodes each whole
(:func:`split_node`); the subtrees below are independent tasks (:func:`build_subtree`), each
numbering its nodes in its own range. Every split decision is the same as a serial build's
(bins are exact min/max and counts, whatever the chunking), so the tree is the same whatever
the number of threads; only the binary node numbering differs, which the collapse does not
see. The triangle boxes and the gather into leaf order run in one chunk per thread the same
way (:func:`triangle_boxes`, :func:`gather_triangles` take a row range). No ``parallel=True``
kernel here: each costs far longer to compile than a serial one (a cold start compiles them
all), and threads that wait on futures hold up nobody on a busy machine.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

WIDE = 8  # children per node of the traversal tree (see collapse_wide)
REF = 6 * WIDE  # columns of a wide node's int32 row: child node or first triangle per slot,
CNT = 7 * WIDE  # then triangle count per slot (0 interior child, -1 empty)
MAX_DEPTH = 120  # a node this deep becomes a leaf whatever its size


@jit
def triangle_boxes(vertices, faces, lo, hi, centroid, start, end):
    """Bounding boxes and box centroids of the triangles ``start:end``."""
    for f in range(start, end):
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
def range_box(lo, hi, centroid, order, start, end, box):
    """``box[0:6]`` = bounds of the primitives ``order[start:end]``, ``box[6:12]`` of their
    centroids (lower corner, then upper)."""
    for k in range(3):
        box[k] = np.inf
        box[3 + k] = -np.inf
        box[6 + k] = np.inf
        box[9 + k] = -np.inf
    for j in range(start, end):
        p = order[j]
        for k in range(3):
            box[k] = min(box[k], lo[p, k])
            box[3 + k] = max(box[3 + k], hi[p, k])
            box[6 + k] = min(box[6 + k], centroid[p, k])
            box[9 + k] = max(box[9 + k], centroid[p, k])


@jit
def clear_bins(bin_count, bin_box):
    bin_count[:, :] = 0
    for a in range(3):
        for k in range(bin_count.shape[1]):
            for c in range(3):
                bin_box[a, k, c] = np.inf
                bin_box[a, k, 3 + c] = -np.inf


@jit
def bin_scale(box, n_bins, scale):
    """Bins per metre of centroid along each axis (0 along an axis of no extent)."""
    for a in range(3):
        ext = box[9 + a] - box[6 + a]
        scale[a] = n_bins * (1.0 - 1e-9) / ext if ext > 0.0 else 0.0


@jit
def _bin_of(centroid, p, a, cmin, scale, n_bins):
    k = int((centroid[p, a] - cmin) * scale)
    return n_bins - 1 if k >= n_bins else k


@jit
def bin_range(lo, hi, centroid, order, start, end, box, scale, bin_count, bin_box):
    """Add the primitives ``order[start:end]`` to the bins along all three axes."""
    n_bins = bin_count.shape[1]
    for j in range(start, end):
        p = order[j]
        for a in range(3):
            k = _bin_of(centroid, p, a, box[6 + a], scale[a], n_bins)
            bin_count[a, k] += 1
            for c in range(3):
                bin_box[a, k, c] = min(bin_box[a, k, c], lo[p, c])
                bin_box[a, k, 3 + c] = max(bin_box[a, k, 3 + c], hi[p, c])


@jit
def _best_split(box, bin_count, bin_box, right_area, right_count):
    """Cheapest SAH split of the bins: (cost, axis, last bin on the left); axis -1 if none."""
    n_bins = bin_count.shape[1]
    best_cost = np.inf
    best_axis = -1
    best_split = -1
    for a in range(3):
        if box[9 + a] - box[6 + a] <= 0.0:
            continue
        r0 = r1 = r2 = np.inf
        r3 = r4 = r5 = -np.inf
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
        l0 = l1 = l2 = np.inf
        l3 = l4 = l5 = -np.inf
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
    return best_cost, best_axis, best_split


@jit
def _partition(centroid, order, start, end, box, scale, axis, split, n_bins):
    """Reorder ``order[start:end]`` so the primitives in bins ``<= split`` come first; the
    index of the first one on the right."""
    i = start
    j = end - 1
    cmin = box[6 + axis]
    s = scale[axis]
    while i <= j:
        if _bin_of(centroid, order[i], axis, cmin, s, n_bins) <= split:
            i += 1
        else:
            tmp = order[i]
            order[i] = order[j]
            order[j] = tmp
            j -= 1
    return i


@jit
def _set_node(node, box, pad, bounds):
    for k in range(3):
        bounds[node, k] = box[k] - pad
        bounds[node, 3 + k] = box[3 + k] + pad


@jit
def split_or_leaf(centroid, order, start, end, max_leaf, box, scale, bin_count, bin_box,
                   right_area, right_count):
    """After binning: the first primitive of the right child, or -1 for a leaf.

    A node of at most ``max_leaf`` primitives stays a leaf unless the SAH split is cheaper
    (traversal cost 1, intersection cost 1 per primitive, relative to the node's area); a
    split that leaves one side empty falls back to the median.
    """
    nprim = end - start
    cost, axis, split = _best_split(box, bin_count, bin_box, right_area, right_count)
    node_area = _area(box[0], box[1], box[2], box[3], box[4], box[5])
    if nprim <= max_leaf and (axis < 0 or nprim * node_area <= node_area + cost):
        return -1
    mid = start
    if axis >= 0:
        mid = _partition(centroid, order, start, end, box, scale, axis, split,
                         bin_count.shape[1])
    if mid <= start or mid >= end:
        if nprim <= max_leaf:
            return -1
        mid = (start + end) // 2
    return mid


@jit
def build_subtree(lo, hi, centroid, order, root, start, end, depth, first_free, max_leaf,
                   n_bins, pad, bounds, child, count):
    """Build the subtree of node ``root`` over ``order[start:end]`` (serial).

    Its other nodes take the indices from ``first_free`` on (at most ``2 * (end - start) - 2``
    of them). Returns the first index not used and the depth of its deepest leaf.
    """
    # node, start, end, depth. Never more than MAX_DEPTH + 1 rows: one pending right child per
    # level below ``depth`` plus the two just pushed, and no node at MAX_DEPTH is split
    st = np.empty((MAX_DEPTH + 2, 4), dtype=np.int64)
    st[0, 0] = root
    st[0, 1] = start
    st[0, 2] = end
    st[0, 3] = depth
    sp = 1
    nxt = first_free
    max_depth = depth
    box = np.empty(12)
    scale = np.empty(3)
    bin_count = np.empty((3, n_bins), dtype=np.int64)
    bin_box = np.empty((3, n_bins, 6))
    right_area = np.empty(n_bins)
    right_count = np.empty(n_bins, dtype=np.int64)
    while sp > 0:
        sp -= 1
        node, s, e, d = st[sp, 0], st[sp, 1], st[sp, 2], st[sp, 3]
        max_depth = max(max_depth, d)
        range_box(lo, hi, centroid, order, s, e, box)
        _set_node(node, box, pad, bounds)
        mid = -1
        if e - s > 1 and d < MAX_DEPTH:
            bin_scale(box, n_bins, scale)
            clear_bins(bin_count, bin_box)
            bin_range(lo, hi, centroid, order, s, e, box, scale, bin_count, bin_box)
            mid = split_or_leaf(centroid, order, s, e, max_leaf, box, scale, bin_count,
                                 bin_box, right_area, right_count)
        if mid < 0:
            child[node] = s
            count[node] = e - s
            continue
        child[node] = nxt
        count[node] = 0
        # the right child is pushed first, so the left one is built next (depth first)
        st[sp, 0], st[sp, 1], st[sp, 2], st[sp, 3] = nxt + 1, mid, e, d + 1
        st[sp + 1, 0], st[sp + 1, 1], st[sp + 1, 2], st[sp + 1, 3] = nxt, s, mid, d + 1
        sp += 2
        nxt += 2
    return nxt, max_depth


@jit
def split_node(lo, hi, centroid, order, node, s, e, max_leaf, n_bins, pad, bounds):
    """Bound node ``node`` over ``order[s:e]``, bin it and split it (serial): the first
    primitive of its right child, or -1 for a leaf (see :func:`split_or_leaf`)."""
    box = np.empty(12)
    scale = np.empty(3)
    bin_count = np.empty((3, n_bins), dtype=np.int64)
    bin_box = np.empty((3, n_bins, 6))
    range_box(lo, hi, centroid, order, s, e, box)
    _set_node(node, box, pad, bounds)
    bin_scale(box, n_bins, scale)
    clear_bins(bin_count, bin_box)
    bin_range(lo, hi, centroid, order, s, e, box, scale, bin_count, bin_box)
    return split_or_leaf(centroid, order, s, e, max_leaf, box, scale, bin_count, bin_box,
                          np.empty(n_bins), np.empty(n_bins, dtype=np.int64))


@jit
def gather_triangles(vertices, faces, order, tri, start, end):
    """Triangle corner coordinates in leaf order, rows ``start:end``:
    ``tri[i] = vertices[faces[order[i]]]``."""
    for i in range(start, end):
        f = order[i]
        for c in range(3):
            v = faces[f, c]
            tri[i, 3 * c] = vertices[v, 0]
            tri[i, 3 * c + 1] = vertices[v, 1]
            tri[i, 3 * c + 2] = vertices[v, 2]


@jit
def _down32(x):
    """The largest float32 not above ``x``."""
    f = np.float32(x)
    if np.float64(f) > x:
        f = np.nextafter(f, np.float32(-np.inf))
    return f


@jit
def _up32(x):
    """The smallest float32 not below ``x``."""
    f = np.float32(x)
    if np.float64(f) < x:
        f = np.nextafter(f, np.float32(np.inf))
    return f


@jit
def _open_node(b, bounds, child, count, kids):
    """The up to ``WIDE`` binary nodes that become the children of the wide node made from
    binary node ``b``: its two children, then repeatedly the two children of the interior
    one of largest surface area, while there is room. Returns how many."""
    if count[b] > 0:  # a tree that is a single leaf
        kids[0] = b
        return 1
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
    return nk


@jit
def collapse_wide(bounds, child, count, links):
    """Collapse a binary BVH into ``WIDE``-wide node rows; the number of rows written.

    A wide node starts from the two children of a binary node and opens the interior child of
    largest surface area (the one rays enter most often) until it has ``WIDE`` children or
    only leaves are left, so slots stay empty only where a subtree has fewer leaves.

    Parameters
    ----------
    bounds, child, count : binary tree arrays (:func:`build_top`, :func:`build_tasks`).
    links : (w, 8 * WIDE) int32
        Output, with at least as many rows as the binary tree has interior nodes (plus one).
        Row ``i`` read as float32 holds in columns ``0 .. 6 * WIDE - 1`` the boxes of its
        children, structure of arrays ``xmin[WIDE], ymin[WIDE], zmin[WIDE], xmax[WIDE],
        ymax[WIDE], zmax[WIDE]``, rounded outward to float32 (empty slots +inf); columns
        ``6 * WIDE ..`` per child the wide node index (interior child) or the first triangle
        (leaf); columns ``7 * WIDE ..`` 0 for an interior child, the triangle count of a leaf,
        -1 for an empty slot (empty slots come last).
    """
    fbox = links.view(np.float32)
    # at most WIDE - 1 pending children per wide level (no deeper than the binary tree,
    # MAX_DEPTH + 1 levels) plus the WIDE just pushed
    stack_b = np.empty(WIDE * (MAX_DEPTH + 2), dtype=np.int64)
    stack_w = np.empty(WIDE * (MAX_DEPTH + 2), dtype=np.int64)
    kids = np.empty(WIDE, dtype=np.int64)
    stack_b[0] = 0
    stack_w[0] = 0
    sp = 1
    n_wide = 1
    while sp > 0:
        sp -= 1
        b = stack_b[sp]
        w = stack_w[sp]
        nk = _open_node(b, bounds, child, count, kids)
        for k in range(WIDE):
            if k >= nk:
                for a in range(6):
                    fbox[w, WIDE * a + k] = np.inf
                links[w, REF + k] = 0
                links[w, CNT + k] = -1
                continue
            c = kids[k]
            for a in range(3):
                fbox[w, WIDE * a + k] = _down32(bounds[c, a])
                fbox[w, WIDE * (3 + a) + k] = _up32(bounds[c, 3 + a])
            if count[c] > 0:
                links[w, REF + k] = child[c]
                links[w, CNT + k] = count[c]
            else:
                links[w, REF + k] = n_wide
                links[w, CNT + k] = 0
                stack_b[sp] = c
                stack_w[sp] = n_wide
                sp += 1
                n_wide += 1
    return n_wide
