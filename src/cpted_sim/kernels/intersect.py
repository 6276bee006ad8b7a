"""Watertight ray-triangle and ray-box tests (Woop, Benthin and Wald 2013).

All functions work on scalars so that traversal kernels can inline them. The triangle test is
compiled without fastmath: edge functions of a shared edge are then exact negatives of each
other, so a ray through an edge or a vertex of a closed mesh always hits at least one triangle.
``exact_jit`` sets ``fastmath=False`` explicitly; left unset, Numba would compile these with the
fastmath flags of the first fastmath kernel that calls them, and rays leaked through edges
(``tests/geometry/test_robustness.py``).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._jit import exact_jit, ijit

TINY = 1e-300


@intrinsic
def fence(typingctx, x):
    """``x`` unchanged, behind ``llvm.arithmetic.fence``: no contraction or reassociation across.

    The watertight edge functions ``u = cx*by - cy*bx`` are exact negatives on a shared edge
    only if both products are rounded before the subtraction. LLVM may fuse a product into
    the subtraction (an FMA) once the test is inlined into a caller, which can make both
    triangles of an edge reject a ray through it; fencing each product forbids that. The
    shear and the hit distance are fenced too, so a ray gets the same ``t`` whichever kernel
    the test is inlined into.
    """
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        (val,) = args
        fnty = ir.FunctionType(val.type, [val.type])
        fn = builder.module.declare_intrinsic("llvm.arithmetic.fence", [val.type], fnty)
        return builder.call(fn, [val])

    return x(x), codegen


@intrinsic
def prefetch(typingctx, arr, row, col):
    """Hint the CPU to load the cache line holding ``arr[row, col]`` (2-D C array); no effect."""
    if not (isinstance(arr, types.Array) and arr.ndim == 2):
        return None

    def codegen(context, builder, signature, args):
        arrty, rowty, colty = signature.args
        ary = context.make_array(arrty)(context, builder, args[0])
        i = context.cast(builder, args[1], rowty, types.intp)
        j = context.cast(builder, args[2], colty, types.intp)
        ptr = cgutils.get_item_pointer(context, builder, arrty, ary, [i, j])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [ptr.type], fnty)
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.none(arr, row, col), codegen


@intrinsic
def lowest_bit(typingctx, x):
    """Index of the lowest set bit of the integer ``x`` (``x`` must not be 0)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.IntType(1)(1))

    return x(x), codegen


@exact_jit
def ray_shear(dx, dy, dz):
    """Per-ray constants of the watertight test.

    Returns ``(kx, ky, kz, sx, sy, sz)``: the axis permutation that makes ``kz`` the dominant
    direction axis (with winding preserved) and the shear that maps the ray onto +z.
    """
    ax = abs(dx)
    ay = abs(dy)
    az = abs(dz)
    if ax > ay and ax > az:
        kz = 0
    elif ay > az:
        kz = 1
    else:
        kz = 2
    kx = kz + 1
    if kx == 3:
        kx = 0
    ky = kx + 1
    if ky == 3:
        ky = 0
    d = (dx, dy, dz)
    dkz = d[kz]
    if dkz < 0.0:
        kx, ky = ky, kx
    sx = d[kx] / dkz
    sy = d[ky] / dkz
    sz = 1.0 / dkz
    return kx, ky, kz, sx, sy, sz


@exact_jit
def triangle_hit(pax, pay, paz, pbx, pby, pbz, pcx, pcy, pcz, okx, oky, okz, sx, sy, sz):
    """Watertight test on triangle corners and a ray origin already permuted to ``kx, ky, kz``.

    The one copy of the watertight arithmetic. Scalars only (no arrays), so calls from inlined
    traversal code cost no reference counting; exact (no fastmath, products fenced). Returns
    the ray parameter ``t`` (in units of the direction's length) or ``inf``; hits exactly on
    an edge or vertex count.
    """
    ax_ = pax - okx
    ay_ = pay - oky
    az_ = paz - okz
    bx_ = pbx - okx
    by_ = pby - oky
    bz_ = pbz - okz
    cx_ = pcx - okx
    cy_ = pcy - oky
    cz_ = pcz - okz
    ax = ax_ - fence(sx * az_)
    ay = ay_ - fence(sy * az_)
    bx = bx_ - fence(sx * bz_)
    by = by_ - fence(sy * bz_)
    cx = cx_ - fence(sx * cz_)
    cy = cy_ - fence(sy * cz_)
    u = fence(cx * by) - fence(cy * bx)
    v = fence(ax * cy) - fence(ay * cx)
    w = fence(bx * ay) - fence(by * ax)
    # Branch-free: which side of an edge a ray passes is unpredictable, a mispredicted
    # branch costs more than the division.
    outside = ((u < 0.0) | (v < 0.0) | (w < 0.0)) & ((u > 0.0) | (v > 0.0) | (w > 0.0))
    det = u + v + w
    t = (fence(u * sz * az_) + fence(v * sz * bz_) + fence(w * sz * cz_)) / det
    return np.inf if outside | (det == 0.0) else t


