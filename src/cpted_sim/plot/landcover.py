"""What the scene's faces are on a map: roads, pavements, buildings, vegetation, water.

Every face gets one land-cover class from its group (the mesh group, OBJ material or
CityJSON object type) and its material's tags, so that every map draws the city in the same
quiet colours (:data:`cpted_sim.plot.style.LAND_COVER_STYLE`).

The rule, first match wins:

1. a material tag that names a class (``"road"``, ``"pavement"``, ``"sidewalk"``,
   ``"building"``, ``"vegetation"``, ``"hedge"``, ``"tree"``, ``"water"``, ``"grass"``,
   ``"ground"``);
2. a word of the group name (split at anything but letters and at lower-to-upper case
   changes, so ``"WaterBody"`` is *water body*, plural ``s`` ignored) from one of the word
   lists below, checked in the order vegetation, water, pavement, road, grass, ground,
   building (``"Building/RoofSurface"`` is a building, ``"TerrainWall"`` ground);
3. the fallback: a face that faces up or down (``|n_z| > 0.7``) within ``ground_tolerance``
   of the scene's lowest point is open ground (not filled), any other face is part of a
   building. This also holds for faces of a building group (a floor slab, a CityJSON
   ``GroundSurface``).

On the map, ground classes (road, pavement, water, grass) are filled from their up-facing
faces; their steep faces (the kerb walls of a 3dfier model) are left out. Buildings are drawn as
roof fills and wall lines, vegetation as a translucent green over the values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "LAND_COVER_CLASSES",
    "CLASS_WORDS",
    "VEGETATION_WORDS",
    "GROUND_WORDS",
    "group_classes",
    "face_classes",
    "building_outlines",
    "vegetation_outlines",
    "ground_fills",
]

#: Land-cover classes, in drawing order of the map legend.
LAND_COVER_CLASSES = ("road", "pavement", "grass", "water", "building", "vegetation", "ground")

#: Words of group names (lower case) that name each class; see the module docstring.
CLASS_WORDS = {
    "vegetation": ("tree", "hedge", "shrub", "bush", "vegetation", "canopy", "crown", "forest",
                   "plant", "plantcover", "solitaryvegetationobject", "foliage"),
    "water": ("water", "waterbody", "canal", "river", "pond", "lake", "sea", "gracht",
              "waterway", "stream"),
    "pavement": ("sidewalk", "pavement", "footway", "footpath", "path", "pedestrian", "plaza",
                 "square", "voetpad", "trottoir", "stoep", "walkway", "cycleway", "fietspad",
                 "voetgangersgebied"),
    "road": ("road", "street", "carriageway", "rijbaan", "lane", "parking", "parkeervlak",
             "driveway", "highway", "asphalt", "weg", "wegdeel", "bridge", "brug"),
    "grass": ("grass", "lawn", "garden", "verge", "green", "meadow", "berm"),
    "building": ("building", "house", "roof", "wall", "block", "facade", "underpass",
                 "window", "door", "gebouw", "pand"),
    "ground": ("ground", "terrain", "tinrelief", "relief", "landuse", "floor",
               "soil", "bare"),
}

#: Tags of a material that set its class (synonyms map to the class).
CLASS_TAGS = {"road": "road", "street": "road", "pavement": "pavement", "sidewalk": "pavement",
              "path": "pavement", "building": "building", "vegetation": "vegetation",
              "hedge": "vegetation", "tree": "vegetation", "water": "water", "grass": "grass",
              "ground": "ground", "terrain": "ground"}

#: Kept for callers of :mod:`cpted_sim.plot.maps`: the vegetation words.
VEGETATION_WORDS = CLASS_WORDS["vegetation"]
#: Words of open ground (every ground class).
GROUND_WORDS = (CLASS_WORDS["road"] + CLASS_WORDS["pavement"] + CLASS_WORDS["grass"]
                + CLASS_WORDS["water"] + CLASS_WORDS["ground"])

_ORDER = ("vegetation", "water", "pavement", "road", "grass", "ground", "building")
_GROUND_CLASSES = ("road", "pavement", "grass", "water", "ground")


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    toks = [t for t in re.split(r"[^a-z]+", spaced.lower()) if t]
    joined = "".join(toks)
    return toks + [t.rstrip("s") for t in toks] + [joined]


def _class_of(name: str, tags) -> str | None:
    for t in tags or ():
        c = CLASS_TAGS.get(str(t).lower())
        if c is not None:
            return c
    words = set(_words(name))
    for c in _ORDER:
        if words & set(CLASS_WORDS[c]):
            return c
    return None


def group_classes(scene, *, ground_groups: Sequence[str] = ()) -> list[str | None]:
    """The land-cover class of each group of ``scene`` (None: decided face by face).

    ``ground_groups`` are open ground whatever their name.
    """
    extra = {g.lower() for g in ground_groups}
    out = []
    for g in scene.groups:
        if g.lower() in extra:
            out.append("ground")
            continue
        mat = scene.materials.get(g)
        out.append(_class_of(g, getattr(mat, "tags", ())))
    return out


def face_classes(scene, *, ground_tolerance: float = 0.5,
                 ground_groups: Sequence[str] = ()) -> np.ndarray:
    """(n_faces,) int: the index in :data:`LAND_COVER_CLASSES` of every face's class.

    Parameters
    ----------
    scene : Scene
        The scene.
    ground_tolerance : float
        Height above the scene's lowest point [m] below which an up-facing face of an unnamed
        group is open ground (the fallback, see the module docstring).
    ground_groups : sequence of str
        Group names that are open ground, in addition to the name rule.
    """
    classes = group_classes(scene, ground_groups=ground_groups)
    code = np.array([-1 if c is None else LAND_COVER_CLASSES.index(c) for c in classes],
                    dtype=np.int64)
    per_face = code[scene.face_group] if code.size else np.empty(0, np.int64)
    unknown = (per_face < 0) | (per_face == LAND_COVER_CLASSES.index("building"))
    if unknown.any():
        tri_z = scene.vertices[scene.faces][:, :, 2].max(axis=1)
        low = tri_z <= float(scene.bounds[0, 2]) + ground_tolerance
        up = np.abs(scene.face_normals[:, 2]) > 0.7
        fallback = np.where(up & low, LAND_COVER_CLASSES.index("ground"),
                            LAND_COVER_CLASSES.index("building"))
        per_face = np.where(unknown, fallback, per_face)
    return per_face


def _in_extent(tri, extent) -> np.ndarray:
    if extent is None:
        return np.ones(tri.shape[0], dtype=bool)
    xmin, xmax, ymin, ymax = extent
    lo = tri[:, :, :2].min(axis=1)
    hi = tri[:, :, :2].max(axis=1)
    return (hi[:, 0] >= xmin) & (lo[:, 0] <= xmax) & (hi[:, 1] >= ymin) & (lo[:, 1] <= ymax)


def _plan_area(t) -> np.ndarray:
    a, b, c = t[:, 0], t[:, 1], t[:, 2]
    return 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                        - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))


def vegetation_outlines(scene, *, extent=None, classes=None) -> np.ndarray:
    """Plan triangles [m] (world) of the vegetation faces (trees, hedges), (k, 3, 2).

    ``classes``: precomputed :func:`face_classes`.
    """
    cls = face_classes(scene) if classes is None else classes
    veg = cls == LAND_COVER_CLASSES.index("vegetation")
    tri = scene.vertices[scene.faces] + scene.origin
    keep = veg & _in_extent(tri, extent)
    return np.ascontiguousarray(tri[keep][:, :, :2])


def ground_fills(scene, *, extent=None, classes=None, min_area: float = 0.0) -> dict:
    """Plan triangles [m] (world) of the up-facing faces of each ground class.

    Returns
    -------
    dict str -> (k, 3, 2) float
        ``"road"``, ``"pavement"``, ``"grass"``, ``"water"``: the classes that have faces in
        ``extent`` (steep faces and faces smaller than ``min_area`` [m2] in plan left out).
    """
    cls = face_classes(scene) if classes is None else classes
    tri = scene.vertices[scene.faces] + scene.origin
    flat = np.abs(scene.face_normals[:, 2]) >= 0.2
    inside = _in_extent(tri, extent) & flat
    out = {}
    for name in ("road", "pavement", "grass", "water"):
        keep = inside & (cls == LAND_COVER_CLASSES.index(name))
        if keep.any():
            t = tri[keep][:, :, :2]
            if min_area > 0.0:
                t = t[_plan_area(t) > min_area]
            if t.shape[0]:
                out[name] = np.ascontiguousarray(t)
    return out


def building_outlines(scene, *, extent=None, ground_tolerance: float = 0.5,
                      ground_groups: Sequence[str] | None = None, min_wall: float = 1e-6,
                      classes=None):
    """Plan projection of the scene's building faces: roof fills and wall lines.

    A face belongs to a building when its land-cover class (:func:`face_classes`) is
    ``"building"``: open ground (roads, pavements, grass, water, terrain) and vegetation are
    left out. Of the building faces, those that are not steep (|n_z| >= 0.2: roofs, decks,
    canopies) are returned as plan triangles, steep faces (walls) as their longest plan edge.

    Parameters
    ----------
    scene : Scene
        The scene.
    extent : (xmin, xmax, ymin, ymax), optional
        Keep only faces whose plan bounding box overlaps this window [m] (world).
    ground_tolerance : float
        Height above the scene's lowest point [m] below which up-facing faces of groups that
        no word names are ground.
    ground_groups : sequence of str, optional
        Group names that are ground, in addition to the name rule.
    min_wall : float
        Wall segments shorter than this in plan, and roof triangles smaller than its square,
        are dropped [m] (window reveals on a city map); segments that coincide (the two
        triangles of a wall quad) are kept once.
    classes : (n_faces,) int, optional
        Precomputed :func:`face_classes` (the other class arguments are then ignored).

    Returns
    -------
    roofs : (k, 3, 2) float
        Plan triangles [m] (world).
    walls : (w, 2, 2) float
        Plan segments [m] (world).
    """
    if classes is None:
        classes = face_classes(scene, ground_tolerance=ground_tolerance,
                               ground_groups=ground_groups or ())
    tri = scene.vertices[scene.faces] + scene.origin  # (n, 3, 3) world
    nz = np.abs(scene.face_normals[:, 2])
    keep = (classes == LAND_COVER_CLASSES.index("building")) & _in_extent(tri, extent)
    roofs = tri[keep & (nz >= 0.2)][:, :, :2]
    roofs = roofs[_plan_area(roofs) > min_wall * min_wall]
    wall_tri = tri[keep & (nz < 0.2)][:, :, :2]
    if wall_tri.shape[0]:
        edges = np.stack([wall_tri[:, [0, 1]], wall_tri[:, [1, 2]], wall_tri[:, [2, 0]]], axis=1)
        length = np.linalg.norm(edges[:, :, 1] - edges[:, :, 0], axis=2)
        walls = edges[np.arange(edges.shape[0]), np.argmax(length, axis=1)]
        walls = walls[np.max(length, axis=1) > min_wall]
        # the two triangles of a wall quad project to the same segment: keep it once
        key = np.round(walls.reshape(-1, 4) / 1e-3).astype(np.int64)
        swap = (key[:, 0] > key[:, 2]) | ((key[:, 0] == key[:, 2]) & (key[:, 1] > key[:, 3]))
        key[swap] = key[swap][:, [2, 3, 0, 1]]
        _, first = np.unique(key, axis=0, return_index=True)
        walls = walls[np.sort(first)]
    else:
        walls = np.empty((0, 2, 2))
    return np.ascontiguousarray(roofs), np.ascontiguousarray(walls)
