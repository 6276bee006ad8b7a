"""The README's Python example runs as written and its answer is physically sensible."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_shows_the_wall_shadow():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own README
    field = namespace["E_h"]
    assert field.unit == "lx" and field.quantity == "E_h"
    pts = field.grid.points
    # The street light at (0, 0, 6) and the 4 m wall at x = 2: the ground just behind the wall
    # lies in its shadow, the ground as far away on the other side does not.
    behind = (pts[:, 0] > 2.2) & (pts[:, 0] < 3.0) & (np.abs(pts[:, 1]) < 1.0)
    front = (pts[:, 0] < -2.2) & (pts[:, 0] > -3.0) & (np.abs(pts[:, 1]) < 1.0)
    assert field.values[behind].max() == 0.0
    assert field.values[front].min() > 1.0
    # Every README command names something that exists.
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
