"""Radiance (through pyradiance's binaries) as an independent oracle for tests and benchmarks.

A cpted_sim scene becomes an OBJ file packed by ``obj2mesh`` (one opaque grey plastic for
every face); each distinct intensity distribution is converted by ``ies2rad -dm`` (metres):
a distribution read from a manufacturer's IES file goes to ``ies2rad`` as that very file, so
Radiance reads it with its own parser and never through ours; a built-in distribution (no
file) is first written by ``IntensityDistribution.to_ies``. Every source is a sphere of 1 mm
radius (``ies2rad -i``, the file's luminous opening ignored), the point source we model; each
luminaire is
placed by ``xform -rz spin -rx tilt -rz azimuth -t x y z``, the same rotation order as
``Luminaire.local_to_world`` (ies2rad's frame is ours: theta from -Z, phi from +X towards +Y).
``rtrace -I -ab 0`` returns irradiance; Radiance's white light has luminous efficacy 179 lm/W,
so illuminance [lx] = 179 (0.265 R + 0.670 G + 0.065 B).

Everything is written in scene-local coordinates; only the opaque part of the scene is
converted (partly transparent materials are not modelled here).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

WHITE_EFFICACY = 179.0  # lm/W, Radiance's luminous efficacy of white light

try:
    import pyradiance as _pr

    BIN = Path(os.path.dirname(_pr.__file__)) / "bin"
    LIB = Path(os.path.dirname(_pr.__file__)) / "lib"
    HAVE_RADIANCE = (BIN / "rtrace").exists()
    WHY_NOT = "" if HAVE_RADIANCE else f"pyradiance has no rtrace binary in {BIN}"
except ImportError as exc:  # pragma: no cover - depends on the environment
    BIN = LIB = None
    HAVE_RADIANCE = False
    WHY_NOT = f"pyradiance is not importable ({exc}); install the test extra: pip install -e .[test]"

ACCURATE = ["-ab", "0", "-ds", "0", "-dj", "0", "-dt", "0", "-dc", "1", "-dr", "0", "-lr", "0",
            "-st", "1"]


def _env():
    env = dict(os.environ)
    env["RAYPATH"] = f"{LIB}{os.pathsep}."
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(args, cwd, stdin: bytes | None = None) -> bytes:
    """Run a Radiance binary from pyradiance's ``bin`` in ``cwd``; raise with its stderr."""
    exe = str(BIN / args[0])
    res = subprocess.run([exe, *map(str, args[1:])], cwd=cwd, input=stdin,
                         capture_output=True, env=_env())
    if res.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({res.returncode}): {res.stderr.decode()[-2000:]}")
    return res.stdout


def write_scene(scene, workdir: Path) -> Path:
    """Write the scene's triangles (local coordinates) as a Radiance mesh; returns the .rad."""
    workdir = Path(workdir)
    mat = workdir / "materials.rad"
    mat.write_text("void plastic grey\n0\n0\n5 0.2 0.2 0.2 0 0\n")
    obj = workdir / "scene.obj"
    with obj.open("w") as fh:
        fh.write("usemtl grey\n")
        np.savetxt(fh, scene.vertices, fmt="v %.9g %.9g %.9g")
        np.savetxt(fh, scene.faces + 1, fmt="f %d %d %d")
    run(["obj2mesh", "-a", mat.name, obj.name, "scene.rtm"], workdir)
    rad = workdir / "scene.rad"
    rad.write_text("void mesh scene\n1 scene.rtm\n0\n0\n")
    return rad


