"""Run a tracker over sequences: decode, time, write results, resume, parallel workers.

Results: ``<out>/<sequence>.txt`` (one ``x,y,w,h`` per frame, the first being the given box) and
``<out>/<sequence>_time.txt`` (seconds the tracker took per frame, decoding excluded). A sequence whose
result file is complete is skipped when the run is repeated; files are written atomically, so an interrupted
run never leaves a partial result behind.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ltr_core import contract
from ltr_core.data.dataset import DataError, VideoDataset, eval_rules_problem
from ltr_core.data.image import ImageReadError, read_image, video_frames
from ltr_core.errors import ComponentError, UserError
from ltr_core.progress import Progress
from ltr_core.track.batched import run_batched
from ltr_core.track.sequence import EvalSequence, seed_sequence, tracker_label, write_result  # noqa: F401


def sequences_from_dataset(ds: VideoDataset, only: list[str] | None = None, frames: bool = True) -> list[EvalSequence]:
    """The sequences to evaluate; the reader's ``eval_rules`` is checked first, before anything is tracked.
    ``frames=False``: for scoring, without the frames' paths (empty strings, one per frame)."""
    rules = getattr(ds, "eval_rules", None)
    problem = eval_rules_problem(rules, f"the reader {type(ds).__module__}.{type(ds).__qualname__} of {ds.root}")
    if problem:
        raise ComponentError(problem)
    names = ds.sequence_names()
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise KeyError(f"unknown sequences {', '.join(unknown)} in {ds.root}")
    out = []
    for i, name in enumerate(names):
        if only and name not in only:
            continue
        gt, visible = ds.eval_annotations(i)
        check_ground_truth(gt, ds.annotation_file(i) or f"the ground truth of {name} in {ds.root}",
                           rules)
        paths = [ds.frame_path(i, f) for f in range(len(gt))] if frames else [""] * len(gt)
        out.append(EvalSequence(name.replace("/", "__"), paths, gt, visible, rules, ds.video_file(i)))
    return out


def check_ground_truth(gt: np.ndarray, where: str, rules: str | None) -> None:
    """Evaluation starts from the first frame's box: it must be finite with a positive size. NaN rows later are
    the UAV123 convention for absent targets and an error elsewhere."""
    first = gt[0] if len(gt) else np.full(4, np.nan)
    if not np.isfinite(first).all() or (first[2:] <= 0).any():
        raise DataError(f"{where}:1: the first frame's box {first.tolist()} must be four finite numbers with w, h > "
                        "0: tracking starts from it")
    nan = np.flatnonzero(np.isnan(gt).any(1))
    if nan.size and rules != "uav":
        raise DataError(f"{where}:{int(nan[0]) + 1}: NaN in the ground truth; this benchmark marks absent targets "
                        "with flags or 0 0 0 0, not NaN")


def result_is_complete(out_dir: Path, seq: EvalSequence) -> bool:
    path = out_dir / f"{seq.name}.txt"
    if not path.is_file():
        return False
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip()) == len(seq)


def tracker_step(tracker, image, index: int, init_box=None, where: str = "", label: str | None = None) -> np.ndarray:
    """``initialize(image, init_box)`` on the first frame (which keeps the given box), ``track(image)`` on the
    others; what the tracker raises or returns wrongly becomes a :class:`ComponentError` naming it, the frame
    and ``where``."""
    label = label or tracker_label(tracker)
    try:
        if index == 0:
            tracker.initialize(image, init_box)
            return np.asarray(init_box, dtype=np.float64)
        return contract.track_result(tracker.track(image), label, index, where)[0]
    except UserError:
        raise
    except Exception as e:
        step = "initialize" if index == 0 else "track"
        raise ComponentError(f"{label} raised {type(e).__name__} in {step} on frame {index + 1}"
                             + (f" of {where}" if where else "") + f": {e}") from e


