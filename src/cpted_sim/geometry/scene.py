"""The scene: triangles with a local origin, per-face groups and materials, and their BVH."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from ..errors import CptedWarning, MeshError, ParameterError
from ..kernels.bvh_query import check_nodes
from .bvh import BVHStats, FlatBVH, build_bvh

__all__ = ["Material", "Scene", "DEFAULT_GROUP", "DEFAULT_MATERIAL"]

log = logging.getLogger(__name__)

DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class Material:
    """Optical and visual properties of a face group.

    Attributes
    ----------
    reflectance : float
        Diffuse reflectance [-], 0..1.
    light_transmittance : float
        Fraction of light a shadow ray keeps when crossing one face [-], 0 (opaque) .. 1.
    sight_transmittance : float
        Fraction of sight a sightline keeps when crossing one face [-] (a low fence, a hedge).
    tags : tuple of str
        Free labels such as ``"window"``, ``"door"``, ``"hedge"``.
    """

    reflectance: float = 0.2
    light_transmittance: float = 0.0
    sight_transmittance: float = 0.0
    tags: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("reflectance", "light_transmittance", "sight_transmittance"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.floating)) and 0.0 <= float(v) <= 1.0):
                raise ParameterError(f"Material.{name}: expected a number in [0, 1], got {v!r}")
        object.__setattr__(self, "tags", tuple(self.tags))


DEFAULT_MATERIAL = Material()


def _validate_mesh(vertices, faces) -> tuple[np.ndarray, np.ndarray]:
    try:
        v = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MeshError(f"vertices: expected an (n, 3) array of numbers ({exc})") from None
    if v.ndim != 2 or v.shape[1] != 3:
        raise MeshError(f"vertices: expected shape (n, 3), got {v.shape}")
    try:
        f_raw = np.asarray(faces)
    except (TypeError, ValueError) as exc:
        raise MeshError(f"faces: expected an (m, 3) array of vertex indices ({exc})") from None
    if f_raw.ndim != 2 or f_raw.shape[1] != 3:
        raise MeshError(f"faces: expected shape (m, 3) (triangles), got {f_raw.shape}")
    if f_raw.shape[0] == 0 or v.shape[0] == 0:
        raise MeshError("the scene is empty: it has no faces; a scene needs at least one triangle")
    if f_raw.dtype.kind == "f":
        if not np.all(np.isfinite(f_raw)) or np.any(f_raw != np.round(f_raw)):
            raise MeshError("faces: vertex indices must be integers")
    elif f_raw.dtype.kind not in "iu":
        raise MeshError(f"faces: vertex indices must be integers, got dtype {f_raw.dtype}")
    f = f_raw.astype(np.int64)
    bad_v = ~np.all(np.isfinite(v), axis=1)
    if bad_v.any():
        idx = np.nonzero(bad_v)[0]
        raise MeshError(
            f"vertices: {idx.size} vertices have NaN or infinite coordinates "
            f"(first at vertex index {int(idx[0])})"
        )
    bad_f = np.any((f < 0) | (f >= v.shape[0]), axis=1)
    if bad_f.any():
        idx = np.nonzero(bad_f)[0]
        raise MeshError(
            f"faces: {idx.size} faces have vertex indices outside 0..{v.shape[0] - 1} "
            f"(first at face index {int(idx[0])}: {f[idx[0]].tolist()})"
        )
    return v, f


def _face_labels(groups, n_faces: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Turn ``groups`` (None, per-face names, or {name: face indices}) into codes and names."""
    if groups is None:
        return np.zeros(n_faces, dtype=np.int64), (DEFAULT_GROUP,)
    if isinstance(groups, Mapping):
        labels = np.full(n_faces, -1, dtype=np.int64)
        names = []
        for name, idx in groups.items():
            try:
                idx = np.asarray(idx, dtype=np.int64).reshape(-1)
            except (TypeError, ValueError, OverflowError):
                raise MeshError(f"groups[{name!r}]: expected face indices (integers)") from None
            if idx.size and (idx.min() < 0 or idx.max() >= n_faces):
                raise MeshError(f"groups[{name!r}]: face indices outside 0..{n_faces - 1}")
            labels[idx] = len(names)
            names.append(str(name))
        if (labels < 0).any():
            labels[labels < 0] = len(names)
            names.append(DEFAULT_GROUP)
        return labels, tuple(names)
    try:
        arr = np.asarray(groups)
    except (TypeError, ValueError):
        raise MeshError(f"groups: expected one name per face ({n_faces})") from None
    if arr.shape != (n_faces,):
        raise MeshError(f"groups: expected one name per face ({n_faces}), got shape {arr.shape}")
    names, codes = np.unique(arr.astype(str), return_inverse=True)
    return codes.astype(np.int64), tuple(str(n) for n in names)


