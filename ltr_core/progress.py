"""A small progress bar for long jobs: rate, elapsed/ETA and named figures, on stderr.

On a terminal it redraws one line; in logs (not a tty) it prints a line every ``every`` updates.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, desc: str = "", every: int = 10, enabled: bool = True):
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

    def _draw(self, figures: dict) -> None:
        elapsed = time.perf_counter() - self.start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.count) / rate if rate > 0 else 0.0
        pct = 100.0 * self.count / self.total if self.total else 100.0
        fig = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
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
