"""Batched tracking: N sequences stepped in lockstep, one network call per frame for all of them.

``ltr eval --batch N`` runs trackers that split a frame into ``prepare`` / ``network`` / ``finish`` (the contract
is on :class:`ltr_core.track.tracker.Tracker`): each of N slots holds one sequence and its own tracker (the N
trackers share one network); per step every slot's frame is prepared (cropped) by worker threads, the N inputs go
through the network in one call, and each slot finishes its frame. A sequence that ends is written and its slot
takes the next one, so the batch stays full until the split runs out.

Frames are decoded by the same worker threads (libjpeg-turbo and OpenCV release the GIL, so threads decode in
parallel without copying frames between processes): ahead of the network while it runs on a GPU, at the start of
each step when it runs on the CPU (whose cores the network needs). Results, time files and resuming are those of
:mod:`ltr_core.track.runner`; a frame's time in ``<sequence>_time.txt`` is its own crop and finish plus its share of
the step's network call.
"""

from __future__ import annotations

import collections
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ltr_core import contract
from ltr_core.data.dataset import DataError
from ltr_core.data.image import ImageReadError, read_image, video_frames
from ltr_core.errors import ComponentError, UserError
from ltr_core.progress import Progress
from ltr_core.track.sequence import seed_sequence, tracker_label, write_result
from ltr_core.track.tracker import stack_inputs, to_host

#: frames decoded ahead per sequence while the network runs on a GPU
AHEAD = 3


class _Frames:
    """The decoded frames of one sequence, read ahead by the worker threads (a video one frame at a time, in
    order; image files several at once)."""

    def __init__(self, seq, pool: ThreadPoolExecutor, ahead: int):
        self.seq, self.pool, self.ahead = seq, pool, ahead
        self.video = video_frames(seq.video) if seq.video else None
        self.pending: collections.deque[Future] = collections.deque()
        self.next_index = 0
        self.wait_s = 0.0
        self._fill()

    def _read(self, index: int) -> np.ndarray | None:
        if self.video is not None:
            return next(self.video, None)
        return read_image(self.seq.frames[index])[0]

    def _fill(self) -> None:
        depth = min(self.ahead, 1) if self.video is not None else self.ahead
        while len(self.pending) < depth and self.next_index < len(self.seq):
            self.pending.append(self.pool.submit(self._read, self.next_index))
            self.next_index += 1

    def get(self, index: int) -> np.ndarray:
        t = time.perf_counter()
        try:
            image = self.pending.popleft().result() if self.pending else self._read(index)
        except ImageReadError as e:
            raise DataError(f"{e} (sequence {self.seq.name}, frame {index + 1}): replace or remove that frame and "
                            "run again; the sequences already done are kept") from None
        self.wait_s += time.perf_counter() - t
        if image is None:
            raise DataError(f"{self.seq.video}: {index} frames decoded, but its boxes describe {len(self.seq)} "
                            f"(sequence {self.seq.name})")
        self._fill()
        return image


class _Slot:
    def __init__(self, seq, tracker, pool: ThreadPoolExecutor, ahead: int):
        self.seq, self.tracker = seq, tracker
        self.frames = _Frames(seq, pool, ahead)
        self.index = 0
        n = len(seq)
        self.boxes, self.track_time, self.decode_time = np.zeros((n, 4)), np.zeros(n), np.zeros(n)
        self.image = None

    @property
    def done(self) -> bool:
        return self.index >= len(self.seq)


def _fail(label: str, step: str, slot: _Slot, e: Exception) -> ComponentError:
    return ComponentError(f"{label} raised {type(e).__name__} in {step} on frame {slot.index + 1} of sequence "
                          f"{slot.seq.name}: {e}")


