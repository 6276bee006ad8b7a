"""EULUMDAT reader on files the tests write themselves (every symmetry, commas, lamp sets)."""

from __future__ import annotations

import numpy as np
import pytest

from cpted_sim.errors import PhotometryFormatError
from cpted_sim.photometry import load_photometry, read_eulumdat
from photometry_samples import ldt_text, smooth_c_table

C24 = np.arange(0.0, 360.0, 15.0)
G = np.arange(0.0, 181.0, 5.0)
KIND = {0: "full", 1: "axial", 2: "c0-c180", 3: "c90-c270", 4: "both"}
STORED = {0: C24, 1: np.array([0.0]), 2: C24[C24 <= 180], 3: C24[(C24 >= 90) & (C24 <= 270)],
          4: C24[C24 <= 90]}


def _write(tmp_path, text, name="lum.ldt", encoding="latin-1"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("isym", [0, 1, 2, 3, 4])
def test_every_symmetry_expands_to_the_full_sphere(tmp_path, isym):
    c_file = C24 if isym != 1 else np.array([0.0])
    stored = smooth_c_table(STORED[isym], G, KIND[isym])
    d = read_eulumdat(_write(tmp_path, ldt_text(isym, c_file, G, stored, flux=2000.0)))
    c_all = np.arange(0.0, 361.0, 15.0)
    expected = smooth_c_table(c_all, G, KIND[isym]) * 2.0  # cd/klm x 2 klm
    np.testing.assert_allclose(d.intensity(c_all[:, None], G[None, :]), expected, atol=1e-9)


def test_non_equidistant_angles_decimal_commas_latin1(tmp_path):
    c = np.array([0, 10, 30, 60, 90, 120, 150, 170, 180, 190, 210, 240, 270, 300, 330, 350.0])
    g = np.array([0, 10, 20, 40, 60, 70, 75, 80, 85, 90.0])
    stored = smooth_c_table(c[c <= 180], g, "c0-c180")
    text = ldt_text(2, c, g, stored + 0.25, flux=500.0, decimal_comma=True,
                    name="Leuchte für Straßen")
    assert "0,25" in text or ",25" in text
    d = read_eulumdat(_write(tmp_path, text))
    assert d.name == "Leuchte für Straßen"
    np.testing.assert_allclose(d.intensity(c[:, None], g[None, :]),
                               (smooth_c_table(c, g, "c0-c180") + 0.25) * 0.5, atol=1e-9)
    assert np.all(d.intensity(0, [100, 180]) == 0)


def test_intensities_refer_to_the_first_lamp_set(tmp_path):
    stored = smooth_c_table([0.0], G, "axial")
    d = read_eulumdat(_write(tmp_path, ldt_text(1, [0.0], G, stored, flux=3000.0, n_sets=3,
                                                conv=1.5)))
    assert d.lamp_flux == 3000.0
    assert len(d.metadata["lamp_sets"]) == 3
    np.testing.assert_allclose(d.intensity(0, G), stored[0] * 3.0 * 1.5)
    assert d.metadata["declared_flux"] == pytest.approx(3000.0 * 0.8)


def test_ldt_is_detected_by_content(tmp_path):
    p = _write(tmp_path, ldt_text(1, [0.0], G, smooth_c_table([0.0], G, "axial")), "x.txt")
    assert load_photometry(p).metadata["format"] == "EULUMDAT"


GOOD = ldt_text(2, C24, G, np.full((13, 37), 5.0))


@pytest.mark.parametrize("text,message,line", [
    (GOOD.replace("\r\n2\r\n24\r\n", "\r\n2\r\n23\r\n", 1), "divisible by 2", 4),
    (GOOD.replace("\r\n2\r\n24\r\n", "\r\n7\r\n24\r\n", 1), "Isym as a whole number", 3),
    ("\r\n".join(GOOD.split("\r\n")[:-30]), "expected 481 intensities (13 C planes x 37 "
     "gamma angles for Isym 2), found 452", None),
    (GOOD[: GOOD.rindex("5\r\n")] + "-5\r\n", "negative intensity -5", None),
    ("\r\n".join(GOOD.split("\r\n")[:20]), "found the end of the file", None),
    (GOOD.replace("\r\n2\r\n24\r\n15\r\n", "\r\n2\r\n24\r\nabc\r\n", 1),
     "expected a number for the distance between C planes", 5),
])
def test_malformed_ldt_says_where_and_what(tmp_path, text, message, line):
    with pytest.raises(PhotometryFormatError) as err:
        read_eulumdat(_write(tmp_path, text, "road.ldt"))
    assert message in str(err.value)
    assert str(err.value).startswith("road.ldt")
    if line is not None:
        assert err.value.line == line
