"""Write the demo's street-light photometry into the package data.

The demo lights its street with the library's own parametric optic
(:func:`cpted_sim.photometry.builtin.street_light_optic`), saved as an IES LM-63 file so the
demo scenario reads a real photometric file like a user's would. No third-party file is
shipped. Run from the repository root::

    python tools/make_demo_data.py

The file is committed; the test ``tests/scenario/test_demo.py`` checks that it still equals
what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cpted_sim.photometry import write_ies  # noqa: E402
from cpted_sim.photometry.builtin import street_light_optic  # noqa: E402
from cpted_sim.scenario.demo import DEMO_IES_FILE, DEMO_OPTIC  # noqa: E402


def main() -> None:
    dist = street_light_optic(**DEMO_OPTIC)
    out = ROOT / "src" / "cpted_sim" / "data" / DEMO_IES_FILE
    write_ies(dist, out)
    print(f"wrote {out.relative_to(ROOT)} ({dist.flux:.0f} lm)")


if __name__ == "__main__":
    main()
