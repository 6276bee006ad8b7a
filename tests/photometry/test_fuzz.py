"""Mutated valid files: a correct load or PhotometryFormatError, never another exception."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpted_sim.errors import PhotometryFormatError
from cpted_sim.photometry import detect_format
from cpted_sim.photometry.eulumdat import parse_eulumdat
from cpted_sim.photometry.ies import parse_ies
from photometry_samples import ies_text, ldt_text, smooth_c_table

_C = np.arange(0.0, 181.0, 45.0)
_G = np.arange(0.0, 91.0, 15.0)
SEEDS = [
    ies_text(_C, _G, smooth_c_table(_C, _G, "c0-c180"), per_line=4, eol="\n"),
    ies_text(np.arange(90.0, 271.0, 45.0), _G, smooth_c_table(np.arange(90.0, 271.0, 45.0), _G,
             "c90-c270"), lumens=1000, header="IESNA:LM-63-1995", eol="\n"),
    ies_text(np.arange(-90.0, 91.0, 30.0), np.arange(-90.0, 91.0, 30.0),
             np.full((7, 7), 40.0), ptype=2, eol="\n"),
    ldt_text(2, np.arange(0.0, 360.0, 90.0), _G,
             smooth_c_table(np.arange(0.0, 181.0, 90.0), _G, "c0-c180")).replace("\r\n", "\n"),
    ldt_text(3, np.arange(0.0, 360.0, 90.0), _G,
             smooth_c_table(np.arange(90.0, 271.0, 90.0), _G, "c90-c270")).replace("\r\n", "\n"),
]
JUNK = ["", "x", "-1", "-7.5", "0", "1e999", "nan", "inf", "999999999", "1,5", "[MORE]",
        "TILT=NONE", "2", "360", "180", "90", "3", "4"]


def _parse(text: str):
    kind = detect_format(text)
    if kind == "ies":
        return parse_ies(text, path="fuzz.ies")
    if kind == "ldt":
        return parse_eulumdat(text, path="fuzz.ldt")
    raise PhotometryFormatError("neither format", path="fuzz")


@st.composite
def mutated(draw):
    lines = draw(st.sampled_from(SEEDS)).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop_line", "dup_line", "drop_tok", "dup_tok", "corrupt"]))
        toks = lines[k].split(" ")
        if op == "drop_line" and len(lines) > 1:
            del lines[k]
        elif op == "dup_line":
            lines.insert(k, lines[k])
        else:
            j = draw(st.integers(0, len(toks) - 1))
            if op == "drop_tok":
                del toks[j]
            elif op == "dup_tok":
                toks.insert(j, toks[j])
            else:
                toks[j] = draw(st.sampled_from(JUNK))
            lines[k] = " ".join(toks)
    return "\n".join(lines)


@settings(max_examples=120, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_load_or_raise_format_error(text):
    try:
        d = _parse(text)
    except PhotometryFormatError as exc:
        assert "fuzz" in str(exc)
        return
    assert np.isfinite(d.candela).all() and (d.candela >= 0).all()
    assert d.c_angles[0] == 0 and d.c_angles[-1] == 360
    assert np.isfinite(d.flux)


def test_seeds_are_valid():
    for text in SEEDS:
        assert _parse(text).flux > 0
