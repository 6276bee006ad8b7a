"""Places: citizens' reports grouped by density, each with a transparent score and its dominant
physical deficit (issue 14, build 4)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The dominant physical deficit a place can have.
DEFICITS = ("dark", "unwatched", "concealment", "entrapment", "none")


@dataclass(frozen=True)
class Place:
    """A place: a group of nearby reports, in scene coordinates.

    Attributes
    ----------
    id : str
        Stable identifier (``P01``, ``P02``, ... in rank order).
    xy : (2,) float
        Centre of the place (mean of its reports) [m], scene coordinates.
    report_ids : tuple of str
        The reports in the place.
    n_reports : int
        ``len(report_ids)``.
    score : float
        Transparent priority score (see :func:`score_place`); higher is more urgent.
    deficits : dict of str -> float
        Each deficit's strength in [0, 1] (0 = none, 1 = worst): keys ``dark``,
        ``unwatched``, ``concealment``, ``entrapment``.
    dominant_deficit : str
        One of ``dark``, ``unwatched``, ``concealment``, ``entrapment``, ``none``.
    radius : float
        Radius of the place around ``xy`` that holds its reports (at least the context
        radius) [m].
    """

    id: str
    xy: np.ndarray
    report_ids: tuple
    n_reports: int
    score: float
    deficits: dict = field(default_factory=dict)
    dominant_deficit: str = "none"
    radius: float = 15.0

    def __post_init__(self):
        xy = np.ascontiguousarray(self.xy, dtype=np.float64).reshape(2)
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "report_ids", tuple(str(r) for r in self.report_ids))
        if self.dominant_deficit not in DEFICITS:
            raise ValueError(f"Place {self.id}: dominant_deficit {self.dominant_deficit!r} "
                             f"is not one of {DEFICITS}")

    @property
    def causes(self) -> tuple:
        """The deficits present (strength >= :data:`DEFICIT_PRESENT`), strongest first."""
        items = sorted(((v, k) for k, v in self.deficits.items() if v >= DEFICIT_PRESENT),
                       key=lambda t: (-t[0], DEFICITS.index(t[1])))
        return tuple(k for _, k in items)


#: A deficit counts as present when its strength reaches this [-].
DEFICIT_PRESENT = 0.5
#: Concealed area [m2] within a report's neighbourhood that counts as a full concealment
#: deficit (strength 1): room for two people to wait unseen.
CONCEALED_AREA_FULL = 4.0


def report_deficits(values: dict, night=None) -> dict:
    """Strength [0, 1] of each deficit per report, from :class:`ReportContext.values`.

    - ``dark``: share of the neighbourhood with E_h below the dark threshold;
    - ``unwatched``: share with night-time surveillance below ``min_surveillance`` (daytime
      surveillance for reports made by day);
    - ``concealment``: concealed area / :data:`CONCEALED_AREA_FULL`, at most 1;
    - ``entrapment``: share of the approach path walled in on both sides.
    """
    at_night = np.asarray(values["at_night"], dtype=np.float64) if night is None else night
    by_day = at_night == 0.0       # unknown times count as night (the worse case)
    unwatched = np.where(by_day, values["unwatched_day"], values["unwatched_night"])
    out = {"dark": np.asarray(values["dark_share"], dtype=np.float64),
           "unwatched": np.asarray(unwatched, dtype=np.float64),
           "concealment": np.minimum(np.asarray(values["concealed_m2"]) / CONCEALED_AREA_FULL,
                                     1.0),
           "entrapment": np.asarray(values["entrapment"], dtype=np.float64)}
    return {k: np.nan_to_num(v, nan=0.0) for k, v in out.items()}


def cluster_reports(xy, eps: float = 15.0, min_reports: int = 3) -> np.ndarray:
    """Density clusters of report locations, each at most ``eps`` from its centre report:
    label per report, -1 for scattered ones.

    Density peaks, greedily: the report with the most unassigned reports within ``eps``
    (itself included; ties: the first in the input) becomes a place's centre, and every
    unassigned report within ``eps`` of it joins that place; repeat while the densest report
    has at least ``min_reports``. The rest are scattered. Every place thus holds at least
    ``min_reports`` reports and is at most ``2 eps`` across: unlike DBSCAN, dense reports
    along a whole street do not chain into one place.
    """
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = xy.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels
    nbrs = cKDTree(xy).query_ball_point(xy, eps)
    nbrs = [np.asarray(v, dtype=np.int64) for v in nbrs]
    counts = np.array([len(v) for v in nbrs], dtype=np.int64)
    free = np.ones(n, dtype=bool)
    place = 0
    while True:
        c = np.where(free, counts, -1)
        i = int(np.argmax(c))
        if c[i] < min_reports:
            break
        members = nbrs[i][free[nbrs[i]]]
        labels[members] = place
        free[members] = False
        for j in members:                  # they no longer count for their neighbours
            counts[nbrs[j]] -= 1
        place += 1
    return labels


def score_place(n_reports: int, deficits: dict) -> float:
    """``n_reports * (1 + dark + unwatched + concealment + entrapment)``: more reports and more,
    stronger deficits rank higher; a place without deficits scores its report count."""
    return float(n_reports * (1.0 + sum(float(deficits.get(k, 0.0)) for k in DEFICITS[:-1])))


def dominant(deficits: dict, present: float = DEFICIT_PRESENT) -> str:
    """The strongest deficit at least ``present`` strong (ties in the order of
    :data:`DEFICITS`), else ``"none"``."""
    best, name = present, "none"
    for k in DEFICITS[:-1]:
        v = float(deficits.get(k, 0.0))
        if v >= best and (name == "none" or v > best):
            best, name = v, k
    return name


def group_places(context, *, eps: float | None = None, min_reports: int = 3,
                 present: float = DEFICIT_PRESENT) -> tuple[list, list, np.ndarray]:
    """Places from a :class:`~cpted_sim.triage.context.ReportContext`.

    Parameters
    ----------
    context : ReportContext
    eps : float, optional
        Clustering distance [m] (default: the context radius).
    min_reports : int
        Fewest reports in a place (k of the privacy rule, default 3); smaller groups are
        scattered reports, counted but never shown.
    present : float
        Strength at which a deficit counts (default :data:`DEFICIT_PRESENT`).

    Returns
    -------
    with_deficit : list of Place
        Places with a dominant deficit, highest score first, ids ``P01``, ``P02``, ...
    without_deficit : list of Place
        Places whose dominant deficit is ``"none"`` (design alone will not help), most
        reports first, ids ``N01``, ...
    labels : (n,) int
        Place of each report: index into ``with_deficit`` (0, 1, ...), ``-2 - j`` for
        ``without_deficit[j]``, -1 for scattered reports.
    """
    if isinstance(min_reports, bool) or int(min_reports) < 1:
        raise ValueError(f"min_reports: expected an integer >= 1, got {min_reports!r}")
    radius = float(context.settings.get("radius", 15.0))
    eps = radius if eps is None else float(eps)
    lab = cluster_reports(context.xy, eps, int(min_reports))
    # a place's centre: the mean of its reports
    per = report_deficits(context.values)
    raw = []
    for c in range(int(lab.max()) + 1 if lab.size else 0):
        idx = np.nonzero(lab == c)[0]
        xy = context.xy[idx].mean(axis=0)
        defs = {k: float(np.mean(v[idx])) for k, v in per.items()}
        r = max(radius, float(np.max(np.hypot(*(context.xy[idx] - xy).T))))
        raw.append((idx, xy, defs, r))
    scored = [(score_place(len(i), d), i, xy, d, r) for i, xy, d, r in raw]
    with_d = [s for s in scored if dominant(s[3], present) != "none"]
    without = [s for s in scored if dominant(s[3], present) == "none"]
    with_d.sort(key=lambda s: (-s[0], -len(s[1]), tuple(s[2])))
    without.sort(key=lambda s: (-len(s[1]), tuple(s[2])))
    labels = np.full(lab.shape, -1, dtype=np.int64)
    out_d, out_n = [], []
    for k, (score, idx, xy, d, r) in enumerate(with_d):
        labels[idx] = k
        out_d.append(Place(f"P{k + 1:02d}", xy, tuple(context.ids[idx]), len(idx), score, d,
                           dominant(d, present), r))
    for k, (score, idx, xy, d, r) in enumerate(without):
        labels[idx] = -2 - k
        out_n.append(Place(f"N{k + 1:02d}", xy, tuple(context.ids[idx]), len(idx), score, d,
                           "none", r))
    return out_d, out_n, labels
