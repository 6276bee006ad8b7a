"""Write the demo's synthetic citizens' reports into the package data.

A seeded, made-up set of reports (no real person's report) over the demo street, in the shape
of Signalen's public GeoJSON geography feed (``/signals/v1/public/signals/geography``: points
with ``category`` and ``created_at``, no text). The demo street has no place on the map, so
the points are in its own metres, named by the GeoJSON ``crs`` member (EPSG:28992, the CRS
the triage assumes for a scene without one). Run from the repository root::

    python tools/make_demo_reports.py

The file is committed; the test ``tests/triage/test_demo_triage.py`` checks that it still
equals what this script writes. :data:`GROUPS` says where the reports are planted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "cpted_sim" / "data" / "demo_reports.geojson"
SEED = 14

#: (name, count, x range, y range [m]): the side path behind the hedge (dark, overlooked by
#: nobody at night), the underpass, the lit and watched north sidewalk, and scattered reports.
GROUPS = (("side_path", 9, (32.0, 48.0), (-5.2, -3.8)),
          ("underpass", 6, (63.0, 69.0), (-5.0, -4.0)),
          ("north_sidewalk", 5, (8.0, 14.0), (7.5, 9.0)),
          ("scattered", 8, (2.0, 78.0), (-6.0, 11.0)))

#: Signalen-like category slugs (made up for the demo).
CATEGORIES = ("onveilig-gevoel", "verlichting", "overlast-personen")


def _blocked(x: float, y: float) -> bool:
    """Inside the hedge or the underpass walls (a report would be moved)."""
    return (-3.6 <= y <= -2.2 and x <= 60.5) or (61.5 <= x <= 70.5 and (y >= -3.6 or y <= -5.7))


def features() -> list[dict]:
    rng = np.random.default_rng(SEED)
    out = []
    for name, n, (x0, x1), (y0, y1) in GROUPS:
        k = 0
        while k < n:
            x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
            if _blocked(x, y):
                continue
            day = int(rng.integers(1, 29))
            minute = int(rng.integers(21 * 60, 26 * 60 + 30)) % (24 * 60)   # 21:00 to 02:30
            cat = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            out.append({"type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [round(x, 2), round(y, 2)]},
                        "properties": {"category": {"slug": cat},
                                       "created_at": f"2025-11-{day:02d}T{minute // 60:02d}:"
                                                     f"{minute % 60:02d}:00+01:00"}})
            k += 1
    return out


def text() -> str:
    doc = {"type": "FeatureCollection",
           "crs": {"type": "name", "properties": {"name": "EPSG:28992"}},
           "features": features()}
    return json.dumps(doc, indent=1) + "\n"


def main() -> None:
    OUT.write_text(text(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(features())} reports)")


if __name__ == "__main__":
    sys.exit(main())
