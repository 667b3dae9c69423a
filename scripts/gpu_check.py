#!/usr/bin/env python3
"""The prepared GPU check: every CUDA path of ltr in one command, with figures, as JSON and Markdown.

    bash scripts/gpu_wheels.sh                                               # here: ltr's wheels in .gpu/wheels
    python3 scripts/gpu_check.py --install .gpu/wheels --device cuda --out gpu_report   # there (about 8 minutes)
    python3 scripts/gpu_check.py --device cpu --tiny --out /tmp/gpu_check   # the same code paths, small, on a CPU

Sections (each in its own processes, each with a time limit; one that fails is recorded with its error and the
others still run; ``--sections`` picks some, ``--budget`` stops starting new ones). The timed sections run one
after another; then the checks whose figures are not speeds (resume, check_plugin, export, train_demo) run side by
side, so that the whole run fits about 8 minutes of a GPU:

* machine: GPU, driver, torch, CUDA, cuDNN, Python, CPUs; the bf16 (and fp32) matmul peak measured here.
* train_bench: ``ltr bench train`` for hcat/default at batch 64 and the OSTrack-256 paper config at batch 32 (and
  dimp/dimp50 where that plugin is installed) in fp32, bf16, bf16 + channels-last and bf16 + torch.compile:
  samples/s, the fraction of this run's bf16 matmul peak, peak memory (CUDA allocator).
* batched: ``ltr bench track --batch 1,16,64`` (decoding included) for hcat/demo, hcat/default and the
  OSTrack-256 paper config: frames/s per N, the speed-up, peak memory, and the time a LaSOT-test-sized split would
  take at batch 1 and at the best N.
* track_bench (only when asked for): ``ltr bench track`` of every tracker config, fp32 and bf16, one frame at a
  time: ms/frame and the network's share.
* eval: ``ltr eval`` of each plugin's demo config on the generated demo split, on the device: batched
  (``--batch 32``) where the tracker opts in, else 8 worker processes on 8 of its sequences; fps with decoding,
  AUC (untrained networks: speed, not accuracy).
* train_compile: ``ltr bench train`` with bf16 + torch.compile (apart, since compiling takes minutes).
* resume: a short hcat/demo-sized training under ``torchrun --nproc_per_node 1`` (NCCL on a GPU, gloo on a CPU)
  with ``trainer.deterministic``, killed after its first epoch and resumed, against an uninterrupted run:
  bit-equal or the largest difference.
* check_plugin: ``ltr check-plugin`` of each in-repo plugin's demo config with train and track on the device.
* export: ``ltr export`` (fp32, and int8 calibrated by the tracker on the device) and a part traced from a
  network that lives on the device.
* train_demo: ``ltr train hcat/demo`` on the device, then ``ltr eval`` in fp32 and bf16: time and AUC.

The report names the machine, torch and CUDA; it is written after every section, so a run stopped midway still
leaves what it measured. Nothing here needs a network connection.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TRAIN_BENCH = [("hcat/default", 64), ("ostrack/vitb_256_mae_ce_32x4_ep300", 32), ("dimp/dimp50", 32)]
TRAIN_BENCH_TINY = [("hcat/demo", 2)]
VARIANTS = {"fp32": [], "bf16": ["trainer.amp=bf16"],
            "bf16+channels_last": ["trainer.amp=bf16", "trainer.channels_last=true"],
            "bf16+compile": ["trainer.amp=bf16", "trainer.compile=true"]}
TRACK_CONFIGS = ["hcat/demo", "hcat/default", "atom/demo", "ostrack/demo", "ostrack/vitb_256_mae_ce_32x4_ep300",
                 "dimp/dimp50"]
DEMO_CONFIGS = ["hcat/demo", "atom/demo", "ostrack/demo", "dimp/demo"]
BATCHABLE = {"hcat/demo", "ostrack/demo"}
#: a LaSOT-test-sized split: 280 sequences of 2,500 frames (LaSOT's own test split: 280 sequences, ~685,000 frames)
LASOT_SIZED_FRAMES = 280 * 2500


def _record(cmd: str, rc, started: float, out: str, err: str) -> dict:
    """What the report keeps of one command: rc, seconds, stdout, the tail of stderr and ltr's one-line errors
    (which torchrun's report of a failed worker buries under its own)."""
    return {"cmd": cmd, "rc": rc, "seconds": round(time.perf_counter() - started, 2), "stdout": out,
            "stderr_tail": err[-1500:], "errors": [line for line in err.splitlines() if line.startswith("error:")][-3:]}


class Check:
    def __init__(self, args):
        self.args = args
        self.device = args.device
        self.tiny = args.tiny
        self.out = Path(args.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(args.workdir or tempfile.mkdtemp(prefix="ltr-gpu-check-")).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.report = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "device": self.device, "tiny": self.tiny,
                       "sections": {}}
        self.start = time.perf_counter()
        self.env = {**os.environ, "LTR_WORKSPACE": str(self.work / "ws"), "LTR_DEMO_DIR": str(self.work / "demo"),
                    "PYTHONUNBUFFERED": "1"}
        self.registered = None
        self.lock = threading.Lock()          # the report and the demo data, shared by the side-by-side sections
        self.demo_lock = threading.Lock()
        if args.install:
            self.install(Path(args.install).resolve())

    def install(self, wheels: Path) -> None:
        """Install ltr's wheels (and carried dependency wheels) into a folder of their own, without an index and
        without their dependencies (the machine's image provides torch and the rest); every command of the check
        then imports them from there."""
        site = self.work / "site"
        found = sorted(str(w) for w in wheels.glob("*.whl") if _fits(w))
        r = self.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                      "--target", str(site), *found], 600)
        if r["rc"] != 0:
            raise SystemExit(f"gpu check: installing {wheels} failed: {_last_line(r)}")
        self.env["PYTHONPATH"] = os.pathsep.join([str(site)] + ([os.environ["PYTHONPATH"]]
                                                               if os.environ.get("PYTHONPATH") else []))
        self.report["installed"] = [Path(w).name for w in found]

    # -- running things -------------------------------------------------------------------------------------
    def ltr(self, *args, timeout: float = 300, env: dict | None = None) -> dict:
        """Run ``python -m ltr_core ARGS``; returns rc, seconds, stdout and the tail of stderr. With --in-process
        (for the CPU test of this script) the command line runs in this interpreter, without a time limit."""
        if not self.args.in_process:
            return self.run([sys.executable, "-m", "ltr_core", *args], timeout, env)
        from ltr_core.cli_runner import run_ltr   # here: only the test's mode imports ltr_core into this script

        t = time.perf_counter()
        p = run_ltr(*args, env=env or self.env, cwd=self.work)
        return _record(" ".join(args), p.returncode, t, p.stdout, p.stderr)

    def run(self, cmd: list[str], timeout: float, env: dict | None = None) -> dict:
        timeout = min(timeout, max(30.0, self.remaining() + self.args.grace))    # the budget holds the run too
        t = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env or self.env,
                               cwd=self.work)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout", _text(e.stdout), _text(e.stderr) + f"\n(stopped after {timeout:.0f} s)"
        return _record(" ".join(cmd[2:] if cmd[1:3] == ["-m", "ltr_core"] else cmd), rc, t, out, err)

    def json_of(self, result: dict) -> dict:
        """The JSON object a ``--json`` command printed last, or the failure."""
        if result["rc"] != 0:
            return {"error": _last_line(result), "seconds": result["seconds"], "cmd": result["cmd"]}
        for line in reversed(result["stdout"].strip().splitlines()):
            if line.startswith("{"):
                return {**json.loads(line), "seconds": result["seconds"]}
        return {"error": "no JSON line in the output", "cmd": result["cmd"]}

    def installed(self, config: str) -> bool:
        if self.registered is None:
            listed = self.ltr("list", "config", "--json", timeout=120)
            names = json.loads(listed["stdout"])["components"] if listed["rc"] == 0 else []
            self.registered = {c["name"] for c in names}
        return config in self.registered

    def remaining(self) -> float:
        return self.args.budget - (time.perf_counter() - self.start)

    def save(self) -> None:
        with self.lock:
            self.report["elapsed_s"] = round(time.perf_counter() - self.start, 1)
            (self.out / "gpu_check.json").write_text(json.dumps(self.report, indent=1, default=str) + "\n")
            (self.out / "gpu_check.md").write_text(markdown(self.report))

    def section(self, name: str, fn, beside: list[str] | None = None) -> None:
        if self.remaining() <= 0:
            with self.lock:
                self.report["sections"][name] = {"skipped": f"over the {self.args.budget:.0f} s budget"}
            self.save()
            return
        print(f"== {name} ({self.remaining():.0f} s of the budget left)", flush=True)
        t = time.perf_counter()
        try:
            result = fn()
        except Exception as e:        # one broken section must not cost the others
            result = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-3000:]}
        result = {**result, "section_seconds": round(time.perf_counter() - t, 1)}
        if beside:
            result["ran_beside"] = [b for b in beside if b != name]
        with self.lock:
            self.report["sections"][name] = result
        print(f"== {name} done: " + json.dumps(result, default=str)[:1500], flush=True)
        self.save()

    def side_by_side(self, names: list[str]) -> None:
        """Run sections at once (threads around their processes): for checks whose figures are not speeds. Their
        report entries keep the given order. In --in-process mode they run one after another (one interpreter)."""
        self.installed("")                                   # the registry listing, before the threads share it
        with self.lock:
            for name in names:
                self.report["sections"][name] = {"running": True}
        if self.args.in_process:                             # run_ltr sets signal handlers: main thread only
            for n in names:
                self.section(n, getattr(self, n), names)
            return
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            for future in [pool.submit(self.section, n, getattr(self, n), names) for n in names]:
                future.result()

    # -- sections -------------------------------------------------------------------------------------------
    def machine(self) -> dict:
        code = ("import json, os, platform, torch\n"
                "from ltr_core.bench import matmul_peak\n"
                "from ltr_core.device import resolve, describe\n"
                f"d = resolve({self.device!r})\n"
                "info = {'device': describe(d), 'torch': torch.__version__, 'cuda': torch.version.cuda,\n"
                "        'cudnn': torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,\n"
                "        'python': platform.python_version(), 'cpus': os.cpu_count(), 'cpu': platform.processor()}\n"
                "import ltr_core; info['ltr_core'] = ltr_core.__file__\n"
                "if d.type == 'cuda':\n"
                "    p = torch.cuda.get_device_properties(d)\n"
                "    info.update(gpu=p.name, gpu_memory_gib=round(p.total_memory / 2**30, 1),\n"
                "                multiprocessors=p.multi_processor_count, capability=f'{p.major}.{p.minor}')\n"
                f"n = {256 if self.tiny else 8192}\n"
                "for name, dt in (('bf16', torch.bfloat16), ('fp32', torch.float32)):\n"
                "    g, size = matmul_peak(dt, d, n=n, budget_s=2.0)\n"
                "    info[f'{name}_matmul_tflops'] = round(g / 1000, 2); info[f'{name}_matmul_size'] = size\n"
                "print(json.dumps(info))\n")
        out = self.json_of(self.run([sys.executable, "-c", code], 180))
        if shutil.which("nvidia-smi"):
            smi = self.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                            "--format=csv,noheader"], 30)
            out["nvidia_smi"] = smi["stdout"].strip()
        self.report["machine"] = out
        return out

    def bf16_peak_gflops(self) -> float | None:
        m = self.report.get("machine") or {}
        return 1000 * m["bf16_matmul_tflops"] if m.get("bf16_matmul_tflops") else None

    def train_bench(self) -> dict:
        plans = TRAIN_BENCH_TINY if self.tiny else TRAIN_BENCH
        variants = ["fp32", "bf16+channels_last"] if self.tiny else [v for v in VARIANTS if "compile" not in v]
        return self._train_bench(plans, variants, ["--steps", "1"] if self.tiny else ["--steps", "10"])

    def train_compile(self) -> dict:
        """The torch.compile variants, apart: their first steps compile for a minute or more."""
        if self.tiny:
            return {"skipped": "--tiny: compiling takes minutes on a CPU"}
        return self._train_bench(TRAIN_BENCH, ["bf16+compile"], ["--steps", "10"])

    def _train_bench(self, plans, variants, steps) -> dict:
        """``ltr bench train``'s measurement for each config, its variants in one process (a CUDA start each)."""
        rows = []
        for config, batch in plans:
            if not self.installed(config):
                continue
            compiling = any("compile" in v for v in variants)
            if self.remaining() < (90 if compiling else 20):
                rows += [{"config": config, "variant": v, "skipped": "budget"} for v in variants]
                continue
            code = ("import json, sys, torch\n"
                    "from ltr_core.bench import bench_train\n"
                    "from ltr_core.config import load_config\n"
                    "from ltr_core.device import resolve\n"
                    "device = str(resolve(sys.argv[5]))\n"
                    "for variant, sets in json.loads(sys.argv[1]).items():\n"
                    "    try:\n"
                    "        r = bench_train(load_config(sys.argv[2], sets), int(sys.argv[3]), int(sys.argv[4]),\n"
                    "                        device=device)\n"
                    "    except Exception as e:\n"
                    "        r = {'error': f'{type(e).__name__}: {str(e)[:300]}'}\n"
                    "    if torch.cuda.is_available():\n"
                    "        torch.cuda.empty_cache()\n"
                    "    print(json.dumps({'variant': variant, **r}), flush=True)\n")
            plan = {v: VARIANTS[v] for v in variants}
            r = self.run([sys.executable, "-c", code, json.dumps(plan), config, str(batch), steps[-1], self.device],
                         timeout=(150 * len(variants)) if compiling else 60 * len(variants) + 60)
            found = [json.loads(line) for line in r["stdout"].splitlines() if line.startswith("{")]
            peak = self.bf16_peak_gflops()
            for row in found:
                if "gflops" in row and peak:
                    row["fraction_of_bf16_peak"] = row["gflops"] / peak
                rows.append({"config": config, **row})
            for v in variants[len(found):]:
                rows.append({"config": config, "variant": v, "error": _last_line(r)})
            self.save()
        return {"rows": rows}

    def track_bench(self) -> dict:
        rows = []
        frames = ["--frames", "20", "--size", "320x240"] if self.tiny else ["--frames", "200"]
        configs = ["hcat/demo"] if self.tiny else TRACK_CONFIGS
        for config in configs:
            if not self.installed(config):
                continue
            for amp in ("off", "bf16"):
                if self.remaining() < 15:
                    rows.append({"config": config, "amp": amp, "skipped": "budget"})
                    continue
                r = self.json_of(self.ltr("bench", "track", config, "--untrained", "--device", self.device,
                                          "--amp", amp, "--json", *frames, timeout=240))
                rows.append({"config": config, "amp": amp, **r})
        return {"rows": rows}

    def batched(self) -> dict:
        """``ltr bench track --batch``: N generated sequences in lockstep, decoding included, for N = 1 and larger;
        the time a LaSOT-test-sized split (280 sequences of 2,500 frames) would take at batch 1 and at the best N."""
        rows = []
        # bf16 and ostrack/demo were measured on the H200 (docs/runs/gpu-2026-12-04-a.md): bf16 gave batched
        # tracking nothing, so the paper configs in float32 take their time here
        plans = [("hcat/demo", "off")] if self.tiny else \
            [("hcat/demo", "off"), ("hcat/default", "off"), ("ostrack/vitb_256_mae_ce_32x4_ep300", "off")]
        sizes = "1,2" if self.tiny else "1,16,64"
        frames = ["--frames", "20", "--size", "160x120"] if self.tiny else \
            ["--frames", "60", "--size", "640x480", "--rounds", "2"]
        for config, amp in plans:
            if not self.installed(config):
                continue
            if self.remaining() < 30:
                rows.append({"config": config, "amp": amp, "skipped": "budget"})
                continue
            r = self.json_of(self.ltr("bench", "track", config, "--untrained", "--device", self.device, "--amp", amp,
                                      "--batch", sizes, "--json", *frames, timeout=300))
            if "per_batch" in r:
                per = r["per_batch"]
                best = max(per, key=lambda n: per[n]["fps"])
                r["best_batch"] = int(best)
                r["speed_up"] = per[best]["fps"] / per["1"]["fps"]
                r["lasot_sized_hours"] = {"batch 1": LASOT_SIZED_FRAMES / per["1"]["fps"] / 3600,
                                          f"batch {best}": LASOT_SIZED_FRAMES / per[best]["fps"] / 3600}
            rows.append({"config": config, "amp": amp, **r})
            self.save()
        return {"rows": rows, "lasot_sized_frames": LASOT_SIZED_FRAMES}

    def demo_data(self) -> None:
        with self.demo_lock:              # sections side by side: one of them makes it, the others wait
            self._demo_data()

    def _demo_data(self) -> None:
        if (self.work / "demo" / "demo_info.json").is_file():
            return
        spec = ["--classes", "2", "--per-class", "2", "--frames", "20", "--size", "160x120", "--test-per-class", "1",
                "--photos", "off"] if self.tiny else ["--workers", str(min(16, os.cpu_count() or 1))]
        r = self.ltr("data", "make-demo", "--out", str(self.work / "demo"), *spec, timeout=600)
        if r["rc"] != 0:
            raise RuntimeError(f"ltr data make-demo failed: {_last_line(r)}")

    def eval(self) -> dict:
        self.demo_data()
        rows = []
        # per frame, batch 1, the batched section measures; here the whole command: batched where the tracker opts
        # in, else worker processes on a part of the split (ATOM's and DiMP's online optimisers run per sequence)
        tests = (self.work / "demo" / "test_split.txt").read_text().split()
        subset = ["--workers", "1"] if self.tiny else ["--workers", "8", "--sequences", ",".join(tests[:8])]
        for config in ["hcat/demo"] if self.tiny else DEMO_CONFIGS:
            if not self.installed(config):
                continue
            if self.remaining() < 20:
                rows.append({"config": config, "amp": "off", "skipped": "budget"})
                continue
            if self.tiny or config not in BATCHABLE:
                r = self.ltr("eval", config, "--untrained", "--device", self.device, "--amp", "off", *subset,
                             "--tag", f"gpu-check-off/{config.replace('/', '-')}", timeout=400)
                rows.append({"config": config, "amp": "off", "workers": int(subset[1]), **parse_eval(r)})
            if self.remaining() > 20 and (self.tiny or config in BATCHABLE):
                batch = "2" if self.tiny else "32"
                r = self.ltr("eval", config, "--untrained", "--device", self.device, "--batch", batch, "--tag",
                             f"gpu-check-batch/{config.replace('/', '-')}", timeout=400)
                rows.append({"config": config, "amp": "auto", "batch": int(batch), "workers": 1, **parse_eval(r)})
        return {"rows": rows, "note": "untrained networks: the speed of each tracker, not its accuracy"}

    def resume(self) -> dict:
        """Two runs of the same training under torchrun (one process): uninterrupted, and killed once its first
        epoch's checkpoint exists, then resumed."""
        sets = ["--set", "trainer.deterministic=true", "--set", "trainer.epochs=3", "--set", "trainer.log_every=1",
                "--set", "data.train.loader.workers=" + ("0" if self.tiny else "4"),
                "--set", "data.train.sampler.samples_per_epoch=" + ("8" if self.tiny else "1024")]
        if self.tiny:
            sets += ["--set", "data.train.loader.batch_size=4"]
        self.demo_data()
        launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1", "-m",
                  "ltr_core", "train", "hcat/demo", "--device", self.device, *sets]
        plain = self.run(launch + ["--workspace", str(self.work / "ws-plain")], 600)
        if plain["rc"] != 0:
            return {"error": "uninterrupted run: " + _last_line(plain), "stderr": plain["stderr_tail"]}
        ckpts = self.work / "ws-killed" / "checkpoints" / "ltr" / "hcat" / "demo"
        proc = subprocess.Popen(launch + ["--workspace", str(self.work / "ws-killed")], env=self.env, cwd=self.work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        killed_at, family = None, []
        deadline = time.time() + 600
        while proc.poll() is None and time.time() < deadline:
            if (ckpts / "ep0001.pth").is_file():
                time.sleep(0.5)            # into epoch 2
                family = [proc.pid] + descendants(proc.pid)     # torchrun starts its workers in sessions of their own
                for pid in family:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                killed_at = sorted(p.name for p in ckpts.glob("ep*.pth"))
                break
            time.sleep(0.05)
        proc.wait()
        for _ in range(200):                  # every process of the killed run gone (its lock with them)
            if not any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in family):
                break
            time.sleep(0.05)
        resumed = self.run(launch + ["--workspace", str(self.work / "ws-killed")], 600)
        if resumed["rc"] != 0:
            return {"error": "resumed run: " + _last_line(resumed), "stderr": resumed["stderr_tail"]}
        code = ("import json, sys, torch\n"
                "a = torch.load(sys.argv[1], weights_only=True, map_location='cpu')['net']\n"
                "b = torch.load(sys.argv[2], weights_only=True, map_location='cpu')['net']\n"
                "d = max(float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].is_floating_point())\n"
                "print(json.dumps({'bit_equal': all(torch.equal(a[k], b[k]) for k in a), 'max_abs_diff': d,\n"
                "                  'tensors': len(a)}))\n")
        last = "ckpts/ep0003.pth"
        cmp = self.json_of(self.run([sys.executable, "-c", code,
                                     str(self.work / "ws-plain" / "checkpoints/ltr/hcat/demo/ep0003.pth"),
                                     str(ckpts / "ep0003.pth")], 120))
        return {"killed_with_checkpoints": killed_at, "resumed_line": _grep(resumed["stdout"], "resumed from"),
                "world": _grep(plain["stdout"], "device:"), "uninterrupted_s": plain["seconds"],
                "resumed_s": resumed["seconds"], "compared": last, **cmp}

    def check_plugin(self) -> dict:
        rows = []
        for config in ["hcat/demo"] if self.tiny else DEMO_CONFIGS:
            plugin = config.split("/")[0]
            if not self.installed(config) or self.remaining() < 20:
                continue
            r = self.ltr("check-plugin", plugin, "--config", config, "--device", self.device, "--no-export",
                         timeout=400)
            rows.append({"config": config, "rc": r["rc"], "seconds": r["seconds"],
                         "lines": [line for line in r["stdout"].splitlines() if line.startswith(("PASS", "FAIL"))],
                         "summary": _last_line(r) if r["rc"] else r["stdout"].strip().splitlines()[-1]})
        return {"rows": rows}

    def export(self) -> dict:
        rows = []
        for config, dtype in (("hcat/demo", "fp32"),) + ((("ostrack/demo", "int8"),) if not self.tiny else ()):
            if not self.installed(config):
                continue
            r = self.ltr("export", config, "--untrained", "--out", str(self.work / "export" / config.replace("/", "-")
                                                                         / dtype), "--dtype", dtype, "--device",
                         self.device, timeout=400)
            rows.append({"config": config, "dtype": dtype, "rc": r["rc"], "seconds": r["seconds"],
                         "checks": [line for line in r["stdout"].splitlines() if "max |onnxruntime - torch|" in line],
                         "error": _last_line(r) if r["rc"] else None})
        code = ("import json, sys, torch\n"
                "from ltr_core.config import load_config\n"
                "from ltr_core.components import build_net\n"
                "from ltr_core.device import resolve\n"
                "from ltr_core.deploy.onnx import export_parts, parts_for, part_errors\n"
                "from ltr_core.track.factory import inference_net_config\n"
                "cfg = load_config('hcat/demo')\n"
                f"net = build_net(inference_net_config(cfg)).to(resolve({self.device!r})).eval()\n"
                "parts = parts_for(cfg, net)\n"
                "manifest = export_parts(parts, sys.argv[1], config=cfg['_name'], checkpoint=None, report=lambda m: None)\n"
                "errors = part_errors(parts, sys.argv[1])\n"
                "print(json.dumps({'parts': [p['name'] for p in manifest['parts']], 'max_abs': "
                "{k: v['max_abs'] for k, v in errors.items()}}))\n")
        on_device = self.json_of(self.run([sys.executable, "-c", code, str(self.work / "export" / "from-device")], 300))
        return {"rows": rows, "net_on_the_device": on_device}

    def train_demo(self) -> dict:
        self.demo_data()
        sets = [] if self.tiny else ["--set", "data.train.loader.workers=8"]
        if self.tiny:
            sets = ["--set", "trainer.epochs=1", "--set", "data.train.sampler.samples_per_epoch=8",
                    "--set", "data.train.loader.workers=0"]
        train = self.ltr("train", "hcat/demo", "--device", self.device, "--workspace", str(self.work / "ws-demo"),
                         *sets, timeout=max(60, self.remaining() - 60))
        out = {"train_s": train["seconds"], "train_rc": train["rc"],
               "last_epoch": _grep(train["stdout"], "epoch ", last=True)}
        if train["rc"] != 0:
            return {**out, "error": _last_line(train)}
        for amp in ("off", "bf16"):
            r = self.ltr("eval", "hcat/demo", "--device", self.device, "--amp", amp, "--workers", "1" if self.tiny
                         else "4", "--workspace", str(self.work / "ws-demo"), *sets, timeout=300)
            out[f"eval_{amp}"] = parse_eval(r)
        return out


