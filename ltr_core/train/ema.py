"""Exponential moving average of a network's weights, kept next to the trained ones.

Short, noisy trainings end wherever the last few hundred steps left them; the average over those steps is a
steadier network. Every floating-point entry of the state dict (parameters and BatchNorm statistics) is
averaged, integer counters are copied. The decay ramps up over the first updates, ``(1 + t) / (10 + t)``
capped at ``decay``, so the average does not remember the random initialisation.
"""

from __future__ import annotations

import torch


class WeightAverage:
    def __init__(self, net: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"trainer.ema_decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self._floats = [k for k, v in self.state.items() if v.is_floating_point()]
        self._others = [k for k, v in self.state.items() if not v.is_floating_point()]

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, net: torch.nn.Module) -> None:
        self.updates += 1
        weight = 1.0 - self.current_decay()
        live = net.state_dict()
        torch._foreach_lerp_([self.state[k] for k in self._floats], [live[k].detach() for k in self._floats],
                             weight)
        for k in self._others:
            self.state[k].copy_(live[k])

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "net": self.state}

    def load_state_dict(self, state: dict) -> None:
        missing = set(self.state) - set(state["net"])
        if missing:
            raise KeyError(f"weight average lacks {sorted(missing)[:3]}")
        for k, v in state["net"].items():
            if k in self.state:
                self.state[k].copy_(v)
        self.updates = int(state["updates"])
