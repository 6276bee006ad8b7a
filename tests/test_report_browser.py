"""The HTML report renders in headless Chromium: every image decodes and the table is there.

Needs Debian's ``chromium`` (``.ci/run`` installs it as root when missing); elsewhere the test
skips with the reason. The screenshot is kept in ``test_artifacts/report_browser.png``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report_standin import make_comparison  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test_artifacts"

PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var t = document.getElementById('metric-table');
  var b = document.body;
  b.setAttribute('data-images-total', String(imgs.length));
  b.setAttribute('data-images-loaded', String(ok));
  b.setAttribute('data-table-rows', String(t ? t.tBodies[0].rows.length : -1));
  b.setAttribute('data-probe', 'done');
});
</script>
</body>"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium; "
                    ".ci/run installs it when run as root)")
    return exe


def _run(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    exe = _chromium()
    tmp = tmp_path_factory.mktemp("browser")
    c = make_comparison(spacing=1.0)
    files = c.to_report(tmp / "report")
    html = files["report.html"].read_text(encoding="utf-8")
    probe = tmp / "report" / "probe.html"
    probe.write_text(html.replace("</body>", PROBE, 1), encoding="utf-8")
    dom = _run(exe, tmp / "profile-dom", "--virtual-time-budget=15000", "--dump-dom",
               probe.as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report_browser.png"
    shot.unlink(missing_ok=True)
    cap = _run(exe, tmp / "profile-shot", "--window-size=1280,2400", f"--screenshot={shot}",
               "--virtual-time-budget=15000", files["report.html"].as_uri())
    return c, files, dom, shot, cap


@pytest.mark.slow
def test_every_image_loads_and_the_table_is_present(rendered):
    c, files, dom, _, _ = rendered
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", dom.stdout)
    assert body, dom.stdout[:500]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert attrs.get("probe") == "done", attrs
    n_png = sum(1 for k in files if k.endswith(".png"))
    assert int(attrs["images-total"]) == n_png >= 9
    assert int(attrs["images-loaded"]) == n_png
    assert int(attrs["table-rows"]) == len({(r["area"], r["metric"]) for r in c.table})
    assert "Verdict" in dom.stdout and "more lights" in dom.stdout
    # the explaining sections render, and "more lights" (it only adds light) shows its gain
    for title in ("Scenario and variants", "Why these numbers", "EN 13201-2: over-lighting",
                  "Luminaires", "Provenance"):
        assert title in dom.stdout, title
    assert "more lights</b>: average light on street 7.3 -&gt; 14.0 lx (+92 %)" in dom.stdout


@pytest.mark.slow
def test_screenshot_is_not_blank(rendered):
    from matplotlib.image import imread

    _, _, _, shot, cap = rendered
    assert cap.returncode == 0 and shot.is_file(), cap.stderr[-2000:]
    img = imread(shot)[..., :3]
    assert img.shape[:2] == (2400, 1280)
    grey = img.mean(axis=2)
    assert (grey < 0.5).mean() > 0.01  # text, table lines and dark map classes
    # colour of the maps: saturated pixels (inferno oranges) appear in the first screen
    sat = img.max(axis=2) - img.min(axis=2)
    assert (sat > 0.4).mean() > 0.02
    # the table's green "better" cells render
    green = (np.abs(img - np.array([0xdc, 0xf3, 0xdc]) / 255.0).max(axis=2) < 0.02)
    assert green.sum() > 500