def track_sequence(tracker, seq: EvalSequence) -> dict:
    """Run one sequence; returns boxes, per-frame tracker times and decode times. An unreadable frame stops
    with a :class:`DataError` naming it; a tracker that raises or returns the wrong thing, with a
    :class:`ComponentError` naming the tracker, the sequence and the frame."""
    boxes = np.zeros((len(seq), 4))
    track_t = np.zeros(len(seq))
    decode_t = np.zeros(len(seq))
    reads = getattr(tracker, "reads_images", True)
    label = tracker_label(tracker)
    frames = video_frames(seq.video) if seq.video and reads else None
    for i, path in enumerate(seq.frames):
        t0 = time.perf_counter()
        try:
            image = (next(frames, None) if frames is not None else read_image(path)[0]) if reads else None
        except ImageReadError as e:
            fix = "repair or re-encode the video" if seq.video else "replace or remove that frame"
            raise DataError(f"{e} (sequence {seq.name}, frame {i + 1}): {fix} and run again; the sequences already "
                            "done are kept") from None
        if reads and image is None:
            raise DataError(f"{seq.video}: {i} frames decoded, but its boxes describe {len(seq)} (sequence "
                            f"{seq.name})")
        t1 = time.perf_counter()
        boxes[i] = tracker_step(tracker, image, i, seq.gt[0] if i == 0 else None, f"sequence {seq.name}", label)
        t2 = time.perf_counter()
        decode_t[i], track_t[i] = t1 - t0, t2 - t1
    return {"boxes": boxes, "track_time": track_t, "decode_time": decode_t}


_TRACKER = None  # one tracker per worker process, built once by the pool initializer
_PARENT = None   # the evaluating process; a worker whose parent has died writes nothing more


