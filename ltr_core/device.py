"""One rule for the device a command runs on: ``--device`` of every command and the ``trainer.device`` key.

``auto``: the first GPU PyTorch sees (under torchrun: the process's local rank), else the CPU. ``cpu``. ``cuda``:
the GPU, and fail when there is none. ``cuda:N``: GPU N. A GPU that is not there is a :class:`DeviceError` (one
line, exit code 2) naming the option and what this machine has.
"""

from __future__ import annotations

import re

import torch

from ltr_core.errors import UserError

CHOICES = "auto | cpu | cuda | cuda:N"
_PATTERN = re.compile(r"auto|cpu|cuda(:\d+)?")


class DeviceError(UserError, ValueError):
    """A device setting that is malformed or names a GPU this machine does not have."""


def check_setting(setting: str, where: str = "--device") -> str:
    """``setting`` itself when it is one of :data:`CHOICES`; else a :class:`DeviceError` naming ``where``."""
    if not isinstance(setting, str) or not _PATTERN.fullmatch(setting):
        raise DeviceError(f"{where} {setting!r}: expected {CHOICES}")
    return setting


#: the GPU that :class:`ltr_core.devicecheck.SimulatedDevice` plays while it is active (None otherwise)
simulated: torch.device | None = None


def gpu_count() -> int:
    if simulated is not None:
        return 1
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve(setting: str | torch.device, where: str = "--device", local_rank: int = 0) -> torch.device:
    """The torch device ``setting`` means on this machine (``local_rank`` picks the GPU of ``auto``/``cuda``)."""
    if isinstance(setting, torch.device):
        setting = str(setting)
    check_setting(setting, where)
    count = gpu_count()
    if setting == "cpu" or (setting == "auto" and count == 0):
        return torch.device("cpu")
    index = local_rank if setting in ("auto", "cuda") else int(setting.split(":")[1])
    if count == 0:
        raise DeviceError(f"{where} {setting}: PyTorch sees no GPU here (torch {torch.__version__}, "
                          f"{'a CPU-only build' if torch.version.cuda is None else 'CUDA ' + torch.version.cuda}); "
                          "use --device cpu or auto, or install a CUDA build of PyTorch on a machine with a GPU")
    if index >= count:
        raise DeviceError(f"{where} {setting}: this machine has {count} GPU{'s' if count > 1 else ''} "
                          f"(cuda:0..cuda:{count - 1})")
    return simulated if simulated is not None else torch.device("cuda", index)


def for_worker(setting: str, worker: int) -> str:
    """The device of evaluation worker ``worker`` (0-based): with ``auto`` or ``cuda`` and several GPUs, the
    workers are dealt over them in turn; otherwise every worker takes ``setting`` (on one GPU they share it)."""
    count = gpu_count()
    if setting in ("auto", "cuda") and count > 1:
        return f"cuda:{worker % count}"
    return setting


def describe(device: torch.device) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H200)``: how commands name the device they run on."""
    if device.type == "cuda":
        return f"{device} ({'simulated' if simulated is not None else torch.cuda.get_device_name(device)})"
    return str(device)
