"""Variant maps share one scale; difference maps centre on 0; a comparison maps every area."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _report_standin import make_comparison  # noqa: E402

import cpted_sim.plot.compare as pc  # noqa: E402
from cpted_sim.errors import ParameterError  # noqa: E402


@pytest.fixture(scope="module")
def comparison():
    return make_comparison(spacing=2.0)


@pytest.fixture
def captured(monkeypatch):
    """Keep the figures' images and colour bars as they are just before saving."""
    seen = []
    real = pc.save_figure

    def spy(fig, path, dpi=110):
        seen.append({"images": [im for ax in fig.axes for im in ax.images],
                     "n_axes": len(fig.axes), "path": Path(path)})
        return real(fig, path, dpi=dpi)

    monkeypatch.setattr(pc, "save_figure", spy)
    return seen


def test_variant_panels_share_one_scale(comparison, captured, tmp_path):
    flds = {r.variant: r.areas["street"].fields["E_h"] for r in (comparison.base, *comparison.variants)}
    p = pc.variant_maps(flds, tmp_path / "v.png", scenes=comparison.base.scene)
    assert p.is_file()
    (fig,) = captured
    assert fig["n_axes"] == 4  # three panels and one colour bar
    norms = {id(im.norm) for im in fig["images"]}
    assert len(norms) == 1
    top = fig["images"][0].norm.boundaries[-1]
    assert top >= max(float(f.values.max()) for f in flds.values())  # the brightest variant fits


def test_difference_panels_are_centred_on_zero(comparison, captured, tmp_path):
    d = {v: comparison.deltas[v]["street"]["E_h"] for v in comparison.deltas}
    pc.difference_maps(d, tmp_path / "d.png")
    (fig,) = captured
    norm = fig["images"][0].norm
    lim = max(float(np.abs(f.values).max()) for f in d.values())
    assert (norm.vmin, norm.vmax) == (-lim, lim)
    assert {id(im.norm) for im in fig["images"]} == {id(norm)}


def test_comparison_maps_cover_every_area(comparison, tmp_path):
    images = pc.comparison_maps(comparison, tmp_path)
    kinds: dict = {}
    for im in images:
        kinds.setdefault((im.area, im.quantity), []).append(im.kind)
    assert kinds[("street", "E_h")] == ["variants", "difference"]
    assert kinds[("street", "night_surveillance_count")] == ["variants", "difference"]
    assert kinds[("street", "dark_and_unseen")] == ["dark_unseen"]
    assert kinds[("north facade", "E_v")] == ["variants", "difference"]
    assert [im.area for im in images][0] == "street"  # areas in the scenario's order
    unchanged = [im for im in images if im.kind == "unchanged"]
    assert [im.quantity for im in unchanged] == ["surveillance_count"] and unchanged[0].path is None
    for im in images:
        if im.path is not None:
            assert im.path.is_file() and im.path.parent == tmp_path


def test_empty_inputs_raise(tmp_path):
    with pytest.raises(ParameterError, match="fields"):
        pc.variant_maps({}, tmp_path / "x.png")
    with pytest.raises(ParameterError, match="deltas"):
        pc.difference_maps({}, tmp_path / "x.png")


def test_slug_makes_file_names():
    # lossy slugs carry a hash of the exact name, so that punctuation variants stay apart
    assert pc.slug("C (hedge trimmed, wall opened)").startswith("C-hedge-trimmed-wall-opened-")
    assert pc.slug("///").startswith("x-")
    assert pc.slug("street_1") == "street_1"
