"""The polar diagram draws both planes, mirrored as datasheets do."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cpted_sim.photometry import canary  # noqa: E402
from cpted_sim.plot.polar import plot_polar  # noqa: E402


def test_polar_diagram_draws_both_planes():
    import matplotlib.pyplot as plt

    d = canary(peak_cd=800.0)
    ax = plot_polar(d)
    lines = ax.get_lines()
    assert len(lines) == 2
    theta, r = lines[0].get_data()
    # C0 half on the right (positive theta): its maximum is the canary's peak at gamma 45
    k = int(np.argmax(r))
    assert np.degrees(theta[k]) == pytest.approx(45.0) and r[k] == pytest.approx(800.0)
    ax2 = plot_polar(d, per_klm=True)
    assert ax2.get_lines()[0].get_data()[1].max() == pytest.approx(800.0 * 1000 / d.flux)
    plt.close("all")
