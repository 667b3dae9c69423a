"""Official split lists shipped with the package (facts from the datasets' authors)."""

from __future__ import annotations

from importlib import resources


def read_split(filename: str) -> list[str]:
    text = resources.files("ltr_core").joinpath("splits", filename).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]
