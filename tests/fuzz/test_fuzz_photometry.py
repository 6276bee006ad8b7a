"""Fuzzing the IES and EULUMDAT readers: 1,000 seeded mutations of each format, mutated from
the synthetic samples the tests write themselves and, where ``../shared`` is present, from real
manufacturer files. Every case is written to a file and read through ``load_photometry``
(the path a user's file takes), under the harness's rule: a sane distribution or a
``PhotometryFormatError``, nothing else, within 10 s and 2 GB.

Mutations: byte flips, truncation, token duplication / deletion / swaps, tokens replaced by
huge numbers, nan, inf, junk and non-ASCII digits, line duplication / deletion, and TILT lines
naming hostile paths (absolute, ``..``, ``/dev/zero``, ``/proc/self/environ``, a FIFO, a link
to a device, an oversized file, a folder).
"""

from __future__ import annotations

import os
import random
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from _harness import assert_only_library_errors

from cpted_sim.errors import PhotometryFormatError
from cpted_sim.photometry import load_photometry
from cpted_sim.photometry.ies import MAX_TILT_BYTES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "photometry"))
from photometry_samples import ies_text, ldt_text, smooth_c_table  # noqa: E402

N_CASES = 1000
SECRET = "fuzz-secret-content"

_C = np.arange(0.0, 181.0, 45.0)
_G = np.arange(0.0, 91.0, 15.0)
_FULL = np.arange(0.0, 361.0, 30.0)
SYNTHETIC_IES = [
    ies_text(_C, _G, smooth_c_table(_C, _G, "c0-c180"), per_line=4, eol="\n"),
    ies_text(np.arange(90.0, 271.0, 45.0), _G, smooth_c_table(np.arange(90.0, 271.0, 45.0), _G,
             "c90-c270"), lumens=1000, header="IESNA:LM-63-1995"),
    ies_text(np.arange(-90.0, 91.0, 30.0), np.arange(-90.0, 91.0, 30.0),
             np.full((7, 7), 40.0), ptype=2, eol="\n"),
    ies_text(np.arange(0.0, 91.0, 30.0), np.arange(-90.0, 91.0, 30.0),
             np.full((4, 7), 25.0), ptype=3, units=1, header=None, keywords={}),
    ies_text(_FULL, _G, smooth_c_table(_FULL, _G, "full"), tilt="INCLUDE",
             tilt_block=["1", "3", "0 45 90", "1 0.9 0.8"], per_line=0),
    ies_text([0.0], [0.0, 45.0, 90.0], [[100.0, 50.0, 0.0]], tilt="lamp.tlt", eol="\n"),
]
SYNTHETIC_LDT = [
    ldt_text(isym, np.arange(0.0, 360.0, 90.0), _G,
             smooth_c_table(stored, _G, kind), decimal_comma=comma, n_sets=sets)
    for isym, stored, kind, comma, sets in (
        (0, np.arange(0.0, 360.0, 90.0), "full", False, 1),
        (1, np.array([0.0]), "axial", True, 2),
        (2, np.arange(0.0, 181.0, 90.0), "c0-c180", False, 1),
        (3, np.arange(90.0, 271.0, 90.0), "c90-c270", True, 1),
        (4, np.arange(0.0, 91.0, 90.0), "both", False, 3),
    )
]

JUNK = ["", "x", "-1", "-7.5", "0", "-0", "1e308", "-1e308", "1e309", "1e-320", "9" * 400,
        "1e9", "2147483648", "99999999999999999999", "nan", "NaN", "inf", "-inf", "Infinity",
        "1,5", "1_000", "0x10", "٣", "½", "\x00", "TILT=NONE", "[MORE]", "2", "3", "4", "90",
        "180", "360", "1e5000", "\u202e", "\ufeff1"]
HOSTILE_TILT = ["/dev/zero", "/dev/urandom", "/proc/self/environ", "/etc/passwd",
                "../secret.tlt", "../../../../etc/shadow", "pipe.tlt", "zero_link.tlt",
                "out_link.tlt", "big.tlt", ".", "..", "sub", "", "lamp.tlt/..", "a" * 5000,
                "lamp.tlt\x00.x", "secret_inside.tlt", "lamp.tlt", "INCLUDE", "NONE"]


def _shared_seeds(shared_data_dir: Path | None, kind: str) -> list[bytes]:
    if shared_data_dir is None:
        return []
    folder = shared_data_dir / "photometry" / kind
    return [p.read_bytes() for p in sorted(folder.glob(f"*.{kind}"))]


