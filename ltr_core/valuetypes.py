"""Value types for the keyword arguments of component factories (and the core's config sections).

A factory annotates a keyword with one of these (``crop: CropSize = 256``) and a config outside the range is
refused at load, naming the key: ``net.crop: expected int >= 8 and <= 2048, got 4096``. Build others with
``Annotated[<type>, Bound(...)]``. Public API (re-exported by :mod:`ltr_core.api`).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """A range a numeric config value must lie in, attached to its type: ``Annotated[float, Bound(gt=0)]``.
    Factories of plugins use it too (or the aliases below), and a config outside it is refused at load."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def holds(self, v) -> bool:
        return ((self.ge is None or v >= self.ge) and (self.gt is None or v > self.gt)
                and (self.le is None or v <= self.le) and (self.lt is None or v < self.lt))

    def __str__(self) -> str:
        parts = [f"{op} {x:g}" for op, x in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt))
                 if x is not None]
        return " and ".join(parts)


PositiveInt = typing.Annotated[int, Bound(ge=1)]
NonNegativeInt = typing.Annotated[int, Bound(ge=0)]
PositiveFloat = typing.Annotated[float, Bound(gt=0)]
NonNegativeFloat = typing.Annotated[float, Bound(ge=0)]
Probability = typing.Annotated[float, Bound(ge=0, le=1)]
UnitInterval = typing.Annotated[float, Bound(ge=0, lt=1)]      # e.g. momentum, Adam's betas
#: a crop's side in pixels: the networks of this field take 64-608 (past 2048 a batch of crops alone would take
#: gigabytes, and OpenCV's resize fails to allocate)
CropSize = typing.Annotated[int, Bound(ge=8, le=2048)]

#: the most worker processes or threads a setting or option may ask for: more than any machine's cores, and each
#: takes memory (``trainer``/``eval`` workers, ``--workers``, ``--threads``)
MAX_PROCESSES = 256