def run_batched(trackers: list, seqs: list, out_dir: Path, threads: int | None = None, progress: bool = True,
                seed: int | None = None, on_done=None) -> dict:
    """Track ``seqs`` with ``len(trackers)`` slots (batchable trackers sharing one network); writes each sequence's
    results as it ends and calls ``on_done(name, frames)``. Returns the counts and the time split: ``data_s`` (waiting
for frames and cropping), ``network_s``, ``finish_s``, ``fps`` (frames over the sum of their tracker times, as the
unbatched runner counts it) and ``fps_with_decoding`` (frames over the wall time).

A stochastic tracker draws from the global generators, seeded from (seed, sequence) when a sequence starts; the
draws of the batch's sequences interleave, so its boxes depend on the batch (the in-repo trackers draw nothing)."""
    label = tracker_label(trackers[0])
    device = getattr(trackers[0], "device", torch.device("cpu"))
    queue = collections.deque(seqs)
    slots: list[_Slot | None] = [None] * len(trackers)
    threads = threads or min(16, os.cpu_count() or 1)
    # a network on the GPU leaves the CPU free: decode ahead while it runs. On the CPU, decoding alongside the
    # network's threads slows it more than it saves (measured: 20 ms instead of 14 per step at batch 1 on 2
    # cores), so the frames of a step are decoded when it starts, in parallel over its sequences
    ahead = AHEAD if device.type != "cpu" else 0
    frames = steps = 0
    data_s = network_s = finish_s = tracked_s = 0.0
    bar = Progress(len(seqs), "tracking", every=1, enabled=progress)
    t_start = time.perf_counter()
    with ThreadPoolExecutor(threads, thread_name_prefix="ltr-frames") as pool:

        def start(i: int) -> None:
            seq = queue.popleft()
            if seed is not None:
                seed_sequence(seed, seq.name)
            slots[i] = _Slot(seq, trackers[i], pool, ahead)

        def prepare(slot: _Slot):
            t = time.perf_counter()
            slot.image = slot.frames.get(slot.index)
            decoded = time.perf_counter()
            slot.decode_time[slot.index] = decoded - t
            if slot.index == 0:               # initialised below, in this thread: see initialise()
                return None
            try:
                result = slot.tracker.prepare(slot.image)
            except UserError:
                raise
            except Exception as e:
                raise _fail(label, "prepare", slot, e) from e
            slot.track_time[slot.index] = time.perf_counter() - decoded
            return result

        def initialise(slot: _Slot) -> None:
            """A new sequence's first frame. In the main thread: a network call from a worker thread would start
            a second pool of PyTorch's intra-op threads, whose spinning slowed every later step by half."""
            t = time.perf_counter()
            try:
                slot.tracker.initialize(slot.image, slot.seq.gt[0])
            except UserError:
                raise
            except Exception as e:
                raise _fail(label, "initialize", slot, e) from e
            slot.boxes[0] = np.asarray(slot.seq.gt[0], dtype=np.float64)
            slot.track_time[0] = time.perf_counter() - t

        for i in range(len(slots)):
            if queue:
                start(i)
        while any(s is not None for s in slots):
            t0 = time.perf_counter()
            active = [s for s in slots if s is not None]
            prepared = list(pool.map(prepare, active))      # crops of every sequence, in parallel
            for slot in active:
                if slot.index == 0:
                    initialise(slot)
            stepping = [(s, p) for s, p in zip(active, prepared) if p is not None]
            t1 = time.perf_counter()
            if stepping:
                inputs = stack_inputs([p for _, p in stepping], device)
                try:
                    outputs = to_host(stepping[0][0].tracker.network(inputs))
                except UserError:
                    raise
                except Exception as e:
                    raise _fail(label, "network", stepping[0][0], e) from e
                t2 = time.perf_counter()
                share = (t2 - t1) / len(stepping)
                for row, (slot, _) in enumerate(stepping):
                    t = time.perf_counter()
                    mine = {k: v[row:row + 1] for k, v in outputs.items()}
                    try:
                        result = slot.tracker.finish(mine, slot.image)
                    except UserError:
                        raise
                    except Exception as e:
                        raise _fail(label, "finish", slot, e) from e
                    slot.boxes[slot.index] = contract.track_result(result, label, slot.index,
                                                                           f"sequence {slot.seq.name}")[0]
                    slot.track_time[slot.index] += share + time.perf_counter() - t
                network_s += t2 - t1
                finish_s += time.perf_counter() - t2
            data_s += t1 - t0
            steps += 1
            for i, slot in enumerate(slots):
                if slot is None:
                    continue
                slot.image = None
                slot.index += 1
                frames += 1
                if slot.done:
                    write_result(Path(out_dir), slot.seq.name, {"boxes": slot.boxes, "track_time": slot.track_time})
                    tracked_s += float(slot.track_time.sum())
                    if on_done:
                        on_done(slot.seq.name, len(slot.seq))
                    bar.update(1, sequence=slot.seq.name, fps=frames / max(1e-9, time.perf_counter() - t_start),
                               data=f"{1000 * data_s / steps:.0f}ms", network=f"{1000 * network_s / steps:.0f}ms")
                    slots[i] = None
                    if queue:
                        start(i)
    wall = time.perf_counter() - t_start
    return {"tracked": len(seqs), "frames": frames, "steps": steps, "wall_s": wall, "data_s": data_s,
            "network_s": network_s, "finish_s": finish_s, "track_s": tracked_s,
            "fps": frames / tracked_s if tracked_s else None, "fps_with_decoding": frames / wall if wall else None}