def _tokens(data: bytes) -> list[bytes]:
    """Alternating [token, space, token, ...]: tokens at even indices."""
    return re.split(rb"(\s+)", data)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three mutations of ``data``, chosen and placed by ``rng``."""
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["flip", "truncate", "dup_tok", "del_tok", "swap_tok", "junk", "junk",
                         "dup_line", "del_line", "tilt", "counts"])
        if op == "flip" and data:
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b)
        elif op == "truncate" and data:
            data = data[:rng.randrange(len(data))]
        elif op in ("dup_tok", "del_tok", "swap_tok", "junk", "counts"):
            toks = _tokens(data)
            words = list(range(0, len(toks), 2))
            if not words:
                continue
            if op == "counts":     # the header counts: the first numbers after TILT / line 4
                k = words[min(len(words) - 1, rng.randrange(1, 40))]
            else:
                k = rng.choice(words)
            if op == "dup_tok":
                toks[k] = toks[k] + b" " + toks[k]
            elif op == "del_tok":
                toks[k] = b""
            elif op == "swap_tok":
                j = rng.choice(words)
                toks[k], toks[j] = toks[j], toks[k]
            else:
                toks[k] = rng.choice(JUNK).encode("utf-8")
            data = b"".join(toks)
        elif op in ("dup_line", "del_line"):
            lines = data.split(b"\n")
            k = rng.randrange(len(lines))
            if op == "dup_line":
                lines.insert(k, lines[k])
            elif len(lines) > 1:
                del lines[k]
            data = b"\n".join(lines)
        elif op == "tilt":
            spec = rng.choice(HOSTILE_TILT).encode("utf-8")
            new, n = re.subn(rb"(?im)^\s*TILT\s*=.*$", b"TILT=" + spec, data, count=1)
            data = new if n else b"TILT=" + spec + b"\n" + data
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Where every case is written: a tilt file, a FIFO, links out, an oversized tilt file and
    a secret one folder up (never to be read or quoted)."""
    root = tmp_path_factory.mktemp("fuzz_photometry")
    d = root / "cases"
    d.mkdir()
    (root / "secret.tlt").write_text(f"{SECRET}\n")
    (d / "secret_inside.tlt").write_text(f"{SECRET} 1 2\n")
    (d / "lamp.tlt").write_text("1\n3\n0 45 90\n1 0.9 0.8\n")
    (d / "sub").mkdir()
    os.mkfifo(d / "pipe.tlt")
    (d / "zero_link.tlt").symlink_to("/dev/zero")
    (d / "out_link.tlt").symlink_to(root / "secret.tlt")
    with open(d / "big.tlt", "wb") as fh:
        fh.truncate(MAX_TILT_BYTES + 1)
    return d


def _shared_dir():
    from shared_paths import shared_dir

    d = shared_dir()
    return d if d.is_dir() else None


def _reader(folder: Path, suffix: str):
    path = folder / f"case{suffix}"

    def read(data: bytes):
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():   # numpy overflow warnings are findings too
                warnings.simplefilter("error", RuntimeWarning)
                d = load_photometry(path)
        except PhotometryFormatError as exc:
            assert SECRET not in str(exc), f"an error quoted the secret: {exc}"
            assert "\n" not in str(exc) and len(str(exc)) < 1000, f"a long error: {exc!r:.300}"
            assert f"case{suffix}" in str(exc) or "TILT" in str(exc) or "tlt" in str(exc), (
                f"the error does not name the file: {exc}")
            raise
        # what loads must be a sane table
        assert np.isfinite(d.candela).all() and (d.candela >= 0).all(), "bad candela"
        assert d.c_angles[0] == 0 and d.c_angles[-1] == 360, "C range"
        assert d.gamma_angles[0] == 0 and d.gamma_angles[-1] == 180, "gamma range"
        assert np.isfinite(d.flux) and d.flux >= 0, "flux"
        return d

    return read


def _cases(seeds: list[bytes], seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [mutate(rng.choice(seeds), rng) for _ in range(N_CASES)]


@pytest.mark.parametrize("kind, synthetic, seed", [("ies", SYNTHETIC_IES, 11),
                                                    ("ldt", SYNTHETIC_LDT, 12)])
def test_fuzz_photometry(folder, kind, synthetic, seed):
    seeds = [t.encode("latin-1") for t in synthetic] + _shared_seeds(_shared_dir(), kind)
    counts = assert_only_library_errors(_reader(folder, f".{kind}"), _cases(seeds, seed),
                                        allowed=(PhotometryFormatError,), label=f"{kind} case")
    assert sum(counts.values()) == N_CASES
    # both outcomes occur: mutations that still load, and mutations that are refused
    assert counts.get("ok", 0) >= 50 and counts.get("PhotometryFormatError", 0) >= 200, counts


@pytest.mark.parametrize("kind, synthetic", [("ies", SYNTHETIC_IES), ("ldt", SYNTHETIC_LDT)])
def test_seeds_are_valid(folder, kind, synthetic):
    read = _reader(folder, f".{kind}")
    for text in synthetic:
        assert read(text.encode("latin-1")).flux > 0


def test_hostile_tilt_lines_never_load_or_leak(folder):
    base = SYNTHETIC_IES[-1].encode("latin-1")          # TILT=lamp.tlt, present in the folder
    read = _reader(folder, ".ies")
    for spec in HOSTILE_TILT:
        data = base.replace(b"TILT=lamp.tlt", b"TILT=" + spec.encode("utf-8"))
        if spec in ("lamp.tlt", "INCLUDE", "NONE"):
            continue
        with pytest.raises(PhotometryFormatError) as info:
            read(data)
        assert SECRET not in str(info.value)
