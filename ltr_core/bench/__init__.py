"""Benchmarks that print figures (``ltr bench``), one room each: :mod:`~ltr_core.bench.train` (the training step),
:mod:`~ltr_core.bench.data` (the data pipeline), :mod:`~ltr_core.bench.track` (tracking, batched or not), and
:mod:`~ltr_core.bench.measure` (clocks, memory and peaks they share). Speed figures are ratios measured in one
run, so they do not depend on the machine."""

from ltr_core.bench.data import bench_data
from ltr_core.bench.measure import matmul_peak, median_round, peak_memory_mib, reset_peak_memory
from ltr_core.bench.track import bench_sequence, bench_track, bench_track_batched
from ltr_core.bench.train import bench_train, synthetic_batch

__all__ = ["bench_data", "bench_sequence", "bench_track", "bench_track_batched", "bench_train", "matmul_peak",
           "median_round", "peak_memory_mib", "reset_peak_memory", "synthetic_batch"]
