"""How long scoring a LaSOT-sized comparison takes: ltr against pytracking's own analysis code, in one run.

    git clone https://github.com/visionml/pytracking /tmp/pytracking
    pip install pandas tqdm matplotlib              # what pytracking's analysis imports
    python3 scripts/score_bench.py --pytracking /tmp/pytracking --workdir /tmp/score-bench

Generates LaSOT's 280 test sequences (ground truth, occlusion and out-of-view flags; no images) with 2,500
frames each, and ten trackers' results in pytracking's layout (tab-separated integer boxes). Then, alternated
for --rounds rounds, on the same files:

* pytracking: its LaSOT dataset's ``_construct_sequence`` for every sequence, ``extract_results`` over the ten
  trackers, and ``print_results``'s ``get_auc_curve``/``get_prec_curve``;
* ltr: the same sequences read by ltr's LaSOT reader and the ten result sets scored (``score_run``);

and ``ltr score`` of the ten sets as a command, its first run (``--no-cache``) and again with the cache.
Prints seconds per round and the ratios, with the CPU; the AUCs of both are compared to 1e-4 as a check.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def generate(work: Path, frames: int, trackers: int) -> list[str]:
    names = (ROOT / "ltr_core" / "splits" / "lasot_test_split.txt").read_text().split()
    rng = np.random.default_rng(0)
    for name in names:
        folder = work / "lasot" / name.rsplit("-", 1)[0] / name
        if (folder / "groundtruth.txt").is_file():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.uniform(30, 120, 2)
        centre = rng.uniform(200, 400, 2) + np.cumsum(rng.normal(0, 2, (frames, 2)), 0)
        gt = np.round(np.c_[centre - size / 2, np.repeat(size[None], frames, 0)])
        hidden = np.zeros(frames, int)
        start = rng.integers(frames // 2, frames - 100)
        hidden[start:start + 60] = 1
        gt[hidden == 1] = 0
        np.savetxt(folder / "groundtruth.txt", gt, delimiter=",", fmt="%d")
        (folder / "full_occlusion.txt").write_text(",".join("0" for _ in range(frames)) + "\n")
        (folder / "out_of_view.txt").write_text(",".join(map(str, hidden)) + "\n")
    for t in range(trackers):
        out = work / "results" / f"tracker{t}" / "default_000"
        if out.is_dir():
            continue
        out.mkdir(parents=True)
        for i, name in enumerate(names):
            gt = np.loadtxt(work / "lasot" / name.rsplit("-", 1)[0] / name / "groundtruth.txt", delimiter=",")
            noise = np.random.default_rng([t, i]).normal(0, 2 + t, gt.shape)
            box = np.round(gt + noise)
            box[:, 2:] = np.maximum(box[:, 2:], 1)
            np.savetxt(out / f"{name}.txt", box, delimiter="\t", fmt="%d")
    return names


def pytracking_scorer(root: Path, work: Path):
    sys.path.insert(0, str(root))
    for pkg in ("pytracking", "pytracking/evaluation", "pytracking/analysis", "pytracking/utils", "ltr", "ltr/data"):
        mod = types.ModuleType(pkg.replace("/", "."))
        mod.__path__ = [str(root / pkg)]
        sys.modules[mod.__name__] = mod
    for stub in ("jpeg4py", "tikzplotlib"):
        sys.modules[stub] = types.ModuleType(stub)
    local = types.ModuleType("pytracking.evaluation.local")
    local.local_env_settings = lambda: types.SimpleNamespace(result_plot_path=str(work / "pytracking-plots"))
    sys.modules[local.__name__] = local
    extract = importlib.import_module("pytracking.analysis.extract_results")
    plot = importlib.import_module("pytracking.analysis.plot_results")
    lasot = importlib.import_module("pytracking.evaluation.lasotdataset")

    def score(names: list[str], trackers: list[Path]) -> list[float]:
        import torch

        ds = lasot.LaSOTDataset.__new__(lasot.LaSOTDataset)
        ds.base_path, ds.vos_mode = str(work / "lasot"), False
        seqs = [ds._construct_sequence(n) for n in names]
        runs = [types.SimpleNamespace(name=p.parent.name, parameter_name="default", run_id=None, display_name=None,
                                      results_dir=str(p)) for p in trackers]
        data = extract.extract_results(runs, seqs, "bench", verbose=False)
        valid = torch.tensor(data["valid_sequence"], dtype=torch.bool)
        plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center"]), valid)
        plot.get_prec_curve(torch.tensor(data["ave_success_rate_plot_center_norm"]), valid)
        return plot.get_auc_curve(torch.tensor(data["ave_success_rate_plot_overlap"]), valid)[1].tolist()

    return score


def ltr_score(work: Path, trackers: list[Path]) -> list[float]:
    from ltr_core.data.datasets.lasot import LaSOT
    from ltr_core.evaluation.published import flat_folder
    from ltr_core.evaluation.score import score_run
    from ltr_core.track.runner import sequences_from_dataset

    seqs = sequences_from_dataset(LaSOT(work / "lasot", split="test"), frames=False)
    return [score_run(flat_folder(p), seqs, "pytracking", "xywh")["auc"] for p in trackers]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pytracking", required=True, help="a checkout of visionml/pytracking")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--frames", type=int, default=2500)
    parser.add_argument("--trackers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="score-bench-"))
    t = time.perf_counter()
    names = generate(work, args.frames, args.trackers)
    print(f"data: {len(names)} sequences x {args.frames} frames, {args.trackers} trackers in {work} "
          f"({time.perf_counter() - t:.0f} s to generate)", flush=True)
    trackers = [work / "results" / f"tracker{i}" / "default_000" for i in range(args.trackers)]
    pyt = pytracking_scorer(Path(args.pytracking).resolve(), work)
    times = {"pytracking": [], "ltr": []}
    for r in range(args.rounds):
        for side in (("pytracking", "ltr") if r % 2 == 0 else ("ltr", "pytracking")):
            t = time.perf_counter()
            aucs = pyt(names, trackers) if side == "pytracking" else ltr_score(work, trackers)
            times[side].append(time.perf_counter() - t)
            if side == "pytracking":
                reference = aucs
            print(f"round {r + 1} {side:10s} {times[side][-1]:6.2f} s", flush=True)
        assert np.allclose(ltr_score(work, trackers[:1]), reference[:1], atol=1e-4), "the AUCs differ"
    ws = work / "ws"
    cmd = [sys.executable, "-m", "ltr_core", "score", "--results", *map(str, trackers), "--dataset",
           f"lasot:{work / 'lasot'}", "--split", "test", "--no-per-sequence", "--plots", str(work / "plots"),
           "--workspace", str(ws)]
    commands = {}
    for label, extra in (("ltr score, first run (--no-cache)", ["--no-cache"]), ("ltr score, again (cached)", [])):
        t = time.perf_counter()
        subprocess.run(cmd + extra, check=True, capture_output=True)
        commands[label] = time.perf_counter() - t
    p, mine = np.mean(times["pytracking"]), np.mean(times["ltr"])
    print(f"\nCPU: {cpu_name()}; {len(names)} sequences x {args.frames} frames x {args.trackers} trackers; mean of "
          f"{args.rounds} alternated rounds")
    print(f"pytracking extract_results + curves: {p:.2f} s")
    print(f"ltr score_run (reader + scoring):   {mine:.2f} s  ({p / mine:.2f}x pytracking's speed)")
    for label, s in commands.items():
        print(f"{label + ':':36s} {s:.2f} s")


if __name__ == "__main__":
    main()
