"""What the photometry readers agree to open: IES ``TILT=<file>`` lines and the IES and
EULUMDAT files themselves (regular, bounded, the tilt file inside the IES file's folder)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cpted_sim.errors import PhotometryFormatError
from cpted_sim.photometry import load_photometry, read_eulumdat, read_ies
from cpted_sim.photometry.eulumdat import parse_eulumdat
from cpted_sim.photometry.ies import MAX_CANDELA, MAX_PHOTOMETRY_BYTES, MAX_TILT_BYTES, parse_ies
from photometry_samples import ies_text, ldt_text, smooth_c_table

SECRET = "hunter2-do-not-print"


def _ies(folder, tilt, name="lum.ies"):
    p = folder / name
    p.write_text(ies_text([0.0], [0.0, 90.0], [[10, 0]], tilt=tilt), encoding="utf-8")
    return p


@pytest.fixture
def project(tmp_path):
    """``tmp_path/project`` holding the IES files; a secret file one folder up."""
    inner = tmp_path / "project"
    inner.mkdir()
    (tmp_path / "secret.tlt").write_text(f"{SECRET}\n", encoding="utf-8")
    return inner


def test_a_tilt_file_beside_the_ies_file_is_read(project):
    (project / "lamp.tlt").write_text("2\n2\n0 90\n1 0.5\n")
    d = read_ies(_ies(project, "lamp.tlt"))
    assert d.metadata["tilt"]["geometry"] == 2
    sub = project / "tilt"
    sub.mkdir()
    (sub / "lamp.tlt").write_text("1\n2\n0 90\n1 0.5\n")
    assert read_ies(_ies(project, "tilt/lamp.tlt", "sub.ies")).metadata["tilt"]["geometry"] == 1


@pytest.mark.parametrize("spec, message", [
    ("{outside}", "outside the folder"),        # absolute path
    ("../secret.tlt", "outside the folder"),     # climbing out
    ("/proc/self/environ", "outside the folder"),
    ("/dev/zero", "outside the folder"),
    ("/dev/urandom", "outside the folder"),
    ("missing.tlt", "no such file"),
])
def test_tilt_paths_outside_the_folder_are_refused(project, spec, message):
    spec = spec.format(outside=project.parent / "secret.tlt")
    with pytest.raises(PhotometryFormatError, match=message) as info:
        read_ies(_ies(project, spec))
    text = str(info.value)
    assert "lum.ies line 4" in text and "TILT=NONE" in text
    assert SECRET not in text


def test_tilt_link_out_of_the_folder_is_refused(project):
    (project / "zero.tlt").symlink_to("/dev/zero")
    (project / "secret_link.tlt").symlink_to(project.parent / "secret.tlt")
    for name in ("zero.tlt", "secret_link.tlt"):
        with pytest.raises(PhotometryFormatError, match="outside the folder") as info:
            read_ies(_ies(project, name))
        assert SECRET not in str(info.value)


def test_tilt_fifo_and_oversized_file_are_refused(project):
    os.mkfifo(project / "pipe.tlt")        # reading it would block for ever
    with pytest.raises(PhotometryFormatError, match="not a regular file"):
        read_ies(_ies(project, "pipe.tlt"))
    (project / "big.tlt").write_bytes(b"1\n0\n" + b" " * MAX_TILT_BYTES)
    with pytest.raises(PhotometryFormatError, match=f"more than the {MAX_TILT_BYTES} bytes"):
        read_ies(_ies(project, "big.tlt"))


def test_tilt_errors_do_not_quote_the_tilt_file(project):
    (project / "word.tlt").write_text(f"{SECRET} 2 3\n")
    (project / "count.tlt").write_text("1\n3\n0 45\n")       # 3 angles announced, 2 given
    (project / "order.tlt").write_text("1\n3\n0 77 45\n1 1 1\n")
    for name, expected in (("word.tlt", "lamp-to-luminaire geometry"),
                           ("count.tlt", "tilt angles"), ("order.tlt", "must increase")):
        with pytest.raises(PhotometryFormatError, match=expected) as info:
            read_ies(_ies(project, name))
        text = str(info.value)
        assert f"{name} line" in text and "not quoted" in text
        assert SECRET not in text and "77" not in text


def test_tilt_file_in_a_string_has_no_folder(project):
    text = ies_text([0.0], [0.0, 90.0], [[10, 0]], tilt="lamp.tlt")
    with pytest.raises(PhotometryFormatError, match="line 4: TILT=lamp.tlt refers to a tilt "
                                                    "file, but the text was given without"):
        parse_ies(text)
    with pytest.raises(PhotometryFormatError, match="line 4: TILT= names nothing"):
        parse_ies(text.replace("TILT=lamp.tlt", "TILT="), path=project / "x.ies")


@pytest.mark.parametrize("reader", [read_ies, read_eulumdat, load_photometry])
def test_photometric_files_must_be_regular_and_bounded(tmp_path, reader):
    (tmp_path / "zero.ies").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.ldt")
    for name in ("zero.ies", "pipe.ldt"):
        with pytest.raises(PhotometryFormatError, match="not a regular file"):
            reader(tmp_path / name)
    big = tmp_path / "big.ies"
    with open(big, "wb") as fh:             # sparse: no disk space taken
        fh.truncate(MAX_PHOTOMETRY_BYTES + 1)
    with pytest.raises(PhotometryFormatError, match="bytes accepted"):
        reader(big)
    with pytest.raises(PhotometryFormatError, match="no such file"):
        reader(tmp_path / "none.ldt")


def test_a_eulumdat_file_is_still_read(tmp_path):
    c, g = np.arange(0.0, 360.0, 90.0), np.arange(0.0, 91.0, 15.0)
    p = tmp_path / "lum.ldt"
    p.write_text(ldt_text(1, c, g, smooth_c_table(c[:1], g, "axial")), encoding="latin-1")
    assert read_eulumdat(p).flux > 0


def test_errors_stay_short_for_huge_tokens_and_paths(tmp_path):
    text = ies_text([0.0], [0.0, 90.0], [[10, 0]])
    text = text.replace("1 -1 1 2 1", "x" * 100_000 + " -1 1 2 1")
    with pytest.raises(PhotometryFormatError, match="number of lamps, found 'xxx") as info:
        parse_ies(text, path=tmp_path / "lum.ies")
    assert len(str(info.value)) < 300                       # measured 105
    with pytest.raises(PhotometryFormatError, match="TILT=a") as info:
        read_ies(_ies(tmp_path, "a" * 5000))
    assert len(str(info.value)) < 1000                      # measured 751


def test_intensities_that_would_overflow_are_refused(tmp_path):
    # found by the fuzz suite: 1e308 cd times a multiplier of 2 gave inf candela and flux
    with pytest.raises(PhotometryFormatError, match="more than the 1e\\+12 cd") as info:
        parse_ies(ies_text([0.0], [0.0, 90.0], [[1e308, 0]], mult=2.0), path=tmp_path / "a.ies")
    assert info.value.line == 9                          # the first candela line
    ok = parse_ies(ies_text([0.0], [0.0, 90.0], [[MAX_CANDELA, 0]]), path=tmp_path / "b.ies")
    assert ok.intensity(0.0, 0.0) == MAX_CANDELA
    c, g = np.arange(0.0, 360.0, 90.0), np.arange(0.0, 91.0, 15.0)
    with pytest.raises(PhotometryFormatError, match="more than the 1e\\+12 cd"):
        parse_eulumdat(ldt_text(1, c, g, np.full((1, g.size), 1e300), conv=1e10),
                       path=tmp_path / "c.ldt")