def _check_origin(origin) -> np.ndarray:
    """``origin`` as three finite float64 numbers, or a ParameterError naming it."""
    if isinstance(origin, (str, bytes, Mapping)):
        raise ParameterError(f"origin: expected three numbers [m], got {type(origin).__name__}")
    try:
        arr = np.asarray(origin, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ParameterError(f"origin: expected three numbers [m], got {origin!r:.80}") from None
    if arr.shape != (3,):
        raise ParameterError(f"origin: expected three numbers [m], got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"origin: expected three finite numbers [m], got {arr.tolist()}")
    return arr


def _check_labels(epsg, name, materials):
    """Check ``epsg`` (positive int or None), ``name`` (str) and ``materials`` (str -> Material)."""
    if epsg is not None:
        if isinstance(epsg, (bool, np.bool_)) or not isinstance(epsg, (int, np.integer)):
            raise ParameterError(f"epsg: expected an integer EPSG code or None, got "
                                 f"{type(epsg).__name__} {epsg!r:.40}")
        if not 0 < int(epsg) < 2**31:
            raise ParameterError(f"epsg: expected a positive EPSG code, got {int(epsg)}")
        epsg = int(epsg)
    if not isinstance(name, str):
        raise ParameterError(f"name: expected a string, got {type(name).__name__}")
    if materials is None:
        materials = {}
    if not isinstance(materials, Mapping):
        raise ParameterError(f"materials: expected a mapping of group name to Material, got "
                             f"{type(materials).__name__}")
    materials = dict(materials)
    for key, mat in materials.items():
        if not isinstance(key, str):
            raise ParameterError(f"materials: keys must be group names (str), got "
                                 f"{type(key).__name__} {key!r:.40}")
        if not isinstance(mat, Material):
            raise ParameterError(f"materials[{key!r}]: expected a Material, got "
                                 f"{type(mat).__name__}")
    return epsg, name, materials


@dataclass(frozen=True, eq=False)
class Scene:
    """Triangles of an urban model, relative to a local origin, with groups, materials and BVH.

    Build one with :meth:`from_arrays` or :func:`cpted_sim.load_scene`. Immutable: the
    ``with_...`` methods return new scenes.

    Attributes
    ----------
    origin : (3,) float
        World coordinates of the local origin [m]. Large projected coordinates (Dutch RD New,
        x ~ 155 000 m) are stored relative to it so precision does not depend on location.
    vertices : (v, 3) float
        Vertex coordinates relative to ``origin`` [m].
    faces : (n, 3) int64
        Triangle vertex indices.
    face_group : (n,) int64
        Index into ``groups`` for each face.
    groups : tuple of str
        Group (or material) names from the mesh file.
    materials : mapping str -> Material
        Materials by group name; groups without an entry use ``DEFAULT_MATERIAL``.
    bvh : FlatBVH
        The acceleration structure over the faces.
    bvh_stats : BVHStats
        Build time, depth and size.
    epsg : int or None
        Coordinate reference system of the world coordinates, when known.
    name : str
        A label for reports.
    """

    origin: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray
    face_group: np.ndarray
    groups: tuple[str, ...]
    bvh: FlatBVH
    bvh_stats: BVHStats
    materials: Mapping[str, Material] = field(default_factory=dict)
    epsg: int | None = None
    name: str = "scene"

    def __post_init__(self):
        check_nodes(self.bvh)  # every kernel reads scene.bvh: its vector loads need alignment

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, vertices, faces, groups=None, *, origin=None, materials=None,
                    epsg: int | None = None, name: str = "scene") -> Scene:
        """Build a scene from vertex and face arrays.

        Parameters
        ----------
        vertices : (v, 3) float
            World coordinates [m], Z up.
        faces : (n, 3) int
            Vertex indices of each triangle.
        groups : None, (n,) str, or mapping name -> face indices
            The group or material name of each face (windows, hedges, walls are tagged by it).
        origin : (3,) float, optional
            Local origin [m]; default: the floor of the bounding box minimum in x and y, 0 in z.
        materials : mapping str -> Material, optional
            Materials by group name.
        epsg : int, optional
            EPSG code of the coordinates.
        name : str
            Label for reports.

        Raises
        ------
        MeshError
            NaN or infinite vertices, face indices out of range, or an empty scene (also when
            every face is degenerate). Zero-area faces are dropped with a warning that counts
            them.
        ParameterError
            An ``origin`` that is not three finite numbers, ``materials`` that is not a mapping
            of names to :class:`Material`, an ``epsg`` that is not a positive integer, a
            ``name`` that is not a string.
        """
        epsg, name, materials = _check_labels(epsg, name, materials)
        v, f = _validate_mesh(vertices, faces)
        labels, names = _face_labels(groups, f.shape[0])
        if origin is None:
            lo = v[np.unique(f)].min(axis=0)
            origin = np.array([np.floor(lo[0]), np.floor(lo[1]), 0.0])
        else:
            origin = _check_origin(origin)
        local = v - origin
        a = local[f[:, 1]] - local[f[:, 0]]
        b = local[f[:, 2]] - local[f[:, 0]]
        area2 = np.linalg.norm(np.cross(a, b), axis=1)
        scale = np.maximum(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
        degenerate = area2 <= 1e-12 * np.maximum(scale * scale, 1e-300)
        if degenerate.any():
            n_bad = int(degenerate.sum())
            if n_bad == f.shape[0]:
                raise MeshError(f"the scene is empty: all {n_bad} faces have zero area")
            warnings.warn(f"dropped {n_bad} zero-area faces of {f.shape[0]}", CptedWarning,
                          stacklevel=2)
            f = f[~degenerate]
            labels = labels[~degenerate]
        return cls._assemble(origin, local, f, labels, names, materials, epsg, name)

    @classmethod
    def _assemble(cls, origin, local, faces, labels, names, materials, epsg, name) -> Scene:
        local = np.ascontiguousarray(local, dtype=np.float64)
        faces = np.ascontiguousarray(faces, dtype=np.int64)
        bvh, stats = build_bvh(local, faces)
        log.debug("BVH over %d faces built in %.3f s (depth %d, %d nodes)", faces.shape[0],
                  stats.build_seconds, stats.depth, stats.n_nodes)
        for a in (origin, local, faces, labels):
            a.setflags(write=False)
        return cls(origin=origin, vertices=local, faces=faces,
                   face_group=np.ascontiguousarray(labels, dtype=np.int64), groups=tuple(names),
                   bvh=bvh, bvh_stats=stats, materials=dict(materials), epsg=epsg, name=name)

    # ------------------------------------------------------------------ coordinates
    def to_local(self, points) -> np.ndarray:
        """World coordinates to scene-local coordinates.

        Parameters
        ----------
        points : (..., 3) float
            World coordinates [m].

        Returns
        -------
        (..., 3) float64, C-contiguous, relative to :attr:`origin` [m].
        """
        return np.ascontiguousarray(np.asarray(points, dtype=np.float64) - self.origin)

    def to_world(self, points) -> np.ndarray:
        """Scene-local coordinates to world coordinates.

        Parameters
        ----------
        points : (..., 3) float
            Coordinates relative to :attr:`origin` [m].
        """
        return np.asarray(points, dtype=np.float64) + self.origin

    # ------------------------------------------------------------------ derived geometry
    @property
    def n_faces(self) -> int:
        """Number of triangles."""
        return int(self.faces.shape[0])

    @cached_property
    def face_normals(self) -> np.ndarray:
        """(n, 3) unit normals (right-hand rule on the vertex order)."""
        v = self.vertices
        n = np.cross(v[self.faces[:, 1]] - v[self.faces[:, 0]], v[self.faces[:, 2]] - v[self.faces[:, 0]])
        return n / np.linalg.norm(n, axis=1)[:, None]

    @cached_property
    def face_areas(self) -> np.ndarray:
        """(n,) triangle areas [m²]."""
        v = self.vertices
        n = np.cross(v[self.faces[:, 1]] - v[self.faces[:, 0]], v[self.faces[:, 2]] - v[self.faces[:, 0]])
        return 0.5 * np.linalg.norm(n, axis=1)

    @cached_property
    def face_centroids(self) -> np.ndarray:
        """(n, 3) face centroids in world coordinates [m]."""
        return self.vertices[self.faces].mean(axis=1) + self.origin

    @cached_property
    def bounds(self) -> np.ndarray:
        """(2, 3) world bounding box [m]."""
        used = self.vertices[np.unique(self.faces)]
        return np.stack([used.min(axis=0), used.max(axis=0)]) + self.origin

    @cached_property
    def ray_offset(self) -> float:
        """Scale-aware distance [m] a ray leaves a surface before it may hit anything.

        1e-6 of the scene's extent, at least 1e-6 m: 0.1 mm for a 100 m street, 1 mm for a
        1 km district.
        """
        ext = float(np.max(self.bounds[1] - self.bounds[0]))
        return max(1e-6 * ext, 1e-6)

    def _per_face(self, attr: str) -> np.ndarray:
        values = np.array([getattr(self.materials.get(g, DEFAULT_MATERIAL), attr) for g in self.groups])
        return np.ascontiguousarray(values[self.face_group], dtype=np.float64)

    @cached_property
    def reflectance(self) -> np.ndarray:
        """(n,) diffuse reflectance of each face [-]."""
        return self._per_face("reflectance")

    @cached_property
    def light_transmittance(self) -> np.ndarray:
        """(n,) fraction of light kept when a shadow ray crosses each face [-]."""
        return self._per_face("light_transmittance")

    @cached_property
    def sight_transmittance(self) -> np.ndarray:
        """(n,) fraction of sight kept when a sightline crosses each face [-]."""
        return self._per_face("sight_transmittance")

    def group_faces(self, names: str | Sequence[str]) -> np.ndarray:
        """Indices of the faces in the named groups.

        Parameters
        ----------
        names : str or sequence of str
            One group name or several.

        Raises
        ------
        ParameterError
            A name that is not a group of the scene (the message lists the known ones).
        """
        if isinstance(names, str):
            names = [names]
        codes = []
        for nm in names:
            if nm not in self.groups:
                raise ParameterError(f"group {nm!r} is not in the scene; groups: {list(self.groups)}")
            codes.append(self.groups.index(nm))
        return np.nonzero(np.isin(self.face_group, codes))[0]

    def tagged_groups(self, tag: str) -> list[str]:
        """Names of the groups whose material carries a tag.

        Parameters
        ----------
        tag : str
            E.g. ``"window"``, ``"door"``, ``"hedge"``.
        """
        return [g for g in self.groups if tag in self.materials.get(g, DEFAULT_MATERIAL).tags]

    # ------------------------------------------------------------------ functional updates
    def with_materials(self, materials: Mapping[str, Material]) -> Scene:
        """A scene with these materials set, merged over the current ones (no BVH rebuild).

        Parameters
        ----------
        materials : mapping str -> Material
            Materials by group name; every name must be a group of the scene.

        Raises
        ------
        ParameterError
            A name that is not a group of the scene (the message suggests the nearest group
            names), or a value that is not a :class:`Material`.
        """
        unknown = [g for g in materials if g not in self.groups]
        if unknown:
            import difflib

            hints = []
            for g in unknown:
                near = difflib.get_close_matches(str(g), self.groups, n=3, cutoff=0.6)
                hints.append(f"{g!r}" + (f" (did you mean {' or '.join(map(repr, near))}?)"
                                         if near else ""))
            shown = list(self.groups[:20]) + (["..."] if len(self.groups) > 20 else [])
            raise ParameterError(f"materials: {len(unknown)} group name(s) match no group of "
                                 f"the scene: {', '.join(hints)}; groups: {shown}")
        for key, mat in materials.items():
            if not isinstance(mat, Material):
                raise ParameterError(f"materials[{key!r}]: expected a Material, got "
                                     f"{type(mat).__name__}")
        merged = dict(self.materials)
        merged.update(materials)
        new = replace(self, materials=merged)
        return new

    def without_groups(self, names: str | Sequence[str]) -> Scene:
        """A scene with every face of these groups removed (the BVH is rebuilt).

        Parameters
        ----------
        names : str or sequence of str
            Groups to remove.

        Raises
        ------
        MeshError
            Nothing would be left.
        """
        drop = np.zeros(self.n_faces, dtype=bool)
        drop[self.group_faces(names)] = True
        if drop.all():
            raise MeshError("removing these groups would leave an empty scene")
        keep = ~drop
        return Scene._assemble(self.origin, self.vertices, self.faces[keep], self.face_group[keep],
                               self.groups, self.materials, self.epsg, self.name)

    def merged(self, other: Scene) -> Scene:
        """The union of two scenes (groups matched by name; this scene's origin is kept).

        Parameters
        ----------
        other : Scene
            Added after this scene's faces; its materials fill in groups this scene lacks.
        """
        verts = np.vstack([self.vertices, other.vertices + (other.origin - self.origin)])
        faces = np.vstack([self.faces, other.faces + self.vertices.shape[0]])
        names = list(self.groups)
        remap = []
        for g in other.groups:
            if g not in names:
                names.append(g)
            remap.append(names.index(g))
        labels = np.concatenate([self.face_group, np.asarray(remap, dtype=np.int64)[other.face_group]])
        mats = dict(other.materials)
        mats.update(self.materials)
        return Scene._assemble(self.origin, verts, faces, labels, tuple(names), mats, self.epsg, self.name)

    def __repr__(self) -> str:
        return (f"Scene({self.name!r}, {self.n_faces} faces, {len(self.groups)} groups, "
                f"origin={self.origin.tolist()})")