def _leave_with_parent(parent: int) -> None:
    """A daemon thread of a worker process: leave as soon as the evaluating process is gone (killed, say), even
    while this worker is still starting or waits for work; its pool cannot tell it any more."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="ltr-parent-watch", daemon=True).start()


def _worker_init(make_tracker: Callable, threads: int | None, in_pool: bool = True) -> None:
    global _TRACKER, _PARENT
    _PARENT = os.getppid() if in_pool else None
    if in_pool:
        _leave_with_parent(_PARENT)
    if threads is not None:
        torch.set_num_threads(threads)
    identity = mp.current_process()._identity        # (k,) for the k-th worker of a pool, () in the main process
    if in_pool and identity and hasattr(make_tracker, "for_worker"):
        make_tracker = make_tracker.for_worker(identity[0] - 1)     # several GPUs: workers dealt over them
    _TRACKER = make_tracker()


def _worker_run(args):
    seq, out_dir, seed = args
    if seed is not None:
        seed_sequence(seed, seq.name)
    result = track_sequence(_TRACKER, seq)
    if _PARENT is not None and os.getppid() != _PARENT:     # orphaned: the run was stopped; leave quietly
        os._exit(0)
    write_result(out_dir, seq.name, result)
    return seq.name, len(seq), float(result["track_time"].sum()), float(result["decode_time"].sum())


def run_sequences(make_tracker: Callable, seqs: list[EvalSequence], out_dir: Path, workers: int = 1,
                  progress: bool = True, seed: int | None = None, batch: int = 1, say=None) -> dict:
    """Track every unfinished sequence (in ``workers`` processes); returns counts and fps figures.

    ``make_tracker`` must be picklable when ``workers > 1`` (e.g. a ``functools.partial``). ``batch > 1``: each
    process steps ``batch`` sequences at once (:mod:`ltr_core.track.batched`) when ``make_tracker`` has a
    ``batch(n)`` method (a TrackerFactory) and its tracker is batchable; otherwise ``say`` is told so in one line
    and the sequences are tracked one at a time.
    """
    out_dir = Path(out_dir)
    todo = [s for s in seqs if not result_is_complete(out_dir, s)]
    skipped = len(seqs) - len(todo)
    workers = max(1, min(workers, len(todo)))          # no process or slot without a sequence to track
    batch = max(1, min(batch, -(-len(todo) // workers))) if todo else 1
    if batch > 1 and todo:
        summary = _run_batched(make_tracker, todo, out_dir, workers, batch, progress, seed, say or print)
        if summary is not None:
            return {**summary, "skipped": skipped}
    bar = Progress(len(todo), "tracking", every=1, enabled=progress)
    frames = 0
    track_time = decode_time = 0.0
    if todo:
        jobs = [(s, out_dir, seed) for s in todo]
        if workers <= 1:
            _worker_init(make_tracker, None, in_pool=False)
            results = map(_worker_run, jobs)
            pool = None
        else:
            threads = max(1, (os.cpu_count() or 1) // workers)
            pool = mp.get_context("spawn").Pool(workers, initializer=_worker_init, initargs=(make_tracker, threads))
            results = pool.imap_unordered(_worker_run, jobs)
        try:
            for name, n, tt, dt in results:
                frames += n
                track_time += tt
                decode_time += dt
                bar.update(1, sequence=name, fps=frames / track_time if track_time else 0.0)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    return {"tracked": len(todo), "skipped": skipped, "frames": frames,
            "fps": frames / track_time if track_time else None,
            "fps_with_decoding": frames / (track_time + decode_time) if track_time else None}


# -- batched tracking in one or several processes ------------------------------------------------------------
_TRACKERS = None   # a worker process's batch of trackers, built once by the pool initializer


def _batch_init(make_tracker, batch: int, threads: int) -> None:
    global _TRACKERS, _PARENT

    torch.set_num_threads(threads)
    _PARENT = os.getppid()
    _leave_with_parent(_PARENT)
    identity = mp.current_process()._identity
    if identity and hasattr(make_tracker, "for_worker"):
        make_tracker = make_tracker.for_worker(identity[0] - 1)
    _TRACKERS = make_tracker.batch(batch)


def _batch_job(args):
    shard, out_dir, seed, threads, events = args

    def done(name, n):
        if os.getppid() != _PARENT:          # orphaned: the run was stopped; leave quietly
            os._exit(0)
        events.put((name, n))

    return run_batched(_TRACKERS, shard, out_dir, threads, progress=False, seed=seed, on_done=done)


def _run_batched(make_tracker, todo: list, out_dir: Path, workers: int, batch: int, progress: bool,
                 seed: int | None, say) -> dict | None:
    """Batched tracking of ``todo``; None when the tracker does not opt in (``say`` was told)."""
    if not hasattr(make_tracker, "batch"):
        say(f"--batch {batch}: these trackers come without a recipe that can share a network; tracking one "
            "sequence at a time")
        return None
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    if workers <= 1:
        trackers = make_tracker.batch(batch)
        if len(trackers) < batch:
            say(f"--batch {batch}: {tracker_label(trackers[0])} does not split its frames into prepare/network/"
                "finish (Tracker.batchable); tracking one sequence at a time")
            return None
        return run_batched(trackers, todo, out_dir, threads, progress, seed)
    probe = make_tracker.batch(2)
    if len(probe) < 2:
        say(f"--batch {batch}: {tracker_label(probe[0])} does not split its frames into prepare/network/finish "
            "(Tracker.batchable); tracking one sequence at a time")
        return None
    del probe
    shards = [todo[i::workers] for i in range(workers) if todo[i::workers]]
    ctx = mp.get_context("spawn")
    events = ctx.Manager().Queue()
    bar = Progress(len(todo), "tracking", every=1, enabled=progress)
    summaries = []
    with ctx.Pool(len(shards), initializer=_batch_init, initargs=(make_tracker, batch, threads)) as pool:
        pending = pool.map_async(_batch_job, [(shard, out_dir, seed, threads, events) for shard in shards])
        seen = 0
        while seen < len(todo) and not (pending.ready() and events.empty()):
            try:
                name, _ = events.get(timeout=0.5)
            except Exception:        # queue.Empty: check on the workers again
                continue
            seen += 1
            bar.update(1, sequence=name)
        summaries = pending.get()
    total = {k: sum(s[k] for s in summaries) for k in ("tracked", "frames", "steps", "data_s", "network_s",
                                                          "finish_s", "track_s")}
    wall = max(s["wall_s"] for s in summaries)
    return {**total, "wall_s": wall, "fps": total["frames"] / total["track_s"] if total["track_s"] else None,
            "fps_with_decoding": total["frames"] / wall if wall else None}
