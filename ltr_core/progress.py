"""A small progress bar for long jobs: rate, elapsed/ETA and named figures, on stderr.

On a terminal it redraws one line; in logs (not a tty) it prints a line every ``every`` updates. With
``total=None`` (a video read to its end) it counts without a percentage, and :meth:`close` prints the last line.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int | None, desc: str = "", every: int = 10, enabled: bool = True):
        self.total = total
        self.desc = desc
        self.every = max(1, every)
        self.enabled = enabled
        self.count = 0
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self, n: int = 1, **figures) -> None:
        self.count += n
        if not self.enabled:
            return
        if self.tty or self.count % self.every == 0 or self.count == self.total:
            self._draw(figures)

    def close(self, **figures) -> None:
        """For an open-ended bar: the final count, ending the terminal's line (a no-op when nothing counted)."""
        if not self.enabled or self.total is not None or not self.count:
            return
        if self.tty or self.count % self.every:
            self._draw(figures)
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _draw(self, figures: dict) -> None:
        elapsed = time.perf_counter() - self.start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        fig = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        if self.total is None:
            line = f"{self.desc} {self.count} {_fmt(elapsed)} ({rate:.1f}/s)  {fig}"
        else:
            eta = (self.total - self.count) / rate if rate > 0 else 0.0
            pct = 100.0 * self.count / self.total if self.total else 100.0
            line = (f"{self.desc} {self.count}/{self.total} ({pct:3.0f}%) "
                    f"{_fmt(elapsed)}<{_fmt(eta)}  {fig}")
        if self.tty:
            sys.stderr.write("\r" + line[:250].ljust(120))
            if self.count == self.total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _fmt(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
