"""Measuring on a device: synchronising before reading a clock, peak memory, the matrix-multiply peak a
measured rate is compared with, and the median of repeated rounds."""

from __future__ import annotations

import time

import torch


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, reps: int = 10,
                budget_s: float = 3.0) -> tuple[float, int]:
    """GFLOP/s of a large square matmul in ``dtype`` on ``device``, timed in this process (best of ``reps``):
    the machine's own reference for what the training step achieves. Returns (GFLOP/s, size).

    The size doubles from 256 up to ``n`` while one product takes under 50 ms, and the repetitions fit in
    ``budget_s``: where a dtype has no fast kernels (bf16 on a CPU without AVX-512 BF16 runs ~30x slower than
    fp32) a 2048^2 product would take seconds each, and the figure would still say what matters."""
    size = 256
    while True:
        a = torch.randn(size, size, device=device).to(dtype)
        b = torch.randn(size, size, device=device).to(dtype)
        a @ b
        sync(device)
        t0 = time.perf_counter()
        a @ b
        sync(device)
        one = time.perf_counter() - t0
        if size >= n or one > 0.05:
            break
        size *= 2
    best = one
    for _ in range(max(1, min(reps, int(budget_s / max(one, 1e-9))))):
        sync(device)
        t0 = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9, size


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mib(device: torch.device) -> float:
    """The process's peak memory so far: on CUDA the allocator's peak, on a CPU the resident-set high-water mark
    (weights, optimizer state, the runtime and every batch's activations included). On Linux that is VmHWM, this
    process's own: ``getrusage``'s ru_maxrss also counts the launching process's peak, which a child inherits."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2 ** 20
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024                     # kB
    except OSError:
        pass
    import resource  # here: POSIX only

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024          # KiB on Linux


def reset_peak_memory(device: torch.device) -> None:
    """Start a new peak for :func:`peak_memory_mib`: the CUDA allocator's, or on Linux the RSS high-water mark
    (``/proc/self/clear_refs``)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        return
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def median_round(rounds: list[dict]) -> dict:
    """The round of :func:`bench_track` with the median time per frame (the lower middle one for an even count)."""
    ordered = sorted(rounds, key=lambda r: r["ms_per_frame"])
    return ordered[(len(ordered) - 1) // 2]