def ies_source(distribution, name: str, workdir: Path) -> Path:
    """The IES file ``ies2rad`` reads for ``distribution``: the manufacturer's own file when the
    distribution is that file as read (its ``source``, and not rescaled or otherwise changed
    since), else our export written to ``workdir``."""
    from cpted_sim import load_photometry

    src = distribution.source
    if src is not None and Path(src).suffix.lower() == ".ies" and Path(src).is_file():
        as_read = load_photometry(src)
        if all(np.array_equal(getattr(as_read, a), getattr(distribution, a))
               for a in ("c_angles", "gamma_angles", "candela")):
            return Path(src).resolve()
    path = Path(workdir) / f"{name}.ies"
    distribution.to_ies(path)
    return path


def _ies2rad(ies: Path, name: str, workdir: Path, multiplier: float = 1.0) -> None:
    # -i 0.001: a 1 mm sphere in place of the luminous opening the file declares (a point
    # source, as ours); -m: ies2rad's own multiplier (Radiance's -s is not photometric).
    args = ["ies2rad", "-dm", "-i", "0.001", "-o", name]
    if abs(multiplier - 1.0) > 1e-12:
        args[1:1] = ["-m", repr(multiplier)]
    run([*args, str(ies)], workdir)


def write_luminaires(luminaires, origin, workdir: Path) -> Path:
    """Write placed luminaires (via IES files and ies2rad) to ``lights.rad``.

    ``workdir / "sources.txt"`` lists, one a line, the IES file each ``ies2rad`` call read.
    """
    workdir = Path(workdir)
    names: dict[tuple[int, float], str] = {}
    read: list[str] = []
    lines = []
    for k, lum in enumerate(luminaires):
        scale = float(lum.maintenance_factor * lum.flux_scale)
        key = (id(lum.distribution), scale)
        if key not in names:
            name = f"dist{len(names)}"
            ies = ies_source(lum.distribution, name, workdir)
            _ies2rad(ies, name, workdir, scale)
            read.append(str(ies))
            names[key] = name
        x, y, z = (float(c) for c in np.asarray(lum.position, float) - np.asarray(origin, float))
        lines.append(f"!xform -n lum{k} -rz {float(lum.spin)!r} -rx {float(lum.tilt)!r} "
                     f"-rz {float(lum.azimuth)!r} "
                     f"-t {x!r} {y!r} {z!r} {names[key]}.rad")
    (workdir / "sources.txt").write_text("\n".join(read) + "\n")
    out = workdir / "lights.rad"
    out.write_text("\n".join(lines) + "\n")
    return out


def build_octree(scene, luminaires, workdir: Path) -> Path:
    """``oconv`` of materials, scene mesh and luminaires; returns the octree path."""
    workdir = Path(workdir)
    write_scene(scene, workdir)
    write_luminaires(luminaires, scene.origin, workdir)
    oct_bytes = run(["oconv", "materials.rad", "scene.rad", "lights.rad"], workdir)
    octree = workdir / "scene.oct"
    octree.write_bytes(oct_bytes)
    return octree


def rtrace_illuminance(octree: Path, points_local, normals, options=None, processes: int = 1):
    """Illuminance [lx] from ``rtrace -I`` at scene-local points with the given normals."""
    pts = np.column_stack([np.asarray(points_local, float), np.asarray(normals, float)])
    text = "\n".join(" ".join(f"{v:.9g}" for v in row) for row in pts) + "\n"
    opts = ACCURATE if options is None else list(options)
    args = ["rtrace", "-h", "-I", "-ov", *opts, "-n", str(processes), octree.name]
    out = run(args, octree.parent, stdin=text.encode())
    rgb = np.array(out.split(), dtype=np.float64).reshape(-1, 3)
    return WHITE_EFFICACY * (0.265 * rgb[:, 0] + 0.670 * rgb[:, 1] + 0.065 * rgb[:, 2])


def relative_errors(ours, theirs, floor: float = 1.0):
    """Relative differences ``|ours - theirs| / theirs`` on points where Radiance > ``floor``."""
    ours = np.asarray(ours, float)
    theirs = np.asarray(theirs, float)
    keep = theirs > floor
    return np.abs(ours[keep] - theirs[keep]) / theirs[keep]
