"""Fuzzing the scenario reader: 1,200 seeded mutations of the shipped demo scenario and of a
scenario that uses every key (file keys included), read with ``loads_scenario`` and their
assets loaded, under the harness's rule: a scenario or a ``ScenarioFileError``, nothing else,
within 10 s and 2 GB.

Half the cases are mutated as data (a value of the wrong type, a missing key, an unknown key,
a hostile path, unicode, a deeply nested value, a duplicated item) and written back with the
library's TOML writer; half as text (byte flips, truncation, duplicated or deleted lines,
thousands of ``[`` or ``{``). What loads must also survive a save and load unchanged.
"""

from __future__ import annotations

import os
import random
import shutil

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pytest
from _harness import assert_only_library_errors
from _scenario_text import FULL_WITH_FILES

from cpted_sim.errors import ScenarioFileError
from cpted_sim.io._toml import dumps
from cpted_sim.io.scenario_file import dumps_scenario, loads_scenario
from cpted_sim.scenario.demo import DEMO_IES_FILE, demo_scenario_path

N_CASES = 1200
SECRET = "fuzz-secret-content"

EVERY_KEY = FULL_WITH_FILES  # every key, file keys included

PATHS = ["../lamp.ies", "/dev/zero", "/dev/urandom", "/proc/self/environ", "/etc/passwd",
         "pipe.ies", "zero.obj", "out_link.ies", "sub", ".", "", "street.obj", "lamp.ies",
         DEMO_IES_FILE, "sub/../lamp.ies", "sub/../../lamp.ies", "lamp.ies\x00x", "a" * 5000,
         "C:\\lamp.ies", "~/lamp.ies", "secret.ies"]
VALUES = PATHS + [
    "x", "ñandú 💡", "\u202e\u0301", "\t", "\x7f", "名前", "base", "P3", "M2", "window",
    0, -1, 1, 2, 10**18, -(2**63), 10**400, "b" * 200_000, 1.5, -0.0, 1e-320, 1e308, -1e308,
    float("nan"), float("inf"), float("-inf"), True, False, [], [1], [1.0, 2.0, 3.0],
    [[1, 2], [3, 4]], ["x", "y"], [[1, 2, 3]] * 3, {}, {"a": 1}, {"builtin": "isotropic"}, {"op": "nope"},
]
UNKNOWN = ["colour", "Name", "name ", "op", "builtin", "mesh", "π", "", "a.b", "[x]"]


def _paths(obj, prefix=()):
    """Every (path, value) inside ``obj``: dict keys and list indices."""
    out = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) \
        if isinstance(obj, list) else ()
    for k, v in items:
        out.append((prefix + (k,), v))
        out.extend(_paths(v, prefix + (k,)))
    return out


def _parent(data, path):
    for k in path[:-1]:
        data = data[k]
    return data


def _deep(depth: int):
    v = 1
    for _ in range(depth):
        v = [v]
    return v


