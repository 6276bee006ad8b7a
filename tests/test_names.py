"""Names and file slugs: unique and stable for any name, bad names refused with the item."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from cpted_sim.errors import ParameterError
from cpted_sim.names import MAX_SLUG, check_name, check_unique_slugs, file_slug

_SAFE = re.compile(r"[A-Za-z0-9_.-]+")


def test_punctuation_variants_and_chinese_names_get_distinct_file_names():
    names = ["North side", "North-side", "North_side", "north side", "North  side",
             "北街", "南街", "东街", "街", "Straße", "Strasse", "x", "", "-x", ".x", "CON"]
    slugs = [file_slug(n) for n in names]
    assert len(set(slugs)) == len(names), slugs
    assert file_slug("North-side") == "North-side"  # a safe name is its own slug
    assert file_slug("North side").startswith("North-side-")
    assert file_slug("北街").startswith("x-") and file_slug("Straße").startswith("Strae-")
    assert file_slug("CON") != "CON"  # reserved on Windows
    for s in slugs:
        assert _SAFE.fullmatch(s) and not s.startswith((".", "-")), s


def test_slugs_are_stable():
    # the same name gives the same file name in every run, on every machine (SHA-256 based)
    # pinned: the first 8 hex digits of SHA-256 of the UTF-8 name
    assert file_slug("North side") == "North-side-f7cd574c"
    assert file_slug("北街") == "x-8141d63c"
    assert file_slug("A: base") == "A-base-" + __import__("hashlib").sha256(
        "A: base".encode()).hexdigest()[:8]


def test_long_names_are_cut_and_hashed():
    a, b = "x" * 100, "x" * 99 + "y"
    assert file_slug(a) != file_slug(b)
    assert len(file_slug(a)) <= MAX_SLUG + 9


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(min_size=0, max_size=30), min_size=2, max_size=6, unique=True))
def test_file_slug_is_injective_and_safe(names):
    slugs = [file_slug(n) for n in names]
    assert len(set(slugs)) == len(slugs)
    assert all(_SAFE.fullmatch(s) and s not in (".", "..") for s in slugs)


@pytest.mark.parametrize("name,match", [
    ("", "must not be empty"), ("   ", "must not be empty"), ("a/b", "'/'"),
    ("a\\b", "'/'"), ("two\nlines", "control characters"), ("nul\x00", "control characters"),
    ("tab\there", "control characters"), (3, "expected a text name"),
])
def test_check_name_refuses_bad_names_naming_the_item(name, match):
    with pytest.raises(ParameterError, match=match) as exc:
        check_name(name, "areas[2].name")
    assert str(exc.value).startswith("areas[2].name")
    assert "\n" not in str(exc.value)


def test_check_unique_slugs():
    slugs = check_unique_slugs(["North side", "North-side"], "variants")
    assert slugs["North-side"] == "North-side"
    with pytest.raises(ParameterError, match="'street' is given twice"):
        check_unique_slugs(["street", "street"], "areas")
    with pytest.raises(ParameterError, match="'Street' and 'street' would share the file name"):
        check_unique_slugs(["Street", "street"], "areas")
    with pytest.raises(ParameterError, match="areas 'a/b'"):
        check_unique_slugs(["ok", "a/b"], "areas")
