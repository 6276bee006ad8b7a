"""Fuzz the report-input readers: ``read_metrics_csv``, ``read_fields_npz`` and the output
manifest (``verify_output``). Seeded mutations of valid files and structured garbage, at least
1,000 cases each: only the library's own errors, no hang past 10 s, no memory past 2 GB
(:mod:`_harness`)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from _harness import assert_only_library_errors

from cpted_sim.io.output_folder import OutputFolder, verify_output
from cpted_sim.io.results import TABLE_COLUMNS, read_fields_npz, read_metrics_csv, write_metrics_csv

N_CASES = 1000


def _mutate(rng: np.random.Generator, data: bytes, alphabet: bytes) -> bytes:
    """One to eight random edits: flip, insert, delete, truncate, duplicate a slice."""
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        op = int(rng.integers(0, 6))
        pos = int(rng.integers(0, len(b) + 1)) if b else 0
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = int(rng.integers(0, 256))
        elif op == 1:
            b[pos:pos] = bytes([alphabet[int(rng.integers(0, len(alphabet)))]
                                for _ in range(int(rng.integers(1, 6)))])
        elif op == 2 and b:
            del b[pos:pos + int(rng.integers(1, 16))]
        elif op == 3:
            del b[pos:]
        elif op == 4 and b:
            j = int(rng.integers(0, len(b)))
            b[pos:pos] = b[j:j + int(rng.integers(1, 64))]
        else:
            b[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8))
    return bytes(b)


def _csv_seed(tmp_path) -> bytes:
    rows = [{"variant": v, "area": a, "metric": mt, "unit": "lx", "base": 1.5, "value": -2.25,
             "delta": float("nan"), "delta_pct": None, "better": "higher", "note": "=x,\"y\""}
            for v in ("B", "北街") for a in ("street", "North side") for mt in ("E_avg", "U0")]
    return write_metrics_csv(rows, tmp_path / "seed.csv").read_bytes()


def _csv_cases(tmp_path, seed: bytes):
    rng = np.random.default_rng(1101)
    alphabet = b",\"'\r\n=+-@\t0123456789.eEnaif \x00\xff\xc3"
    header = ",".join(TABLE_COLUMNS).encode()
    for i in range(N_CASES):
        kind = i % 4
        if kind == 3:  # a header and rows of random cells
            rows = [header] + [b",".join(bytes(rng.choice(list(alphabet), int(rng.integers(0, 6))))
                                         for _ in range(int(rng.integers(0, 12))))
                               for _ in range(int(rng.integers(0, 5)))]
            data = b"\n".join(rows)
        else:
            data = _mutate(rng, seed, alphabet)
        p = tmp_path / "case.csv"
        p.write_bytes(data)
        yield p


def _npz_seed(compressed: bool) -> bytes:
    buf = io.BytesIO()
    arrays = {"base/street/E_h": np.linspace(0, 10, 12), "grid/street/shape": np.array([3, 4]),
              "grid/street/points": np.zeros((12, 3)), "B/street/dark": np.ones(12, bool),
              "f": np.asfortranarray(np.arange(6.0).reshape(2, 3))}
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def _npy_member(rng) -> bytes:
    """A .npy member with a random (often lying) header and payload."""
    descr = str(rng.choice(["<f8", "<i4", "|b1", "<c16", "|O", "<U3", ">f4", "|V8", "<m8",
                            "bogus"]))
    shape = tuple(int(x) for x in rng.choice([0, 1, 3, 7, 2**31, 10**12, -1],
                                             size=int(rng.integers(0, 4))))
    head = {"descr": descr, "fortran_order": bool(rng.integers(0, 2)), "shape": shape}
    text = repr(head) if rng.random() < 0.8 else repr(head)[: int(rng.integers(0, 30))]
    text = text.encode("latin1", "replace")
    version = [b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x09\x09"][int(rng.integers(0, 4))]
    hlen = len(text) + 1
    lenfield = hlen.to_bytes(2 if version == b"\x01\x00" else 4, "little")
    payload = bytes(rng.integers(0, 256, int(rng.integers(0, 64)), dtype=np.uint8))
    return b"\x93NUMPY" + version + lenfield + text + b"\n" + payload


def _npz_cases(tmp_path):
    rng = np.random.default_rng(1102)
    seeds = [_npz_seed(False), _npz_seed(True)]
    alphabet = bytes(range(256))
    for i in range(N_CASES):
        kind = i % 3
        if kind == 2:
            buf = io.BytesIO()
            method = zipfile.ZIP_STORED if rng.random() < 0.5 else zipfile.ZIP_DEFLATED
            with zipfile.ZipFile(buf, "w", method) as zf:
                for j in range(int(rng.integers(1, 4))):
                    name = str(rng.choice(["a.npy", "b/c.npy", "notes.txt", "a.npy", "../x.npy"]))
                    zf.writestr(f"{j}{name}" if rng.random() < 0.7 else name, _npy_member(rng))
            data = buf.getvalue()
        else:
            data = _mutate(rng, seeds[kind], alphabet)
        p = tmp_path / "case.npz"
        p.write_bytes(data)
        yield p


def _manifest_cases(tmp_path):
    rng = np.random.default_rng(1103)
    out = tmp_path / "out"
    with OutputFolder(out) as tmp:
        (tmp / "a.txt").write_bytes(b"hello")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.bin").write_bytes(bytes(range(50)))
    seed = (out / "manifest.json").read_bytes()
    alphabet = b'{}[]":,0123456789abcdef-./\\ \n\x00truefalsenull'
    for i in range(N_CASES):
        if i % 4 == 3:
            doc = {"format": "cpted_sim-output",
                   "files": {str(rng.choice(["a.txt", "sub/b.bin", "../a", "/etc/passwd", "",
                                             "sub", "x"])):
                             {"size": [5, -1, 2**70, "5", None, 50][int(rng.integers(0, 6))],
                              "sha256": str(rng.choice(["0", "", "zz"]))}
                             for _ in range(int(rng.integers(0, 4)))}}
            data = json.dumps(doc).encode()
        else:
            data = _mutate(rng, seed, alphabet)
        (out / "manifest.json").write_bytes(data)
        yield out


def test_fuzz_read_metrics_csv(tmp_path):
    seed = _csv_seed(tmp_path)
    assert len(read_metrics_csv(tmp_path / "seed.csv")) == 8
    counts = assert_only_library_errors(read_metrics_csv, _csv_cases(tmp_path, seed),
                                        label="metrics.csv case")
    assert sum(counts.values()) == N_CASES
    # measured: 63 read, 937 ResultsFormatError
    assert counts.get("ok", 0) > 20 and counts.get("ResultsFormatError", 0) > 300, counts


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile, writing the repeated keys
def test_fuzz_read_fields_npz(tmp_path):
    counts = assert_only_library_errors(read_fields_npz, _npz_cases(tmp_path),
                                        label="fields.npz case")
    assert sum(counts.values()) == N_CASES
    assert counts.get("ResultsFormatError", 0) > 500, counts  # measured: 996 (4 read)


def test_fuzz_output_manifest(tmp_path):
    counts = assert_only_library_errors(lambda p: verify_output(p, recover=False),
                                        _manifest_cases(tmp_path), label="manifest case")
    assert sum(counts.values()) == N_CASES
    assert counts.get("OutputFolderError", 0) > 500, counts  # measured: 994 (6 pass)
