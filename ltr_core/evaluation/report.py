"""``ltr report``: one self-contained HTML page comparing result sets on a benchmark.

The page holds the overall table, the success, precision and normalized precision plots, the attribute table and
radar (where the benchmark has attributes), a per-sequence table that sorts by any column, and, for the sequences
where the result sets differ most, strips of frames with the ground truth and every set's box drawn. Images are
embedded (``data:`` URLs) and the page loads nothing from the network, so it can be mailed or archived as one file.
"""

from __future__ import annotations

import base64
import html
import tempfile
from pathlib import Path

import cv2
import numpy as np

from ltr_core.data.dataset import DataError, VideoDataset
from ltr_core.evaluation.attributes import Attributes, write_attribute_outputs
from ltr_core.evaluation.metrics import as_xywh, box_overlaps, parse_result_text
from ltr_core.evaluation.plots import PALETTE
from ltr_core.evaluation.published import Run
from ltr_core.evaluation.score import over_runs, write_plots

GT_COLOUR = (255, 255, 255)      # RGB; drawn over a black outline so it reads on any frame
THUMB_HEIGHT = 150

CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1400px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #1f4e79; color: #fff; }
table.sortable thead th { cursor: pointer; user-select: none; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
td.best { font-weight: bold; }
.plots img { width: 32%; min-width: 320px; margin-right: 1%; }
.radar img { width: 560px; }
.strip { margin: 12px 0 20px; } .strip img { max-width: 100%; }
.key span { display: inline-block; margin-right: 14px; } .key i { display: inline-block; width: 22px; height: 4px;
  vertical-align: middle; margin-right: 5px; }
.note { color: #666; font-size: 12px; }
"""

# sorts a table.sortable by the clicked column (numbers as numbers); `#sort=<column>-<asc|desc>` in the URL sorts
# on load, so a page opened at that address shows the order it names
SCRIPT = """
(function () {
  function key(cell) {
    var t = cell.getAttribute('data-v') || cell.textContent.trim();
    var n = parseFloat(t);
    return isNaN(n) ? t.toLowerCase() : n;
  }
  function sortBy(table, col, dir) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      var c = (x < y) ? -1 : (x > y) ? 1 : 0;
      return dir === 'asc' ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) { heads[i].classList.remove('asc', 'desc'); }
    heads[col].classList.add(dir);
    table.setAttribute('data-sorted', heads[col].textContent + '-' + dir);
  }
  var tables = document.querySelectorAll('table.sortable');
  tables.forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        sortBy(table, col, th.classList.contains('desc') ? 'asc' : 'desc');
      });
    });
    var m = /sort=([^&]+)-(asc|desc)/.exec(decodeURIComponent(location.hash));
    if (m) {
      Array.prototype.forEach.call(heads, function (th, col) {
        if (th.textContent === m[1]) { sortBy(table, col, m[2]); }
      });
    }
    table.classList.add('ready');
  });
})();
"""


def _png(img_bgr: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", img_bgr)
    if not ok:
        raise ValueError("cannot encode an image")
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _jpeg(img_bgr: np.ndarray) -> str:
    ok, buf = cv2.imencode(".jpg", img_bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ValueError("cannot encode an image")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _file(path: Path) -> str:
    return _png(cv2.imread(str(path)))


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def most_different(scores: dict[str, dict], k: int) -> list[str]:
    """The ``k`` sequences whose AUC differs most between result sets (with one set: its ``k`` lowest)."""
    labels = list(scores)
    names = list(scores[labels[0]]["per_sequence"])
    auc = np.array([[scores[l]["per_sequence"][n]["auc"] for l in labels] for n in names])
    key = auc.max(1) - auc.min(1) if len(labels) > 1 else -auc[:, 0]
    order = np.argsort(-key, kind="stable")
    return [names[i] for i in order[:k]]


def pick_frames(gt: np.ndarray, boxes: list[np.ndarray], n: int) -> list[int]:
    """``n`` frames in time order where the sets' overlaps with the ground truth differ most (with one set: where
    it overlaps least), at least a ``len/(2n)`` apart; the first frame is never picked (every tracker starts from
    the ground truth there)."""
    length = len(gt)
    if length <= n + 1:
        return list(range(1, length)) or [0]
    # a result shorter than the sequence (allowed outside LaSOT's rules) overlaps nothing after its end, as
    # scoring pads it with zero boxes
    padded = [np.concatenate([b[:length], np.zeros((max(0, length - len(b)), 4))]) for b in boxes]
    ious = np.stack([box_overlaps(np.nan_to_num(b), np.nan_to_num(gt)) for b in padded])
    key = ious.max(0) - ious.min(0) if len(boxes) > 1 else 1 - ious[0]
    key[0] = -1
    gap = max(1, length // (2 * n))
    chosen: list[int] = []
    for i in np.argsort(-key, kind="stable"):
        if i > 0 and all(abs(int(i) - c) >= gap for c in chosen):
            chosen.append(int(i))
        if len(chosen) == n:
            break
    return sorted(chosen)


def _draw(img_rgb: np.ndarray, box, colour, width: int) -> None:
    if box is None or not np.isfinite(box).all() or box[2] <= 0 or box[3] <= 0:
        return
    x, y, w, h = (int(round(v)) for v in box)
    cv2.rectangle(img_rgb, (x, y), (x + w, y + h), (0, 0, 0), width + 2)
    cv2.rectangle(img_rgb, (x, y), (x + w, y + h), colour, width)


def frame_strip(reader: VideoDataset, seq_id: int, gt: np.ndarray, boxes: list[np.ndarray], frames: list[int]) -> str:
    """The frames side by side (``THUMB_HEIGHT`` px high), ground truth and each set's box drawn, frame numbers
    written; a JPEG ``data:`` URL."""
    tiles = []
    for f in frames:
        img, _ = reader.read_frame(seq_id, f)
        img = np.ascontiguousarray(img)
        scale = max(1, int(round(img.shape[0] / 360)))
        _draw(img, gt[f], GT_COLOUR, 2 * scale)
        for k, b in enumerate(boxes):
            _draw(img, b[f] if f < len(b) else None, PALETTE[k % len(PALETTE)], 2 * scale)
        tile = cv2.resize(img, (max(1, round(img.shape[1] * THUMB_HEIGHT / img.shape[0])), THUMB_HEIGHT),
                          interpolation=cv2.INTER_AREA)
        cv2.putText(tile, f"#{f + 1}", (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, f"#{f + 1}", (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
        tiles.append(np.full((THUMB_HEIGHT, 4, 3), 255, np.uint8))
    return _jpeg(cv2.cvtColor(np.hstack(tiles[:-1]), cv2.COLOR_RGB2BGR))


def result_boxes(run: Run, seq: str, box_format: str | None) -> np.ndarray:
    boxes = parse_result_text(run.read(seq) or "", run.where(seq)).boxes
    return as_xywh(boxes, box_format) if box_format not in (None, "xywh") else boxes


def _table(head: list[str], rows: list[list], cls: str = "", best: tuple[int, ...] = ()) -> str:
    """An HTML table; in the columns ``best`` the largest number is bold."""
    tops = {c: max((r[c] for r in rows if isinstance(r[c], (int, float))), default=None) for c in best}
    out = [f'<table class="{cls}"><thead><tr>' + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in rows:
        cells = []
        for c, v in enumerate(r):
            text = f"{v:.1f}" if isinstance(v, float) else _e(v)
            mark = ' class="best"' if c in tops and v == tops[c] and len(rows) > 1 else ""
            data = f' data-v="{v}"' if isinstance(v, (int, float)) else ""
            cells.append(f"<td{mark}{data}>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</tbody></table>"


def build_report(scores: dict[str, dict], dataset: str, protocol: str, entries: list[tuple], reader: VideoDataset,
                 seqs: list, per_attribute: dict | None = None, attributes: Attributes | None = None,
                 box_format: str | None = "xywh", strips: int = 4, frames_per_strip: int = 6,
                 title: str | None = None) -> str:
    """The page's HTML. ``entries``: ``(label, run, folder)`` as ``ltr score`` builds them; ``seqs``: the scored
    sequences (:func:`ltr_core.track.runner.sequences_from_dataset` of ``reader``), whose ground truth the strips
    draw; ``reader`` gives their frames."""
    labels = list(scores)
    parts = [f"<h1>{_e(title or 'Tracking results on ' + dataset)}</h1>",
             f'<p class="note">protocol {_e(protocol)}; {next(iter(scores.values()))["sequences"]} sequences; '
             f"made by ltr report</p>", "<h2>Overall</h2>"]
    rows = [[l, s["auc"], s["precision"], s["norm_precision"], s["sequences"]] for l, s in scores.items()]
    parts.append(_table(["results", "AUC", "P@20", "NP@0.2", "sequences"], rows, "overall", best=(1, 2, 3)))
    merged = over_runs(scores)
    if merged:
        rows = [[b, f"{m['auc']:.1f} ± {m['auc_std']:.1f}", f"{m['precision']:.1f} ± {m['precision_std']:.1f}",
                 f"{m['norm_precision']:.1f} ± {m['norm_precision_std']:.1f}", m["runs"]] for b, m in merged.items()]
        parts.append(_table(["over runs", "AUC", "P@20", "NP@0.2", "runs"], rows, "runs"))
    with tempfile.TemporaryDirectory() as tmp:
        plots = write_plots(scores, Path(tmp), dataset)
        parts.append('<h2>Curves</h2><div class="plots">' + "".join(
            f'<img alt="{_e(p.stem)}" src="{_file(p)}">' for p in plots) + "</div>")
        if per_attribute and attributes is not None:
            longs = dict(zip(attributes.names, attributes.long_names))
            groups = list(next(iter(per_attribute.values())))           # runs merged, as in the radar
            parts.append("<h2>Attributes</h2>")
            rows = [[f"{a} {longs[a]}", next(iter(row.values()))["sequences"]] +
                    [row[g]["auc"] if g in row else "-" for g in groups] for a, row in per_attribute.items()]
            parts.append(_table(["attribute", "sequences"] + [f"AUC {g}" for g in groups], rows, "attributes"))
            parts.append(f'<p class="note">attributes: {_e(attributes.source)}</p>')
            written = write_attribute_outputs(per_attribute, attributes, Path(tmp) / "attributes", dataset)
            radar = [p for p in written if p.name == "radar.png"]
            if radar:
                parts.append(f'<div class="radar"><img alt="radar" src="{_file(radar[0])}"></div>')
    seq_names = list(scores[labels[0]]["per_sequence"])
    rows = [[n] + [scores[l]["per_sequence"][n]["auc"] for l in labels] for n in seq_names]
    parts.append("<h2>Sequences</h2><p class=\"note\">AUC per sequence; click a column to sort.</p>")
    parts.append(_table(["sequence"] + labels, rows, "sortable sequences"))
    if strips > 0:
        parts.append("<h2>Where the results differ most</h2>")
        key = "".join(f'<span><i style="background: rgb{tuple(PALETTE[k % len(PALETTE)])}"></i>{_e(l)}</span>'
                      for k, l in enumerate(labels))
        parts.append(f'<p class="key"><span><i style="background: #fff; outline: 2px solid #000"></i>ground truth'
                     f"</span>{key}</p>")
        ids = {n.replace("/", "__"): i for i, n in enumerate(reader.sequence_names())}    # as seqs name them
        truth = {seq.name: seq.gt for seq in seqs}
        runs = {label: run for label, run, _ in entries}
        for seq in most_different(scores, strips):
            row = " · ".join(f"{_e(l)} {scores[l]['per_sequence'][seq]['auc']:.1f}" for l in labels)
            parts.append(f'<div class="strip"><h3>{_e(seq)}</h3><p class="note">AUC: {row}</p>')
            try:
                gt = truth[seq]
                boxes = [result_boxes(runs[l], seq, box_format) for l in labels]
                frames = pick_frames(gt, boxes, frames_per_strip)
                strip = frame_strip(reader, ids[seq], gt, boxes, frames)
                parts.append(f'<img alt="frames of {_e(seq)}" src="{strip}">')
            except (DataError, KeyError, OSError) as e:
                parts.append(f'<p class="note">frames not shown: {_e(e)}</p>')
            parts.append("</div>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{_e(title or 'ltr report: ' + dataset)}</title><style>{CSS}</style></head>\n<body>\n{body}\n"
            f"<script>{SCRIPT}</script>\n</body></html>\n")