@ijit
def triangle_t_sheared(tri, i, okx, oky, okz, kx, ky, kz, sx, sy, sz):
    """:func:`triangle_hit` on row ``i`` of ``tri`` ((n, 9) corners), origin permuted to
    ``(o[kx], o[ky], o[kz])`` (:func:`ray_shear` gives ``kx, ky, kz, sx, sy, sz``).

    Inlined into traversal loops; the subtractions and the test run in :func:`triangle_hit`
    (exact), whichever kernel this is inlined into.
    """
    return triangle_hit(tri[i, kx], tri[i, ky], tri[i, kz], tri[i, 3 + kx], tri[i, 3 + ky],
                        tri[i, 3 + kz], tri[i, 6 + kx], tri[i, 6 + ky], tri[i, 6 + kz],
                        okx, oky, okz, sx, sy, sz)


@intrinsic
def child_entries(typingctx, nodes, w, ox, oy, oz, ix, iy, iz, tmin, tmax, out, at):
    """Entry parameters into the eight child boxes of wide node ``w``; returns their hit mask.

    ``nodes`` is ``(m, 64)`` float32, 64-byte aligned rows holding the children's boxes as
    structure of arrays (``xmin[8], ymin[8], zmin[8], xmax[8], ymax[8], zmax[8]``), rounded
    outward. Writes the eight entry parameters ``max(tmin, near slabs)`` to
    ``out[at:at+8]`` (``inf`` where the ray misses the box or its part in ``[tmin, tmax]``)
    and returns an int64 whose bit ``k`` is set where child ``k`` is entered. Empty slots hold
    boxes at +inf, which no ray enters.

    Emitted as LLVM vector code (``<8 x float>`` loads widened to ``<8 x double>``, the slabs
    in float64 with IEEE selects for min and max) rather than written in Python: the
    vectorisers did not reliably find the eight-lane pattern inside every traversal loop,
    and an eight-fold written-out version made Numba's IR inliner, which runs at every
    call site, triple the cold compile time.
    """
    sig = types.int64(nodes, w, ox, oy, oz, ix, iy, iz, tmin, tmax, out, at)

    def codegen(context, builder, signature, args):
        nty, wty = signature.args[0], signature.args[1]
        oty, aty = signature.args[10], signature.args[11]
        arr = context.make_array(nty)(context, builder, args[0])
        row = context.cast(builder, args[1], wty, types.intp)
        zero = context.get_constant(types.intp, 0)
        base = cgutils.get_item_pointer(context, builder, nty, arr, [row, zero])
        f32, f64 = ir.FloatType(), ir.DoubleType()
        v8f, v8d = ir.VectorType(f32, 8), ir.VectorType(f64, 8)

        def plane(i):
            p = builder.gep(base, [ir.Constant(ir.IntType(64), 8 * i)])
            v = builder.load(builder.bitcast(p, v8f.as_pointer()), align=32)
            return builder.fpext(v, v8d)

        def splat(x):
            vec = ir.Constant(v8d, [ir.Constant(f64, 0.0)] * 8)
            for k in range(8):
                vec = builder.insert_element(vec, x, ir.Constant(ir.IntType(32), k))
            return vec

        def vmin(a, b):  # ``a if a < b else b``
            return builder.select(builder.fcmp_ordered("<", a, b), a, b)

        def vmax(a, b):  # ``a if a > b else b``
            return builder.select(builder.fcmp_ordered(">", a, b), a, b)

        o = [splat(args[2]), splat(args[3]), splat(args[4])]
        inv = [splat(args[5]), splat(args[6]), splat(args[7])]
        lo = hi = None
        for axis in range(3):
            t0 = builder.fmul(builder.fsub(plane(axis), o[axis]), inv[axis])
            t1 = builder.fmul(builder.fsub(plane(3 + axis), o[axis]), inv[axis])
            near, far = vmin(t0, t1), vmax(t0, t1)
            lo = near if lo is None else vmax(lo, near)
            hi = far if hi is None else vmin(hi, far)
        lo = vmax(lo, splat(args[8]))
        hi = vmin(hi, splat(args[9]))
        inside = builder.fcmp_ordered("<=", lo, hi)
        inf = splat(ir.Constant(f64, float("inf")))
        entry = builder.select(inside, lo, inf)
        outarr = context.make_array(oty)(context, builder, args[10])
        start = context.cast(builder, args[11], aty, types.intp)
        dst = cgutils.get_item_pointer(context, builder, oty, outarr, [start])
        builder.store(entry, builder.bitcast(dst, v8d.as_pointer()), align=8)
        bits = builder.bitcast(builder.fcmp_ordered("<", entry, inf), ir.IntType(8))
        return builder.zext(bits, ir.IntType(64))

    return sig, codegen


if numba.config.DISABLE_JIT:  # NUMBA_DISABLE_JIT=1: intrinsics have no Python body
    from ._plain import child_entries, fence, lowest_bit, prefetch  # noqa: F811


@ijit
def safe_inverse(dx, dy, dz):
    """Inverse direction with zero components replaced by a huge finite value (no NaN)."""
    ix = 1.0 / dx if abs(dx) > TINY else (1.0 / TINY if dx >= 0.0 else -1.0 / TINY)
    iy = 1.0 / dy if abs(dy) > TINY else (1.0 / TINY if dy >= 0.0 else -1.0 / TINY)
    iz = 1.0 / dz if abs(dz) > TINY else (1.0 / TINY if dz >= 0.0 else -1.0 / TINY)
    return ix, iy, iz