def _fits(wheel: Path) -> bool:
    """Whether this Python can install ``wheel`` (wheels for other Pythons are carried alongside)."""
    try:
        from packaging.tags import sys_tags
        from packaging.utils import parse_wheel_filename
    except ImportError:
        return True
    return bool(parse_wheel_filename(wheel.name)[3] & set(sys_tags()))


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux: read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def parse_eval(r: dict) -> dict:
    out = {"rc": r["rc"], "seconds": r["seconds"]}
    text = r["stdout"] + "\n" + r["stderr_tail"]
    m = re.search(r"tracked (\d+) sequences .*?: ([\d.]+) fps tracker, ([\d.]+) fps with decoding", text)
    if m:
        out.update(sequences=int(m.group(1)), fps_tracker=float(m.group(2)), fps_with_decoding=float(m.group(3)))
    m = re.search(r"^AUC ([\d.]+)  precision ([\d.]+)  normalized precision ([\d.]+)", text, re.M)
    if m:
        out.update(auc=float(m.group(1)), precision=float(m.group(2)), norm_precision=float(m.group(3)))
    m = re.search(r"sequences on (.*?) -> ", text)
    if m:
        out["on"] = m.group(1)
    if r["rc"] != 0:
        out["error"] = _last_line(r)
    return out


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


