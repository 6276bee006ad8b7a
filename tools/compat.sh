#!/usr/bin/env bash
# Install the lowest and the highest numba that pyproject.toml allows, each in a throw-away
# virtual environment, and run the kernel and geometry tests on each (the kernels use
# hand-written LLVM intrinsics through llvmlite, so each numba/llvmlite pair must be tried).
#
# Slow (several minutes: two installs and two cold Numba compilations), so it is not part of
# `make test`; run it with `make compat` when the numba pins change and record the result in
# docs/compatibility.md. PyPI (or a mirror pip is configured for) must be reachable.
#
# Settings (environment): PYTHON (interpreter for the venvs, default python3),
# COMPAT_TESTS (test paths, default: the kernel and geometry tests, and the direct-light and
# visibility-graph tests, which run the photometry, direct and sightline kernels),
# COMPAT_KEEP=1 keeps the temporary folder. The two pin sets below are checked against pyproject.toml by
# tests/test_packaging.py.
set -euo pipefail

LOW_PINS="numba==0.59.* llvmlite==0.42.* numpy<2"
HIGH_PINS="numba==0.68.* llvmlite==0.50.*"

PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TESTS=${COMPAT_TESTS:-"tests/kernels tests/geometry tests/lighting/test_illuminance.py tests/visibility/test_graph.py"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cpted-compat.XXXXXX")
if [ "${COMPAT_KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$WORK"' EXIT
fi

status=0
summary=""
for name in low high; do
    if [ "$name" = low ]; then pins=$LOW_PINS; else pins=$HIGH_PINS; fi
    venv="$WORK/$name"
    echo "== $name: creating $venv with $pins" >&2
    "$PYTHON" -m venv "$venv"
    # shellcheck disable=SC2086  # the pins are separate words on purpose
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "$ROOT" pytest hypothesis $pins
    versions=$("$venv/bin/python" -c "import sys, numba, llvmlite, numpy, cpted_sim; \
print(f'python {sys.version.split()[0]}, numba {numba.__version__}, ' \
      f'llvmlite {llvmlite.__version__}, numpy {numpy.__version__}')")
    echo "== $name: $versions" >&2
    log="$WORK/$name.log"
    # Run from a copy of the tests only, so that `import cpted_sim` finds the installed
    # package and never ./src; a private Numba cache keeps the checkout's cache untouched.
    mkdir -p "$WORK/$name-tree"
    cp -r "$ROOT/tests" "$ROOT/pyproject.toml" "$WORK/$name-tree/"
    set +e
    (cd "$WORK/$name-tree" && NUMBA_NUM_THREADS=${NUMBA_NUM_THREADS:-1} \
        NUMBA_CACHE_DIR="$WORK/$name-cache" CPTED_SIM_SHARED_DATA=${CPTED_SIM_SHARED_DATA:-$ROOT/../shared/data} \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider $TESTS) >"$log" 2>&1
    rc=$?
    set -e
    if [ $rc -eq 0 ]; then tail -n 25 "$log" >&2; else tail -n 120 "$log" >&2; fi
    line=$(grep -E "(passed|failed|error)" "$log" | tail -n 1)
    summary+="$name: $versions: $line (exit $rc)"$'\n'
    [ $rc -eq 0 ] || status=1
done
echo "== compat $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m)"
printf '%s' "$summary"
exit $status
