"""Both languages of ``triage.html`` render in headless Chromium (issue 14 acceptance).

Needs Debian's ``chromium`` (``.ci/run`` installs it as root when missing); elsewhere the test
skips with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _triage_town import town_reports, town_scenario  # noqa: E402

from cpted_sim.errors import CptedWarning
from cpted_sim.io.triage_report import write_triage
from cpted_sim.triage.pipeline import triage


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium; "
                    ".ci/run installs it when run as root)")
    return exe


@pytest.mark.parametrize("lang,heading", [("nl", "1. Analyse"), ("en", "1. Analysis")])
def test_triage_html_renders(tmp_path, lang, heading):
    exe = _chromium()
    ids, xy, times, _ = town_reports()
    with pytest.warns(CptedWarning, match="groups of fewer than 3"):
        res = triage(town_scenario(), xy, ids, times, measures=False)
    out = tmp_path / "out"
    write_triage(res, out, lang=lang)
    page = (out / "triage.html").as_uri()
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
           "--dump-dom", page]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert heading in dom.stdout
    assert dom.stdout.count("<table>") >= 4 and "P01" in dom.stdout
