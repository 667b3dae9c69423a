"""Success and precision plots, each written twice from one drawing: a PNG (OpenCV) and a vector PDF.

The PDF is written directly (one page, lines and text in the standard Helvetica font, no embedded fonts), so
papers get vector figures without a plotting library; matplotlib would add a large dependency for the same
three line charts.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127)]
W, H = 720, 540


class _Png:
    """Raster canvas; coordinates in pixels from the top-left; colours RGB."""

    def __init__(self):
        self.img = np.full((H, W, 3), 255, np.uint8)

    def line(self, pts, color, width=1):
        pts = np.array([[int(round(x)), int(round(y))] for x, y in pts], np.int32)
        cv2.polylines(self.img, [pts], False, color[::-1], width, cv2.LINE_AA)

    def text(self, x, y, s, size=10):
        cv2.putText(self.img, s, (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, size / 24, (0, 0, 0), 1, cv2.LINE_AA)

    def save(self, path: Path):
        cv2.imwrite(str(path), self.img)


class _Pdf:
    """Vector canvas in the same coordinates (1 unit = 1 point; the page is W x H points)."""

    def __init__(self):
        self.ops = ["1 J 1 j"]

    def line(self, pts, color, width=1):
        r, g, b = (c / 255 for c in color)
        path = " ".join(f"{x:.2f} {H - y:.2f} {'m' if i == 0 else 'l'}" for i, (x, y) in enumerate(pts))
        self.ops.append(f"{r:.3f} {g:.3f} {b:.3f} RG {width} w {path} S")

    def text(self, x, y, s, size=10):
        s = s.encode("latin-1", "replace").decode("latin-1")
        s = s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        self.ops.append(f"0 g BT /F1 {size} Tf {x:.2f} {H - y:.2f} Td ({s}) Tj ET")

    def save(self, path: Path):
        content = zlib.compress("\n".join(self.ops).encode("latin-1"))
        objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {W} {H}] /Contents 4 0 R "
                f"/Resources << /Font << /F1 5 0 R >> >> >>".encode(),
                f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode() + content + b"\nendstream",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objs, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
        out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        Path(path).write_bytes(bytes(out))


def _draw(c, title: str, xs: np.ndarray, curves: dict[str, tuple[np.ndarray, float]], xlabel: str,
          ylabel: str) -> None:
    left, right, top, bottom = 70, 20, 40, 60
    x0, x1, y0, y1 = left, W - right, H - bottom, top

    def to_px(x, y):
        return x0 + (x - xs[0]) / (xs[-1] - xs[0]) * (x1 - x0), y0 - y * (y0 - y1)

    for i in range(11):
        gx = xs[0] + (xs[-1] - xs[0]) * i / 10
        gy = i / 10
        c.line([to_px(gx, 0), to_px(gx, 1)], (230, 230, 230))
        c.line([to_px(xs[0], gy), to_px(xs[-1], gy)], (230, 230, 230))
        c.text(to_px(gx, 0)[0] - 10, y0 + 18, f"{gx:g}", 9)
        c.text(x0 - 32, to_px(xs[0], gy)[1] + 4, f"{gy:.1f}", 9)
    c.line([(x0, y1), (x1, y1), (x1, y0), (x0, y0), (x0, y1)], (0, 0, 0))
    ranked = sorted(curves.items(), key=lambda kv: -kv[1][1])
    for k, (label, (ys, score)) in enumerate(ranked):
        color = PALETTE[k % len(PALETTE)]
        c.line([to_px(x, y) for x, y in zip(xs, ys)], color, 2)
        ly = y1 + 20 + 20 * k
        c.line([(x1 - 260, ly - 4), (x1 - 235, ly - 4)], color, 2)
        c.text(x1 - 230, ly, f"{label} [{score:.1f}]"[:34], 11)
    c.text(x0, 25, f"{title}: {ylabel}", 14)
    c.text((x0 + x1) // 2 - 60, H - 20, xlabel, 12)


def plot_curves(path: Path, title: str, xs: np.ndarray, curves: dict[str, tuple[np.ndarray, float]],
                xlabel: str, ylabel: str = "fraction of frames") -> Path:
    """``curves``: label -> (y values, score shown in the legend). Writes ``path`` (PNG) and the same plot as
    a vector PDF beside it; returns the PNG's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for canvas, target in ((_Png(), path), (_Pdf(), path.with_suffix(".pdf"))):
        _draw(canvas, title, np.asarray(xs, dtype=float), curves, xlabel, ylabel)
        canvas.save(target)
    return path


def _draw_radar(c, title: str, axes: list[str], values: dict[str, list[float]], top: float) -> None:
    cx, cy, radius = W / 2 - 90, H / 2 + 15, 200

    def at(k, v):
        angle = 2 * np.pi * k / len(axes) - np.pi / 2          # the first attribute at the top, clockwise
        return cx + radius * v / top * np.cos(angle), cy + radius * v / top * np.sin(angle)

    for ring in np.linspace(top / 4, top, 4):
        c.line([at(k % len(axes), ring) for k in range(len(axes) + 1)], (220, 220, 220))
        c.text(cx + 3, at(0, ring)[1] + 10, f"{ring:g}", 8)
    for k, name in enumerate(axes):
        c.line([(cx, cy), at(k, top)], (200, 200, 200))
        x, y = at(k, top * 1.12)
        c.text(x - 4 * len(name), y + 4, name, 10)
    ranked = sorted(values.items(), key=lambda kv: -float(np.mean(kv[1])))
    for j, (label, vs) in enumerate(ranked):
        color = PALETTE[j % len(PALETTE)]
        c.line([at(k % len(axes), vs[k % len(axes)]) for k in range(len(axes) + 1)], color, 2)
        ly = 70 + 20 * j
        c.line([(W - 200, ly - 4), (W - 178, ly - 4)], color, 2)
        c.text(W - 172, ly, f"{label} [{np.mean(vs):.1f}]"[:28], 10)
    c.text(20, 25, title, 14)


def plot_radar(path: Path, title: str, axes: list[str], values: dict[str, list[float]]) -> Path:
    """One closed line per result set over ``axes`` (e.g. AUC per attribute); the legend gives each set's mean
    over the axes, as pytracking's radar does. Writes ``path`` (PNG) and a PDF beside it; returns the PNG's path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(axes) < 3:
        raise ValueError(f"a radar plot needs at least 3 axes, got {axes}")
    top = max(20.0, float(np.ceil(max(max(v) for v in values.values()) / 20) * 20))
    for canvas, target in ((_Png(), path), (_Pdf(), path.with_suffix(".pdf"))):
        _draw_radar(canvas, title, axes, values, top)
        canvas.save(target)
    return path
