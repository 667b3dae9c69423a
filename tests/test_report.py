"""`ltr report`: one self-contained HTML page, checked in a real browser (Debian's headless Chromium, which
`scripts/install_browser.sh` installs): it loads without console messages, its script sorts the per-sequence
table, and a screenshot shows the tables; and the LaTeX tables.

The result sets are the attribute fixture's (``data/attributes``, scored per attribute against pytracking in
``test_attributes.py``) over a copy of its LaSOT tree given frames here.
"""

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr

DATA = Path(__file__).parent / "data" / "attributes"
HOSTILE = '<script>alert(1)</script>'


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("no Chromium: this test drives a real browser; `bash scripts/install_browser.sh` installs Debian's")


def browse(url: str, tmp: Path, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url``; its console messages go to stderr as ``...:CONSOLE:...`` lines."""
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp / 'profile'}", *flags, url],
                          capture_output=True, text=True, timeout=120)


def console(out: subprocess.CompletedProcess) -> list[str]:
    return [l for l in out.stderr.splitlines() if ":CONSOLE" in l]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    tree = tmp / "lasot"
    shutil.copytree(DATA / "lasot", tree)
    rng = np.random.default_rng(0)
    for gt_file in sorted(tree.rglob("groundtruth.txt")):        # frames: a texture and the target drawn on it
        gt = np.loadtxt(gt_file, delimiter=",")
        (gt_file.parent / "img").mkdir()
        base = cv2.resize(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), (640, 480))
        for i, (x, y, w, h) in enumerate(gt):
            img = base.copy()
            cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), (30, 160, 220), -1)
            cv2.imwrite(str(gt_file.parent / "img" / f"{i + 1:08d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    out = run_ltr("report", str(DATA / "results" / "atom"), str(DATA / "results" / "pysot-tracker"),
                  "--dataset", f"lasot:{tree}", "--label", "atom", "--label", HOSTILE, "--strips", "2",
                  "-o", str(tmp / "report.html"), "--workspace", str(tmp / "ws"))
    assert out.returncode == 0, out.stderr
    return tmp, out


def test_the_page_is_one_file_with_every_part_and_nothing_from_the_network(report):
    tmp, out = report
    assert re.fullmatch(r"wrote \S+report\.html \(\d\.\d MB\): 3 result sets, 15 sequences, 14 attributes\n",
                        out.stdout), out.stdout
    page = (tmp / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", page)
    images = re.findall(r'<img alt="([^"]*)" src="data:image/(png|jpeg);base64,', page)
    alts = [a for a, _ in images]
    assert alts[:3] == ["success", "precision", "norm_precision"] and "radar" in alts
    assert len([a for a in alts if a.startswith("frames of ")]) == 2 and len(images) == page.count("<img")
    for heading in ("Overall", "Curves", "Attributes", "Sequences", "Where the results differ most"):
        assert f"<h2>{heading}</h2>" in page
    assert '<td>VC Viewpoint Change</td><td data-v="1">1</td>' in page
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page      # labels are escaped
    # the two strips are the sequences whose AUC differs most between the sets, the largest gap first
    rows = re.findall(r'<tr><td>([\w-]+)</td><td data-v="([\d.]+)">[^<]*</td><td data-v="([\d.]+)">[^<]*</td>'
                      r'<td data-v="([\d.]+)">', page)
    gaps = sorted(((max(map(float, r[1:])) - min(map(float, r[1:])), r[0]) for r in rows), reverse=True)
    assert re.findall(r'<div class="strip"><h3>([\w-]+)</h3>', page) == [gaps[0][1], gaps[1][1]]


def test_chromium_loads_it_without_console_messages_sorts_it_and_shows_the_tables(report):
    tmp, _ = report
    bad = tmp / "bad.html"                       # the check itself: a page with an error is seen to have one
    bad.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    assert any("undefinedFunction is not defined" in l for l in console(browse(bad.as_uri(), tmp, "--dump-dom")))

    dom = browse((tmp / "report.html").as_uri() + "#sort=atom_run001-asc", tmp, "--dump-dom")
    assert dom.returncode == 0 and not console(dom), console(dom)
    assert 'class="sortable sequences ready"' in dom.stdout and 'data-sorted="atom_run001-asc"' in dom.stdout
    table = dom.stdout[dom.stdout.index('class="sortable sequences ready"'):]
    column = [float(r[2]) for r in re.findall(r'<tr><td>([\w-]+)</td><td data-v="([\d.]+)">[^<]*</td>'
                                              r'<td data-v="([\d.]+)">', table)]
    assert len(column) == 15 and column == sorted(column)                 # the script sorted it, ascending

    shot = tmp / "shot.png"
    out = browse((tmp / "report.html").as_uri(), tmp, "--window-size=1200,900", f"--screenshot={shot}")
    assert out.returncode == 0 and not console(out), out.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (900, 1200) and img.std() > 20         # not blank
    header = np.all(np.abs(img.astype(int) - (121, 78, 31)) <= 2, axis=2)             # the tables' header blue
    rows = np.flatnonzero(header.sum(1) > 100)
    assert len(rows) > 30 and rows.min() < 300, (len(rows), rows[:5])   # the overall table, near the top


def test_latex_tables_and_a_missing_output_folder(report, tmp_path):
    tmp, _ = report
    out = run_ltr("report", str(DATA / "results" / "atom"), str(DATA / "results" / "pysot-tracker"),
                  "--dataset", f"lasot:{tmp / 'lasot'}", "--format", "latex", "-o", str(tmp_path / "t.tex"),
                  "--workspace", str(tmp / "ws"))
    assert out.returncode == 0, out.stderr
    tex = (tmp_path / "t.tex").read_text()
    assert tex.count(r"\begin{tabular}") == 2 and r"atom\_run000 &" in tex and "& VC (1) &" in tex
    out = run_ltr("report", str(DATA / "results" / "atom"), "--dataset", f"lasot:{tmp / 'lasot'}",
                  "-o", str(tmp_path / "nowhere" / "r.html"), "--workspace", str(tmp / "ws"))
    assert out.returncode == 2 and out.stderr.startswith("error: -o ") and "does not exist" in out.stderr
    assert not (tmp_path / "nowhere").exists()


def test_frames_are_picked_where_the_sets_differ_and_a_short_result_counts_as_lost_after_its_end():
    from ltr_core.evaluation.report import pick_frames

    gt = np.tile([10.0, 10.0, 20.0, 20.0], (30, 1))
    drifting = gt.copy()
    drifting[20:, 0] += 15                                   # off the target from frame 21 on
    assert pick_frames(gt, [gt, drifting], 2) == [20, 27]  # differing frames, at least 30 // 4 = 7 apart
    assert pick_frames(gt, [gt[:12], gt], 3) == [12, 17, 22]     # results may stop early outside LaSOT's rules
