"""IES LM-63 reader and writer on files the tests write themselves."""

from __future__ import annotations

import numpy as np
import pytest

import cpted_sim.photometry as photometry
from cpted_sim.errors import PhotometryFormatError
from cpted_sim.photometry import load_photometry, read_ies
from photometry_samples import ies_text, smooth_c_table

C_FULL = np.arange(0.0, 361.0, 15.0)
G_FULL = np.arange(0.0, 181.0, 10.0)


def _write(tmp_path, text, name="lum.ies", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("header", [None, "IESNA91", "IESNA:LM-63-1995", "IESNA:LM-63-2002",
                                    "IES:LM-63-2019"])
def test_every_version_reads_the_same_table(tmp_path, header):
    h, v = np.array([0.0, 90.0, 180.0]), np.array([0.0, 45.0, 90.0])
    cd = np.array([[100, 80, 10], [100, 60, 5], [100, 70, 8]], float)
    kw = {"TEST": "T1", "LUMINAIRE": "Pole top", "MORE": "second line"}
    if header is None:  # 1986: free label lines, no keywords
        text = ies_text(h, v, cd, header="Pole top 1986", keywords={})
    else:
        text = ies_text(h, v, cd, header=header, keywords=kw)
    d = read_ies(_write(tmp_path, text))
    np.testing.assert_allclose(d.intensity([0, 90, 180, 270], 45), [80, 60, 70, 60])
    assert d.intensity(0, 135) == 0.0
    if header is not None:
        assert d.metadata["keywords"]["LUMINAIRE"] == "Pole top\nsecond line"
        assert d.name == "Pole top"


@pytest.mark.parametrize("kind,h", [
    ("axial", np.array([0.0])),
    ("both", np.arange(0.0, 91.0, 15.0)),
    ("c0-c180", np.arange(0.0, 181.0, 15.0)),
    ("c90-c270", np.arange(90.0, 271.0, 15.0)),
    ("full", np.arange(0.0, 361.0, 15.0)),
])
def test_horizontal_ranges_expand_by_their_symmetry(tmp_path, kind, h):
    stored = smooth_c_table(h, G_FULL, kind)
    d = read_ies(_write(tmp_path, ies_text(h, G_FULL, stored)))
    expected = smooth_c_table(C_FULL, G_FULL, kind)
    got = d.intensity(C_FULL[:, None], G_FULL[None, :])
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert d.c_angles[0] == 0 and d.c_angles[-1] == 360


@pytest.mark.parametrize("v", [np.arange(0.0, 91.0, 5.0), np.arange(90.0, 181.0, 5.0),
                               np.arange(0.0, 181.0, 5.0)])
def test_vertical_ranges_fill_zero_where_there_is_no_data(tmp_path, v):
    h = np.array([0.0])
    cd = 50.0 + v[None, :] / 10
    d = read_ies(_write(tmp_path, ies_text(h, v, cd)))
    assert d.gamma_angles[0] == 0 and d.gamma_angles[-1] == 180
    np.testing.assert_allclose(d.intensity(33.0, v), cd[0])
    outside = np.setdiff1d(np.arange(0.0, 181.0, 5.0), v)
    assert np.all(d.intensity(0.0, outside) == 0.0)


@pytest.mark.parametrize("per_line,eol", [(1, "\r\n"), (3, "\n"), (7, "\r"), (0, "\r\n")])
def test_numbers_wrapped_any_way_and_any_line_end(tmp_path, per_line, eol):
    stored = smooth_c_table(C_FULL, G_FULL, "full")
    ref = read_ies(_write(tmp_path, ies_text(C_FULL, G_FULL, stored), "ref.ies"))
    d = read_ies(_write(tmp_path, ies_text(C_FULL, G_FULL, stored, per_line=per_line, eol=eol)))
    np.testing.assert_array_equal(d.candela, ref.candela)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-8-sig"])
def test_latin1_and_utf8_text(tmp_path, encoding):
    text = ies_text([0.0], [0.0, 90.0], [[10, 0]],
                    keywords={"LUMINAIRE": "Lanterne élégante 3000 K"})
    d = read_ies(_write(tmp_path, text, encoding=encoding))
    assert d.name == "Lanterne élégante 3000 K"


def test_relative_photometry_multipliers_and_units(tmp_path):
    text = ies_text([0.0], [0.0, 90.0, 180.0], [[100.0, 50.0, 0.0]], lumens=1500, n_lamps=2,
                    mult=2.0, ballast=0.9, units=1, dims=(1.0, 2.0, 0.5))
    d = read_ies(_write(tmp_path, text))
    assert d.lamp_flux == 3000.0
    np.testing.assert_allclose(d.intensity(0, [0, 90]), [180.0, 90.0])
    np.testing.assert_allclose(d.metadata["luminous_opening_m"], [0.3048, 0.6096, 0.1524])
    absolute = read_ies(_write(tmp_path, ies_text([0.0], [0.0, 90.0], [[1, 0]]), "abs.ies"))
    assert absolute.lamp_flux is None


def test_pre_2002_ballast_lamp_factor_applies(tmp_path):
    text = ies_text([0.0], [0.0, 90.0], [[100.0, 0.0]], header="IESNA:LM-63-1995",
                    bl_factor=0.5)
    assert read_ies(_write(tmp_path, text)).intensity(0, 0) == 50.0
    text = ies_text([0.0], [0.0, 90.0], [[100.0, 0.0]], bl_factor=0.5)  # 2002: future use
    assert read_ies(_write(tmp_path, text, "b.ies")).intensity(0, 0) == 100.0


def test_tilt_include_and_tilt_file(tmp_path):
    block = ["1", "3", "0 45", "90", "1 0.9 0.8"]
    d = read_ies(_write(tmp_path, ies_text([0.0], [0.0, 90.0], [[10, 0]], tilt="INCLUDE",
                                           tilt_block=block)))
    np.testing.assert_array_equal(d.metadata["tilt"]["factors"], [1.0, 0.9, 0.8])
    (tmp_path / "lamp.tlt").write_text("2\n2\n0 90\n1 0.5\n")
    d = read_ies(_write(tmp_path, ies_text([0.0], [0.0, 90.0], [[10, 0]], tilt="lamp.tlt"),
                        "t.ies"))
    assert d.metadata["tilt"]["geometry"] == 2
    with pytest.raises(PhotometryFormatError, match="missing.tlt"):
        read_ies(_write(tmp_path, ies_text([0.0], [0.0, 90.0], [[10, 0]], tilt="missing.tlt"),
                        "m.ies"))


def _flux_native_b(h, v, cd):
    """Flux [lm] of a type B table integrated in its own coordinates (H is the latitude)."""
    from scipy.integrate import trapezoid
    inner = trapezoid(cd * np.cos(np.radians(h))[:, None], np.radians(h), axis=0)
    return trapezoid(inner, np.radians(v))


@pytest.mark.parametrize("ptype", [2, 3])
def test_type_b_and_a_are_turned_into_the_c_frame(tmp_path, ptype):
    h = np.arange(-90.0, 91.0, 2.5)
    v = np.arange(-90.0, 91.0, 2.5)
    hh, vv = np.meshgrid(h, v, indexing="ij")
    cd = 1000.0 * np.exp(-((hh - 10.0) ** 2 + (vv - 20.0) ** 2) / 200.0)
    d = read_ies(_write(tmp_path, ies_text(h, v, cd, ptype=ptype, fmt="{:.6g}")))
    rh, rv = np.radians(10.0), np.radians(20.0)
    if ptype == 2:  # B: polar axis local X
        peak = np.array([np.sin(rh), np.cos(rh) * np.sin(rv), -np.cos(rh) * np.cos(rv)])
    else:           # A: polar axis local Y
        peak = np.array([np.cos(rv) * np.sin(rh), np.sin(rv), -np.cos(rv) * np.cos(rh)])
    gamma = np.degrees(np.arccos(-peak[2]))
    c = np.degrees(np.arctan2(peak[1], peak[0])) % 360
    assert d.intensity(c, gamma) == pytest.approx(1000.0, rel=0.01)
    assert d.intensity(c + 180, gamma) < 1.0
    if ptype == 2:
        assert d.flux == pytest.approx(_flux_native_b(h, v, cd), rel=0.005)


def test_written_file_reads_back_to_six_digits_and_is_stable(tmp_path):
    stored = smooth_c_table(np.arange(0.0, 181.0, 15.0), np.arange(0.0, 91.0, 5.0), "c0-c180")
    d = read_ies(_write(tmp_path, ies_text(np.arange(0.0, 181.0, 15.0),
                                           np.arange(0.0, 91.0, 5.0), stored * 1.37,
                                           lumens=1234.5, mult=0.77)))
    back = read_ies(d.to_ies(tmp_path / "back.ies"))
    # 6 significant digits: relative error <= 5e-6 by construction (measured 4.5e-6)
    np.testing.assert_allclose(back.candela, d.candela, rtol=5.01e-6, atol=0)
    assert np.abs(back.candela - d.candela).max() > 0   # 17-digit products were rounded
    np.testing.assert_array_equal(back.c_angles, d.c_angles)
    np.testing.assert_array_equal(back.gamma_angles, d.gamma_angles)
    assert back.lamp_flux == pytest.approx(d.lamp_flux, rel=5.01e-6)
    again = back.to_ies(tmp_path / "again.ies")
    # a table read from a 6-digit file is written as the same file (but its [_SOURCE] line)
    first, second = ((tmp_path / n).read_text().splitlines() for n in ("back.ies", "again.ies"))
    assert [x for x in first if "_SOURCE" not in x] == [x for x in second if "_SOURCE" not in x]
    line = (tmp_path / "back.ies").read_text().splitlines()[-1]
    assert max(len(t.lstrip("-").replace(".", "").split("e")[0].lstrip("0")) for t in
               line.split()) <= 6


def test_format_is_detected_by_content_not_extension(tmp_path):
    p = _write(tmp_path, ies_text([0.0], [0.0, 90.0], [[10, 0]]), "really_ies.ldt")
    assert load_photometry(p).metadata["format"] == "IES"
    with pytest.raises(PhotometryFormatError, match="neither"):
        load_photometry(_write(tmp_path, "hello\nworld\n", "x.ies"))


# ------------------------------------------------------------------ errors
GOOD = ies_text(np.arange(0.0, 181.0, 90.0), np.arange(0.0, 181.0, 5.0),
                np.full((3, 37), 10.0), per_line=0, eol="\n")


def _lines():
    return GOOD.split("\n")


def _replace_line(k, new):
    lines = _lines()
    lines[k] = new
    return "\n".join(lines)


def _line_of(prefix):
    return next(k for k, s in enumerate(_lines()) if s.startswith(prefix))


V_LINE = _line_of("0 5 10")


@pytest.mark.parametrize("text,message,line", [
    (_replace_line(V_LINE, " ".join(str(x) for x in range(0, 176, 5))),
     "expected 37 vertical angles, found 36", V_LINE + 1),
    (_replace_line(V_LINE, "0 5 10 20 15" + " 30" * 32), "must increase: 15 follows 20",
     V_LINE + 1),
    ("\n".join(_lines()[:-2]), "expected 111 candela values (3 horizontal x 37 vertical "
     "angles), found 74", V_LINE + 3),
    (GOOD + "10\n", "expected 111 candela values (3 horizontal x 37 vertical angles), "
     "found 112", None),
    (GOOD.replace("\n10 10 10", "\n10 -3 10", 1), "negative candela value -3", None),
    (GOOD.replace(" 1 2 0.5", " 4 2 0.5"), "unknown photometric type 4", None),
    (GOOD.replace(" 1 2 0.5", " 1 3 0.5"), "units type", None),
    (GOOD.replace("TILT=NONE", "TILTED"), "expected a TILT= line", None),
    (GOOD.replace("\n10 10 10", "\n10 1O 10", 1), "expected a number for candela values, "
     "found '1O'", None),
    (GOOD.replace("\n10 10 10", "\n10 nan 10", 1), "finite number", None),
    (GOOD.replace("0 90 180", "0 90 170"), "horizontal angles run 0 .. 170", None),
    ("IESNA:LM-63-2002\nTILT=NONE\n1 -1 1 3", "found the end of the file", 3),
])
def test_malformed_files_say_where_and_what(tmp_path, text, message, line):
    p = _write(tmp_path, text, "street.ies")
    with pytest.raises(PhotometryFormatError) as err:
        read_ies(p)
    assert message in str(err.value)
    assert str(err.value).startswith("street.ies line ")
    if line is not None:
        assert err.value.line == line


def test_90_270_range_without_a_180_plane_interpolates_c0(tmp_path):
    h = np.array([90.0, 135.0, 225.0, 270.0])
    cd = np.array([[10.0, 0.0], [20.0, 0.0], [40.0, 0.0], [10.0, 0.0]])
    d = read_ies(_write(tmp_path, ies_text(h, [0.0, 90.0], cd)))
    # C0 lies halfway between C315 (mirror of 225) and C45 (mirror of 135)
    assert d.intensity(0.0, 0.0) == pytest.approx(30.0)
    assert d.intensity(180.0, 0.0) == pytest.approx(30.0)
    np.testing.assert_allclose(d.intensity([45, 135, 225, 315], 0), [20, 20, 40, 40])


@pytest.mark.parametrize("reader", ["read_ies", "read_eulumdat", "load_photometry"])
def test_a_missing_file_is_a_format_error_naming_it(tmp_path, reader):
    path = tmp_path / "absent.ies"
    with pytest.raises(PhotometryFormatError, match="cannot read the file") as exc:
        getattr(photometry, reader)(path)
    assert exc.value.path == str(path)
