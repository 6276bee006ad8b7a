"""A synthetic neighbourhood with planted places for the triage tests (issue 14 acceptance).

Ground 0..240 x 0..120 m (one group of quads, boxes for buildings):

- west: a dark path along y = 60 across an open field, no light, no window within range,
  12 reports;
- middle: a bright square around (130, 60): four 6 m poles, eight window observers at the
  square's edges, 20 reports;
- east: a street along y = 60 (x 180..235) between two building rows (y 44..56 and 64..76),
  lit by poles every 15 m, watched by windows on both facades, with a niche 4 m wide and
  3 m deep in the south row at x 204..208; 5 reports on the pavement in front of it;
- 30 reports scattered over the whole ground (seeded), none inside a building.
"""

from __future__ import annotations

import numpy as np

from cpted_sim.scenario import model as m

BUILDINGS = [((180, 44), (204, 56)), ((208, 44), (235, 56)), ((204, 44), (208, 53)),
             ((180, 64), (235, 76))]
HEIGHT = 9.0


def _box_quads(lo, hi):
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    return [[(x0, y0, z0), (x1, y0, z0), (x1, y0, z1), (x0, y0, z1)],   # south, normal -y
            [(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)],   # east
            [(x1, y1, z0), (x0, y1, z0), (x0, y1, z1), (x1, y1, z1)],   # north
            [(x0, y1, z0), (x0, y0, z0), (x0, y0, z1), (x0, y1, z1)],   # west
            [(x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)]]   # roof


def _ground():
    q = []
    for x in range(0, 240, 20):
        for y in range(0, 120, 20):
            q.append([(x, y, 0.0), (x + 20, y, 0.0), (x + 20, y + 20, 0.0), (x, y + 20, 0.0)])
    return q


def _inside_building(xy, margin=0.5):
    out = np.zeros(len(xy), dtype=bool)
    for (x0, y0), (x1, y1) in BUILDINGS:
        out |= ((xy[:, 0] > x0 - margin) & (xy[:, 0] < x1 + margin)
                & (xy[:, 1] > y0 - margin) & (xy[:, 1] < y1 + margin))
    return out


def town_scenario() -> m.Scenario:
    quads = _ground()
    for (x0, y0), (x1, y1) in BUILDINGS:
        quads += _box_quads((x0, y0, 0.0), (x1, y1, HEIGHT))
    geom = m.GeometrySpec(builtin="quads", params={"quads": quads}, group="town")
    optic = m.PhotometrySpec(builtin="street_light_optic", params={"flux": 8000.0})
    lums = []
    post = m.PhotometrySpec(builtin="isotropic", params={"flux": 6000.0})
    for k, (x, y) in enumerate((x, y) for x in (112, 124, 136, 148) for y in (42, 54, 66, 78)):
        lums.append(m.LuminaireSpec(f"square{k}", post, (x, y, 5.0)))
    for k, x in enumerate(range(185, 235, 15)):
        lums.append(m.LuminaireSpec(f"street{k}", optic, (x, 62.5, 6.0), azimuth=0.0,
                                    tilt=0.0, spin=180.0))
    sq = [(116, 46), (130, 45), (144, 46), (145, 60), (144, 74), (130, 75), (116, 74),
          (115, 60)]
    street = [(x, 56.2) for x in range(184, 235, 8) if not 202 <= x <= 210]
    street += [(x, 63.8) for x in range(184, 235, 8)]
    obs = [m.ObserverSpec("square windows", kind="window",
                          points=tuple((x, y, 4.0) for x, y in sq), fov=360.0, range=50.0),
           m.ObserverSpec("street windows", kind="window",
                          points=tuple((x, y, 4.0) for x, y in street), fov=360.0,
                          range=40.0)]
    return m.Scenario("triage town", m.SceneSpec(geom), luminaires=tuple(lums),
                      observers=tuple(obs), settings=m.RunSettings(quiet=True))


def town_reports(seed: int = 14):
    """(ids, xy (n, 2), times UTC datetime64[s], planted place of each report)."""
    rng = np.random.default_rng(seed)
    path = np.column_stack([rng.uniform(25, 55, 12), 60 + rng.uniform(-1.0, 1.0, 12)])
    square = np.column_stack([rng.uniform(122, 138, 20), rng.uniform(52, 68, 20)])
    niche = np.column_stack([rng.uniform(203.5, 208.5, 5), rng.uniform(57.0, 58.5, 5)])
    scattered = []
    while len(scattered) < 30:
        p = rng.uniform([2, 2], [238, 118], size=(1, 2))
        if not _inside_building(p)[0]:
            scattered.append(p[0])
    xy = np.vstack([path, square, niche, np.array(scattered)])
    kind = np.array(["path"] * 12 + ["square"] * 20 + ["niche"] * 5 + ["scattered"] * 30)
    ids = np.array([f"T{k + 1:03d}" for k in range(len(xy))], dtype=object)
    # winter evenings, 21:00-23:59 UTC (22:00-00:59 in Amsterdam): all after dark
    day = rng.integers(1, 28, len(xy))
    minute = rng.integers(0, 180, len(xy))
    times = (np.datetime64("2025-01-01T21:00:00") + (day - 1) * np.timedelta64(1, "D")
             + minute * np.timedelta64(1, "m")).astype("datetime64[s]")
    return ids, xy, times, kind
