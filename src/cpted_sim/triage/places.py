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
        """The deficits present (strength > 0), strongest first."""
        items = sorted(((v, k) for k, v in self.deficits.items() if v > 0), reverse=True)
        return tuple(k for _, k in items)