def _last_line(r: dict) -> str:
    if r.get("errors"):
        return r["errors"][-1]
    lines = (r["stderr_tail"].strip() or r["stdout"].strip()).splitlines()
    return lines[-1] if lines else f"exit code {r['rc']}"


def _grep(text: str, needle: str, last: bool = False) -> str | None:
    found = [line for line in text.splitlines() if needle in line]
    return (found[-1] if last else found[0]) if found else None


# -- the Markdown report ------------------------------------------------------------------------------------------
def markdown(report: dict) -> str:
    m = report.get("machine") or {}
    lines = [f"# ltr GPU check, {report['started']}", "",
             f"Device {m.get('device', report['device'])}; torch {m.get('torch')}, CUDA {m.get('cuda')}, cuDNN "
             f"{m.get('cudnn')}, Python {m.get('python')}, {m.get('cpus')} CPUs. Matmul peak measured in this run: "
             f"bf16 {m.get('bf16_matmul_tflops')} TFLOP/s ({m.get('bf16_matmul_size')}^2), fp32 "
             f"{m.get('fp32_matmul_tflops')} TFLOP/s. Elapsed {report.get('elapsed_s')} s."
             + (" (--tiny: small sizes, a check of the paths, not figures.)" if report.get("tiny") else ""), ""]
    s = report["sections"]
    if "train_bench" in s or "train_compile" in s:
        lines += ["## Training step (`ltr bench train`)", "",
                  "| config | batch | variant | samples/s | ms/step | fraction of bf16 peak | peak memory MiB |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for r in s.get("train_bench", {}).get("rows", []) + s.get("train_compile", {}).get("rows", []):
            if "samples_per_s" in r:
                lines.append(f"| {r['config']} | {r['batch']} | {r['variant']} | {r['samples_per_s']:.1f} | "
                             f"{r['ms_per_step']:.1f} | {r.get('fraction_of_bf16_peak', float('nan')):.3f} | "
                             f"{r['peak_memory_mib']:.0f} |")
            else:
                lines.append(f"| {r['config']} | | {r['variant']} | {r.get('skipped') or r.get('error')} | | | |")
        lines.append("")
    if "track_bench" in s:
        lines += ["## Tracking per frame (`ltr bench track`, untrained networks)", "",
                  "| config | amp | ms/frame | network ms/frame | fps |", "| --- | --- | --- | --- | --- |"]
        for r in s["track_bench"].get("rows", []):
            run = (r.get("runs") or {}).get("torch")
            if run:
                lines.append(f"| {r['config']} | {r['amp']} | {run['ms_per_frame']:.2f} | "
                             f"{run['net_ms_per_frame']:.2f} | {run['fps']:.1f} |")
            else:
                lines.append(f"| {r['config']} | {r['amp']} | {r.get('skipped') or r.get('error')} | | |")
        lines.append("")
    if "eval" in s:
        lines += ["## `ltr eval` on the demo split (untrained networks)", "",
                  "| config | amp | workers | fps tracker | fps with decoding | wall s |", "| --- | --- | --- | --- | --- | --- |"]
        for r in s["eval"].get("rows", []):
            lines.append(f"| {r['config']} | {r['amp']} | {r.get('workers')} | {r.get('fps_tracker', r.get('error'))} | "
                         f"{r.get('fps_with_decoding', '')} | {r.get('seconds', '')} |")
        lines.append("")
    if "batched" in s:
        lines += ["## Batched tracking (`ltr bench track --batch`, decoding included, untrained networks)", "",
                  "| config | amp | N | frames/s | ms/step | network ms/step | data ms/step | peak memory MiB | "
                  "LaSOT-sized split |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in s["batched"].get("rows", []):
            for n, b in (r.get("per_batch") or {}).items():
                hours = LASOT_SIZED_FRAMES / b["fps"] / 3600
                lines.append(f"| {r['config']} | {r['amp']} | {n} | {b['fps']:.1f} | {b['ms_per_step']:.1f} | "
                             f"{b['network_ms_per_step']:.1f} | {b['data_ms_per_step']:.1f} | "
                             f"{b['peak_memory_mib']:.0f} | {hours:.2f} h |")
            if not r.get("per_batch"):
                lines.append(f"| {r['config']} | {r['amp']} | | {r.get('skipped') or r.get('error')} | | | | | |")
        lines.append("")
    for name in ("resume", "check_plugin", "export", "train_demo"):
        if name in s:
            beside = s[name].get("ran_beside") if isinstance(s[name], dict) else None
            lines += [f"## {name}", ""] + ([f"Ran beside {', '.join(beside)}: its seconds are not speeds.", ""]
                                          if beside else [])
            lines += ["```", json.dumps(s[name], indent=1, default=str)[:4000], "```", ""]
    failed = [k for k, v in s.items() if isinstance(v, dict) and v.get("error")]
    lines.append(f"Sections with an error: {', '.join(failed) if failed else 'none'}.")
    return "\n".join(lines) + "\n"


SECTIONS = ["machine", "train_bench", "batched", "eval", "train_compile", "resume", "check_plugin", "export",
            "train_demo", "track_bench"]
SIDE_BY_SIDE = ["resume", "check_plugin", "export", "train_demo"]     # checks, not speeds: run at once
DEFAULT_SECTIONS = [s for s in SECTIONS if s != "track_bench"]      # batched's batch 1 is the per-frame figure


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", help="auto, cpu, cuda or cuda:N (default cuda)")
    parser.add_argument("--tiny", action="store_true", help="small sizes: checks the paths, measures nothing")
    parser.add_argument("--in-process", action="store_true",
                        help="run `ltr` command lines inside this interpreter (torchrun launches stay processes): "
                             "for the test of this script on a CPU, 2-3 s less per command")
    parser.add_argument("--out", default="gpu_check", help="where gpu_check.json and gpu_check.md go")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--budget", type=float, default=420, help="seconds after which no section starts")
    parser.add_argument("--grace", type=float, default=90,
                        help="seconds past the budget a command may still run before it is stopped")
    parser.add_argument("--sections", default="", help=f"comma-separated, in this order, of: {', '.join(SECTIONS)} "
                        f"(default: all but track_bench)")
    parser.add_argument("--install", default=None, metavar="WHEELS",
                        help="first install the wheels in WHEELS (scripts/gpu_wheels.sh) without an index or their "
                             "dependencies, for a machine that has torch but no registry")
    args = parser.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section {unknown[0]!r}; sections: {', '.join(SECTIONS)}")
    check = Check(args)
    chosen = args.sections or DEFAULT_SECTIONS
    for name in [n for n in chosen if n not in SIDE_BY_SIDE]:
        check.section(name, getattr(check, name))
    together = [n for n in chosen if n in SIDE_BY_SIDE]
    if together:
        check.side_by_side(together)
    check.save()
    failed = [k for k, v in check.report["sections"].items() if isinstance(v, dict) and v.get("error")]
    print(f"gpu check: {len(check.report['sections'])} sections in {check.report['elapsed_s']} s, "
          f"{len(failed)} with an error{': ' + ', '.join(failed) if failed else ''}; report: "
          f"{check.out / 'gpu_check.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