def mutate_data(data: dict, rng: random.Random) -> str:
    """Mutate the parsed TOML once to three times and write it back as TOML text."""
    for _ in range(rng.randint(1, 3)):
        paths = _paths(data)
        if not paths:
            break
        path, value = rng.choice(paths)
        parent = _parent(data, path)
        key = path[-1]
        op = rng.choice(["value", "value", "value", "path", "delete", "unknown", "dup",
                         "wrap", "deep", "empty", "number", "number", "number"])
        if op == "number":         # a plausible edit: often still a valid scenario
            nums = [(p, v) for p, v in paths
                    if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if nums:
                path, value = rng.choice(nums)
                _parent(data, path)[path[-1]] = type(value)(value * rng.choice([0.5, 2, 3]))
        elif op == "value":
            parent[key] = rng.choice(VALUES)
        elif op == "path":
            parent[key] = rng.choice(PATHS)
        elif op == "delete":
            del parent[key]
        elif op == "unknown":
            target = value if isinstance(value, dict) else parent
            if isinstance(target, dict):
                target[rng.choice(UNKNOWN)] = rng.choice(VALUES)
        elif op == "dup" and isinstance(parent, list):
            parent.insert(key, parent[key])
        elif op == "wrap":
            parent[key] = [value]
        elif op == "deep":
            parent[key] = _deep(rng.choice([5, 50, 200]))
        elif op == "empty":
            parent[key] = type(value)() if isinstance(value, (list, dict, str)) else []
    sections = tuple(k for k in ("scene", "materials", "thresholds", "run")
                     if isinstance(data.get(k), dict))
    return dumps(data, sections=sections)


def mutate_text(text: str, rng: random.Random) -> str:
    """Mutate the TOML text itself once to three times."""
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(["flip", "truncate", "dup_line", "del_line", "nest", "unicode",
                         "multiline", "bignum"])
        lines = text.split("\n")
        k = rng.randrange(len(lines))
        if op == "flip" and text:
            chars = list(text)
            for _ in range(rng.randint(1, 6)):
                chars[rng.randrange(len(chars))] = chr(rng.choice(
                    [rng.randrange(32, 127), rng.randrange(0, 32), rng.randrange(128, 0x3000)]))
            text = "".join(chars)
        elif op == "truncate":
            text = text[:rng.randrange(len(text) + 1)]
        elif op == "dup_line":
            lines.insert(k, lines[k])
            text = "\n".join(lines)
        elif op == "del_line":
            del lines[k]
            text = "\n".join(lines)
        elif op == "nest":
            n = rng.choice([100, 400, 2_000, 10_000])
            opener = rng.choice(["[", "{ a = "])
            lines.insert(k, "deep = " + opener * n)
            text = "\n".join(lines)
        elif op == "bignum":
            lines.insert(k, rng.choice(["epsg = ", "x = ", "threads = "]) + rng.choice(
                ["1" * 5000, "0x" + "f" * 3000, "1e" + "9" * 3000, "9" * 400 + ".5"]))
            text = "\n".join(lines)
        elif op == "multiline":
            lines.insert(k, rng.choice(['note = """', "note = '''"]) + "\n[[areas\n[scene"
                         + rng.choice(['"""', "'''"]))
            text = "\n".join(lines)
        else:
            lines.insert(k, rng.choice(["名前 = 1", "\"ñ\" = \"💡\"", "x = \"\u202e\"",
                                        "[\"π\"]", "name = \"\\u0000\"",
                                        "name = \"\\u007f\\u0085\\u2028\\ud7ff\""]))
            text = "\n".join(lines)
    return text


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The scenario's folder: a mesh, the demo's IES file, a FIFO, links out and a secret
    one folder up (never to be read or quoted)."""
    root = tmp_path_factory.mktemp("fuzz_scenario")
    d = root / "scenario"
    d.mkdir()
    (root / "lamp.ies").write_text(f"{SECRET}\n")
    (root / "secret.ies").write_text(f"{SECRET}\n")
    ies = demo_scenario_path().parent / DEMO_IES_FILE
    shutil.copy(ies, d / DEMO_IES_FILE)
    shutil.copy(ies, d / "lamp.ies")
    (d / "street.obj").write_text("o ground\nv 0 0 0\nv 40 0 0\nv 40 20 0\nv 0 20 0\n"
                                  "f 1 2 3\nf 1 3 4\n")
    (d / "sub").mkdir()
    os.mkfifo(d / "pipe.ies")
    (d / "zero.obj").symlink_to("/dev/zero")
    (d / "out_link.ies").symlink_to(root / "secret.ies")
    return d


def _reader(folder):
    path = folder / "case.toml"

    def read(text: str):
        try:
            sc = loads_scenario(text, path=path)
        except ScenarioFileError as exc:
            assert SECRET not in str(exc), f"an error quoted the secret: {exc}"
            assert len(str(exc)) < 1000, f"a long error: {exc!r:.300}"
            raise
        # what loads is inside the folder; saving it writes TOML that loads again and saves
        # as the same text (floats are written to 12 digits, so the first save may round)
        for lum in sc.luminaires:
            if lum.photometry.file:
                assert lum.photometry.file.startswith(str(folder)), lum.photometry.file
        try:
            first = dumps_scenario(sc, base_dir=folder)
            again = loads_scenario(first, path=path, load_assets=False)
        except Exception as exc:  # noqa: BLE001 - any failure here is the writer's finding
            raise AssertionError(f"a loaded scenario did not save and load again: "
                                 f"{type(exc).__name__}: {exc}") from None
        assert dumps_scenario(again, base_dir=folder) == first, "save, load, save differs"
        return sc

    return read


def _seeds() -> list[str]:
    return [demo_scenario_path().read_text(encoding="utf-8"), EVERY_KEY]


def _cases(seed: int) -> list[str]:
    rng = random.Random(seed)
    seeds = _seeds()
    cases = []
    for _ in range(N_CASES):
        text = rng.choice(seeds)
        if rng.random() < 0.5:
            cases.append(mutate_data(tomllib.loads(text), rng))
        else:
            cases.append(mutate_text(text, rng))
    return cases


def test_seeds_load(folder):
    read = _reader(folder)
    for text in _seeds():
        assert read(text).luminaires


@pytest.mark.slow
def test_fuzz_scenario(folder):
    counts = assert_only_library_errors(_reader(folder), _cases(21),
                                        allowed=(ScenarioFileError,), label="scenario case")
    assert sum(counts.values()) == N_CASES
    # both outcomes occur: mutations that still load, and mutations that are refused
    assert counts.get("ok", 0) >= 100 and counts.get("ScenarioFileError", 0) >= 300, counts
