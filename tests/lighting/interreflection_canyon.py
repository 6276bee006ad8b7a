"""A street canyon (0.2 ground, 0.4 walls) lit by isotropic sources, in cpted_sim and Radiance.

Shared by the interreflection tests and benchmark: the scene, its calculation points and an
``rtrace`` runner (binaries of the ``pyradiance`` package, test extra).
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from cpted_sim.geometry.grid import CalculationGrid
from cpted_sim.geometry.scene import Material, Scene
from cpted_sim.photometry import Luminaire, isotropic

LENGTH, WIDTH, HEIGHT = 60.0, 12.0, 12.0
GROUND_RHO, WALL_RHO = 0.2, 0.4
LAMPS = ((-10.0, -4.0, 6.0), (10.0, 4.0, 6.0))
LAMP_FLUX = 5000.0  # [lm] each
LAMP_RADIUS = 0.02  # [m], the Radiance light sphere
# Radiance: illuminance [lx] = 179 lm/W x irradiance [W/m2] for grey (R = G = B) values.
WHITE_EFFICACY = 179.0


def _quad(a, b, c, d):
    v = np.array([a, b, c, d], dtype=np.float64)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def canyon_scene(ground_rho: float = GROUND_RHO, wall_rho: float = WALL_RHO) -> Scene:
    """Ground between two facing walls; normals point into the street."""
    x0, x1, y0, y1 = -LENGTH / 2, LENGTH / 2, -WIDTH / 2, WIDTH / 2
    quads = {
        "ground": _quad((x0, y0, 0), (x1, y0, 0), (x1, y1, 0), (x0, y1, 0)),
        "wall_south": _quad((x0, y0, 0), (x0, y0, HEIGHT), (x1, y0, HEIGHT), (x1, y0, 0)),
        "wall_north": _quad((x0, y1, 0), (x1, y1, 0), (x1, y1, HEIGHT), (x0, y1, HEIGHT)),
    }
    verts, faces, groups = [], [], {}
    for k, (name, (v, f)) in enumerate(quads.items()):
        groups[name] = np.array([2 * k, 2 * k + 1])
        faces.append(f + 4 * k)
        verts.append(v)
    mats = {"ground": Material(ground_rho), "wall_south": Material(wall_rho),
            "wall_north": Material(wall_rho)}
    return Scene.from_arrays(np.vstack(verts), np.vstack(faces), groups, materials=mats,
                             origin=(0.0, 0.0, 0.0), name="canyon")


def canyon_luminaires() -> list[Luminaire]:
    """The two isotropic sources."""
    return [Luminaire(isotropic(flux=LAMP_FLUX), p, maintenance_factor=1.0) for p in LAMPS]


def canyon_grid(spacing: float = 1.0) -> CalculationGrid:
    """Horizontal points 1 mm above the street, inside the walls and 10 m from its ends."""
    return CalculationGrid.regular(-20.0, -WIDTH / 2 + 0.25, 20.0, WIDTH / 2 - 0.25, spacing,
                                   height=0.001, kind="horizontal", name="canyon street")


def radiance_files(scene: Scene, folder: Path) -> Path:
    """Write the scene and sources as a Radiance description; returns the octree."""
    lines = []
    for g in scene.groups:
        rho = scene.materials[g].reflectance
        lines.append(f"void plastic m_{g}\n0\n0\n5 {rho} {rho} {rho} 0 0\n")
    for i, f in enumerate(scene.faces):
        g = scene.groups[scene.face_group[i]]
        pts = scene.to_world(scene.vertices[f])
        coords = " ".join(f"{c:.6f}" for c in pts.ravel())
        lines.append(f"m_{g} polygon t{i}\n0\n0\n9 {coords}\n")
    # An isotropic sphere source of flux F: radiance L = F / (4 pi^2 r^2) [W/sr/m2 x 179].
    radiance = LAMP_FLUX / (4.0 * math.pi ** 2 * LAMP_RADIUS ** 2) / WHITE_EFFICACY
    lines.append(f"void light bulb\n0\n0\n3 {radiance} {radiance} {radiance}\n")
    for i, p in enumerate(LAMPS):
        lines.append(f"bulb sphere lamp{i}\n0\n0\n4 {p[0]} {p[1]} {p[2]} {LAMP_RADIUS}\n")
    rad = folder / "canyon.rad"
    rad.write_text("".join(lines))
    oct_path = folder / "canyon.oct"
    with open(oct_path, "wb") as out:
        subprocess.run([str(radiance_bin("oconv")), str(rad)], stdout=out, check=True)
    return oct_path


WHY_NO_RADIANCE = ("Radiance comparison needs pyradiance with its rtrace binary (test extra: "
                   "pip install -e .[test])")


def have_radiance() -> bool:
    """Whether pyradiance and its rtrace binary are available."""
    try:
        return radiance_bin("rtrace").exists()
    except ImportError:
        return False


def radiance_bin(name: str) -> Path:
    """Path of a Radiance binary shipped with pyradiance."""
    import pyradiance

    return Path(pyradiance.__file__).parent / "bin" / name


def rtrace_illuminance(scene: Scene, points, normals, options, *, processes: int = 1,
                       folder: Path | None = None) -> tuple[np.ndarray, float]:
    """Illuminance [lx] at points from ``rtrace -I`` with these options; and the seconds taken."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(folder or tmp)
        oct_path = radiance_files(scene, folder)
        rays = np.hstack([points, normals])
        text = "\n".join(" ".join(f"{x:.6f}" for x in r) for r in rays) + "\n"
        cmd = [str(radiance_bin("rtrace")), "-h", "-I", "-ov", *options, "-n", str(processes),
               str(oct_path)]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, input=text.encode(), capture_output=True, check=True)
        seconds = time.perf_counter() - t0
    rgb = np.array(res.stdout.split(), dtype=np.float64).reshape(-1, 3)
    return WHITE_EFFICACY * rgb.mean(axis=1), seconds
