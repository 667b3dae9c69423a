"""The plugin conformance kit: what ``ltr check-plugin NAME`` runs, usable from a plugin's own tests::

    from ltr_core.testing import assert_plugin_conforms

    def test_the_plugin_conforms(tmp_path):
        assert_plugin_conforms("mytracker", tmp_path)

For each of the plugin's configs, on data generated in ``workdir`` (a small tree in LaSOT's layout):

* build: the config validates, and its net, objective and actor build (``pretrained*`` flags off: no download);
* train: two training steps exactly as ``ltr train`` runs them, on batches of 2 drawn by the config's sampler and
  processing: a finite one-element loss, a dict of finite numbers as stats, and a gradient on every trainable
  parameter (unless the config sets ``trainer.find_unused_parameters``);
* track: the config's tracker, with the untrained network, through the evaluation runner on a generated sequence:
  a box of four finite numbers and a number as score on every frame;
* train and track run on ``device`` (``ltr check-plugin --device``; auto: the GPU when there is one);
* batch (trackers with ``batchable = True``): four generated sequences through three slots of batched tracking
  (``ltr eval --batch``), every box within 0.01 px of the unbatched tracker's on the same frames on a CPU, and
  within 0.25 px on a GPU, where the kernels chosen for each batch size round differently (TF32 off);
* gpu-ready (on a CPU): one training step and six tracked frames on a simulated GPU
  (:mod:`ltr_core.devicecheck`): no CPU tensor mixed into GPU work, no ``.numpy()`` of a GPU tensor, the tracker
  built on the device it is given; the host synchronisations per step and per frame are reported, and so are the
  training step's operators that CUDA refuses under ``trainer.deterministic`` (a failure where the config sets it);
* export: for a net with declared ONNX parts, every part through ONNX Runtime against PyTorch on random inputs
  (max difference within 1e-3 of the output's scale).

Components that none of the plugin's configs uses are built with their defaults where that needs no data root
(nets, objectives, transforms, processings, optimizers, schedulers) and otherwise noted. Configs that share a
section share its check. Every message names the component, its plugin and what it returned.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ltr_core.components import build_net
from ltr_core.config import load_config
from ltr_core.data.build import build_sampler
from ltr_core.data.datasets.lasot import LaSOT
from ltr_core.data.demo import DemoSpec, is_current, make_demo
from ltr_core.data.image import read_image
from ltr_core.data.loader import build_loader
from ltr_core.data.sampler import TrackingSampler
from ltr_core.deploy.export import export_parts, parts_for
from ltr_core.deploy.verify import part_errors
from ltr_core.device import resolve
from ltr_core.devicecheck import DeviceMixError, RecordNondeterministic, SimulatedDevice
from ltr_core.errors import UserError, debug_enabled
from ltr_core.evaluation.metrics import read_result_file
from ltr_core.registry import environment, get_registry
from ltr_core.track.batched import run_batched
from ltr_core.track.factory import TrackerFactory
from ltr_core.track.runner import EvalSequence, run_sequences, sequences_from_dataset, track_sequence
from ltr_core.train.optim import build_optimizer
from ltr_core.train.step import build_train_step

TOLERANCE = 1e-3
#: a component that takes longer than this to build gets a WARN line (the kit builds a config's net per check)
SLOW_BUILD_S = 10.0


@dataclass
class Check:
    status: str       # PASS, FAIL, SKIP, WARN or NOTE (WARN and NOTE do not fail the plugin)
    subject: str      # "config mytracker/demo", "transform 'x/y' (...)"
    message: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.subject}: {self.message}"


@dataclass
class Report:
    plugin: str
    header: str = ""
    checks: list[Check] = field(default_factory=list)
    progress: object = None      # called with each line (the header, then each check) as it is known

    def add(self, check: Check) -> None:
        self.checks.append(check)
        if self.progress:
            self.progress(check.line())

    def start(self, header: str) -> None:
        self.header = header
        if self.progress:
            self.progress(header)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "FAIL"]

    @property
    def ok(self) -> bool:
        return not self.failures and any(c.status == "PASS" for c in self.checks)

    def counts(self) -> str:
        passed = sum(c.status == "PASS" for c in self.checks)
        skipped = sum(c.status == "SKIP" for c in self.checks)
        warned = sum(c.status == "WARN" for c in self.checks)
        return (f"{passed} passed, {len(self.failures)} failed" + (f", {skipped} skipped" if skipped else "")
                + (f", {warned} warning{'s' * (warned > 1)}" if warned else ""))

    def summary(self) -> str:
        return "\n".join([self.header] + [c.line() for c in self.checks] + [f"check-plugin {self.plugin}: "
                                                                          + self.counts()])


class _Fail(Exception):
    """A check's failure; the message is the check's."""


def _run(report: Report, subject: str, fn, *args) -> bool:
    """Run one check and record it; True when it passed."""
    try:
        result = fn(*args)
    except _Fail as e:
        report.add(Check("FAIL", subject, str(e)))
        return False
    except _Skip as e:
        report.add(Check("SKIP", subject, str(e)))
        return False
    except UserError as e:
        report.add(Check("FAIL", subject, " ".join(str(e).split())))
        return False
    except Exception as e:
        hint = "\n" + traceback.format_exc() if debug_enabled() else " (LTR_DEBUG=1 shows the traceback)"
        report.add(Check("FAIL", subject, f"{type(e).__name__}: {e}{hint}"))
        return False
    report.add(Check("PASS", subject, result))
    return True


class _Skip(Exception):
    """A check that cannot run here (e.g. onnxruntime is not installed)."""


def generated_tree(workdir: Path) -> Path:
    """A small demo tree in LaSOT's layout (4 sequences of 30 frames; 1 in the test split), made once."""
    root = Path(workdir) / "data"
    spec = DemoSpec(classes=2, per_class=2, frames=30, width=192, height=144, seed=11, test_per_class=1,
                    photos="off")
    if not is_current(root, spec):
        make_demo(root, spec, progress=False, workers=1, report=lambda m: None)
    return root


def check_plugin(name: str, workdir: Path, configs: list[str] | None = None, export: bool = True,
                 registry=None, progress=None, device: str = "auto") -> Report:
    """Run the conformance checks on the installed plugin ``name``; ``configs`` limits them to those configs.
    ``progress(line)`` receives each check's line as it completes. ``device``: where the train and track checks
    run (:mod:`ltr_core.device`); on a CPU the gpu-ready check also runs them on a simulated GPU."""
    reg = registry or get_registry()
    report = Report(name, progress=progress)
    failure = next((f for f in reg.failures if f.plugin == name), None)
    if failure is not None:
        report.start(f"check-plugin {name} ({failure.distribution} {failure.version})")
        report.add(Check("FAIL", f"plugin {name!r}", f"did not load: {failure.error}"))
        return report
    if name not in reg.plugins:
        known = ", ".join(p for p in reg.plugins if p != "core") or "none"
        raise UserError(f"no plugin named {name!r} is installed in {environment()} (installed plugins: {known}; "
                        "see `ltr list`; a plugin installed into another environment is not seen from this one)")
    info = reg.plugins[name]
    report.start(f"check-plugin {name} ({info.distribution} {info.version}, plugin API {info.api})")
    for mine, core in reg.shadowed():
        if mine.plugin == name:
            report.add(Check("WARN", mine.label, f"its short name {mine.short!r} is also the core's {core.kind} "
                                                 f"{core.qualname!r}, which the short name keeps meaning: configs "
                                                 f"reach this one as {mine.qualname!r} only (rename it to "
                                                 "reach it by a short name)"))
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    kit = _Kit(reg, workdir, report, export, resolve(device))
    previous, reg.build_listener = reg.build_listener, kit.built
    try:
        _check_components(reg, kit, report, name, configs)
    finally:
        reg.build_listener = previous
    return report


def _check_components(reg, kit, report: Report, name: str, configs: list[str] | None) -> None:
    own = [c for c in reg.of_plugin(name) if c.kind == "config"]
    if configs:
        unknown = sorted(set(configs) - {c.qualname for c in own})
        if unknown:
            raise UserError(f"--config {unknown[0]}: not a config of plugin {name!r} "
                            f"(its configs: {', '.join(c.qualname for c in own) or 'none'})")
        own = [c for c in own if c.qualname in configs]
    for comp in own:
        kit.config(comp.qualname)
    if not configs:
        for comp in reg.of_plugin(name):
            if comp.kind != "config" and comp.qualname not in kit.used[comp.kind]:
                kit.unused(comp)
    if not any(c.status in ("PASS", "FAIL", "SKIP") for c in report.checks):
        report.add(Check("FAIL", f"plugin {name!r}", "registers no component to check"))


def simulated_gpu_syncs(cfg: dict, workdir: Path, registry=None, frames: int = 6) -> dict:
    """Run one training step (batch 2, from a tree generated in ``workdir``) and ``frames`` frames of ``cfg``'s
    tracker (untrained) on a simulated GPU (:class:`ltr_core.devicecheck.SimulatedDevice`); returns the host
    synchronisations ``{"step": per training step, "frame": the most in one tracked frame}`` (None where the
    config has no training data or no tracker) and ``"nondeterministic"``: the operators of the training step that
    CUDA refuses under ``trainer.deterministic`` (:data:`~ltr_core.devicecheck.NONDETERMINISTIC_ON_CUDA`), or "".
    Raises :class:`~ltr_core.devicecheck.DeviceMixError` (or the runner's error naming the tracker, caused by one)
    where CUDA would fail."""
    kit = _Kit(registry or get_registry(), Path(workdir), Report("-"), False, torch.device("cpu"))
    counts = {"step": None, "frame": None, "nondeterministic": ""}
    if cfg.get("actor") is not None and (cfg.get("data") or {}).get("train") is not None:
        batch = kit._batches(cfg, 1)[0]
        with SimulatedDevice() as sim:
            _, step = kit._step(cfg, torch.device(sim.device))
            data = step.to_device(batch)
            sim.reset()
            with RecordNondeterministic() as rec:
                step(data, True)
            counts["step"] = sim.sync_count()
            counts["nondeterministic"] = rec.describe()
    if cfg.get("tracker") is not None:
        seq = sequences_from_dataset(LaSOT(generated_tree(workdir), split_file="test_split.txt"))[0]
        seq.frames, seq.gt = seq.frames[:frames], seq.gt[:frames]
        with SimulatedDevice() as sim:
            tracker = TrackerFactory(cfg, None, device="cuda")()
            if getattr(tracker, "device", None) != sim.device:
                raise _Fail(f"{kit.reg.label('tracker', cfg['tracker']['name'])} ignored the device it was given "
                            f"(it runs on {getattr(tracker, 'device', '?')}): take a `device` argument and pass it "
                            "to ltr_core's Tracker")
            per_frame = []
            original = tracker.track

            def counted(image):
                before = sim.sync_count()
                out = original(image)
                per_frame.append(sim.sync_count() - before)
                return out

            tracker.track = counted
            track_sequence(tracker, seq)
            counts["frame"] = max(per_frame)
    return counts


def assert_plugin_conforms(name: str, workdir: Path, **kw) -> Report:
    """:func:`check_plugin`, raising AssertionError with the report when a check failed."""
    report = check_plugin(name, workdir, **kw)
    assert report.ok, "\n" + report.summary()
    return report


class _Kit:
    def __init__(self, reg, workdir: Path, report: Report, export: bool, device: torch.device):
        self.reg, self.workdir, self.report, self.export = reg, workdir, report, export
        self.device = device
        self.done: dict[str, str] = {}      # section fingerprint -> the config that checked it
        self.used: dict[str, set] = {k: set() for k in reg.components}
        self.slow: set[str] = set()

    def built(self, comp, seconds: float) -> None:
        """The registry's report of each build: a slow one of the plugin's is said at once (the kit builds a net
        per check)."""
        if seconds >= SLOW_BUILD_S and comp.plugin == self.report.plugin and comp.qualname not in self.slow:
            self.slow.add(comp.qualname)
            self.report.add(Check("WARN", comp.label, f"took {seconds:.1f} s to build (over {SLOW_BUILD_S:g} s); the "
                                                      "kit builds a config's net for each check, and training, "
                                                      "evaluation and export build it too: move slow work "
                                                      "(downloads, conversions) out of the factory"))

    def _record(self, subject: str, fn, *args) -> bool:
        return _run(self.report, subject, fn, *args)

    def _once(self, subject: str, key: str, fn, *args) -> bool:
        """Run a check unless a config with the same sections had it; True when it passed (then or now)."""
        fingerprint = key + json.dumps(args[0] if args else None, sort_keys=True, default=str)
        if fingerprint in self.done:
            self.report.add(Check("PASS", subject, f"{key}: same sections as {self.done[fingerprint]}, checked "
                                                   "there"))
            return True
        if self._record(subject, fn, *args):
            self.done[fingerprint] = subject.split(" ", 1)[1]
            return True
        return False

    # -- per config -----------------------------------------------------------------------------------
    def config(self, qualname: str) -> None:
        subject = f"config {qualname}"
        holder = {}

        def load():
            holder["cfg"] = cfg = load_config(qualname, registry=self.reg)
            for section in ("net", "objective", "actor", "tracker", "optimizer", "scheduler"):
                if isinstance(cfg.get(section), dict):
                    self.used[section].add(cfg[section]["name"])
            for section in (cfg.get("data") or {}).values():
                self.used["sampler"].add(section["sampler"]["name"])
                self.used["processing"].add(section["processing"]["name"])
                for t in section["processing"].get("transforms") or []:
                    self.used["transform"].add(t["name"])
                for d in section["datasets"]:
                    self.used["dataset"].add(d["name"])
            if isinstance(cfg.get("net"), dict):
                self.used["export"].add(cfg["net"]["name"])
            for hook in cfg["trainer"]["hooks"]:
                self.used["trainer_hook"].add(hook["name"])
            return "validates"
        if not self._record(subject, load):
            return
        cfg = holder["cfg"]
        if cfg.get("net") is None:
            return
        train_keys = {k: cfg.get(k) for k in ("seed", "net", "objective", "actor", "optimizer")}
        train_keys["data"] = (cfg.get("data") or {}).get("train")
        trains = cfg.get("actor") is not None and train_keys["data"] is not None
        passed = True
        if trains:
            passed &= self._once(subject, "train", self._train, train_keys, cfg)
        if cfg.get("tracker") is not None:
            passed &= self._once(subject, "track", self._track, {"net": cfg["net"], "tracker": cfg["tracker"],
                                                                  "seed": cfg["seed"]}, cfg)
        if passed and cfg.get("tracker") is not None and self._batchable(cfg):
            self._once(subject, "batch", self._batch, {"net": cfg["net"], "tracker": cfg["tracker"],
                                                        "seed": cfg["seed"]}, cfg)
        if self.device.type == "cpu" and passed and (trains or cfg.get("tracker") is not None):
            self._once(subject, "gpu-ready", self._gpu_ready, {**train_keys, "tracker": cfg.get("tracker")}, cfg)
        if self.export and cfg.get("tracker") is not None and cfg["net"]["name"] in self.reg.components["export"]:
            self._once(subject, "export", self._export, {"net": cfg["net"], "tracker": cfg["tracker"]}, cfg)

    def _batches(self, cfg, count: int) -> list[dict]:
        """``count`` training batches of 2 drawn by the config's sampler and processing from the generated tree."""
        root = generated_tree(self.workdir)
        section = copy.deepcopy(cfg["data"]["train"])
        section["loader"].update(batch_size=2, workers=0, pin_memory=False)
        section["datasets"] = [{"name": "core/lasot", "weight": 1.0}]     # the generated tree replaces them
        sampler = build_sampler(section, cfg["seed"], self.workdir, self.reg, datasets=[LaSOT(root, split="all")])
        loader = build_loader(sampler, section["loader"])
        loader.batch_sampler.set_epoch(1)
        batches = iter(loader)
        out = []
        for _ in range(count):
            batch = next(batches)
            if not isinstance(batch, dict):
                raise _Fail(f"the loader gave {type(batch).__name__}, not a dict of tensors (processing "
                            f"{cfg['data']['train']['processing']['name']!r})")
            out.append(batch)
        return out

    def _step(self, cfg, device: torch.device):
        """The network and the training step as ``ltr train`` builds them, on ``device``."""
        torch.manual_seed(cfg["seed"])
        net = build_net(cfg, self.reg, pretrained=False).to(device)
        optimizer = build_optimizer(net, cfg["optimizer"], self.reg)
        step_cfg = {**cfg, "trainer": {**cfg["trainer"], "compile": False, "amp": "off"}}
        step = build_train_step(step_cfg, net, optimizer, device, self.reg)
        if hasattr(step.actor, "set_epoch"):
            step.actor.set_epoch(1, cfg["trainer"]["epochs"])
        return net, step

    def _train(self, _key, cfg) -> str:
        batches = self._batches(cfg, 2)
        net, step = self._step(cfg, self.device)
        losses, stat_names = [], []
        for i, batch in enumerate(batches):
            loss, stats = step(step.to_device(batch), True)
            if not math.isfinite(float(loss)):
                raise _Fail(f"{self.reg.label('actor', cfg['actor']['name'])}: the loss of step {i + 1} is "
                            f"{float(loss)}")
            bad = {k: float(v) for k, v in stats.items() if not math.isfinite(float(v))}
            if bad:
                raise _Fail(f"{self.reg.label('actor', cfg['actor']['name'])}: stats of step {i + 1} are not "
                            f"finite: {bad}")
            losses.append(float(loss))
            stat_names = sorted(stats)
        trainable = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
        no_grad = [n for n, p in trainable if p.grad is None]
        if no_grad and not cfg["trainer"]["find_unused_parameters"]:
            raise _Fail(f"{len(no_grad)} of {len(trainable)} trainable parameters got no gradient (e.g. "
                        f"{', '.join(no_grad[:3])}): freeze them (requires_grad_(False) or optimizer.param_groups "
                        "freeze) or set trainer.find_unused_parameters: true")
        return (f"2 training steps, batch 2: loss {losses[0]:.4g}, {losses[1]:.4g}; stats "
                f"{', '.join(stat_names) or '(none)'}; gradients on {len(trainable) - len(no_grad)} of "
                f"{len(trainable)} trainable parameters; on {self.device}")

    def _track(self, _key, cfg) -> str:
        root = generated_tree(self.workdir)
        seq = sequences_from_dataset(LaSOT(root, split_file="test_split.txt"))[:1]
        out = self.workdir / "results" / cfg["_name"].replace("/", "__")
        for old in out.glob("*.txt") if out.is_dir() else []:
            old.unlink()
        summary = run_sequences(TrackerFactory(cfg, None, device=str(self.device)), seq, out, workers=1,
                                progress=False)
        boxes = read_result_file(out / f"{seq[0].name}.txt").boxes
        if not np.isfinite(boxes).all():
            row = int(np.flatnonzero(~np.isfinite(boxes).all(1))[0])
            raise _Fail(f"{self.reg.label('tracker', cfg['tracker']['name'])} gave a box that is not finite at "
                        f"frame {row + 1}: {boxes[row].tolist()}")
        return (f"tracked generated sequence {seq[0].name} ({len(seq[0])} frames) through the runner at "
                f"{summary['fps']:.1f} fps; every box finite; on {self.device}")

    def _batchable(self, cfg) -> bool:
        try:
            return TrackerFactory(cfg, None, device=str(self.device)).batchable()
        except Exception:             # the track check has said what is wrong with building it
            return False

    def _batch(self, _key, cfg) -> str:
        """Batched tracking (``ltr eval --batch``) against the unbatched tracker: the first frames of the four
        generated sequences, of different lengths, through three slots (so one slot takes a second sequence);
        every box within 0.01 px on a CPU, 0.25 px on a GPU (plus 1e-4 of its size, for untrained trackers whose
        boxes run away) of the tracker's own on the same frames. Few frames: over many, an untrained tracker
        amplifies the rounding of batched matrix products without limit."""
        factory = TrackerFactory(cfg, None, device=str(self.device))
        seqs = [EvalSequence(f"batch-{s.name}", s.frames[:n], s.gt[:n], None) for s, n in
                zip(sequences_from_dataset(LaSOT(generated_tree(self.workdir), split="all")), (8, 6, 7, 5))]
        out = self.workdir / "results" / (cfg["_name"].replace("/", "__") + "-batch")
        for old in out.glob("*.txt") if out.is_dir() else []:
            old.unlink()
        # a GPU picks its kernels per batch size, and they round differently (TF32 more so: off for the check)
        limit = 0.0101 if self.device.type == "cpu" else 0.25
        tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        worst, where = 0.0, ""
        try:
            run_batched(factory.batch(3), seqs, out, progress=False)
            for s in seqs:
                alone = track_sequence(factory(), s)["boxes"]
                gap = np.abs(read_result_file(out / f"{s.name}.txt").boxes - alone) - 1e-4 * np.abs(alone)
                if gap.max() > worst:
                    worst, where = float(gap.max()), f"{s.name}, frame {int(gap.max(1).argmax()) + 1}"
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
        if worst > limit:
            raise _Fail(f"{self.reg.label('tracker', cfg['tracker']['name'])}: batched boxes differ from the "
                        f"unbatched tracker's by {worst:.3g} px, beyond the {limit:.3g} px of rounding on "
                        f"{self.device.type} ({where}): prepare/network/finish must do what track does, and network "
                        "may use only what every tracker of the batch shares")
        return f"{len(seqs)} sequences through 3 slots in lockstep: every box as the unbatched tracker's"

    def _gpu_ready(self, _key, cfg) -> str:
        """One training step and a few tracked frames on a simulated GPU: nothing CUDA would refuse, and the host
        synchronisations counted (:func:`simulated_gpu_syncs`)."""
        try:
            counts = simulated_gpu_syncs(cfg, self.workdir, self.reg)
        except UserError as e:                # the runner names the tracker and frame of what it raised
            if not isinstance(e.__cause__, DeviceMixError):
                raise
            raise _Fail(f"on a simulated GPU: {e}") from None
        except DeviceMixError as e:
            raise _Fail(f"on a simulated GPU: {e}") from None
        found = counts.get("nondeterministic")
        if found and (cfg.get("trainer") or {}).get("deterministic"):
            raise _Fail(f"trainer.deterministic is set, but the training step calls operators with no deterministic "
                        f"CUDA kernel, which a GPU refuses: {found}; compute them another way (elementwise "
                        "operations and sums are deterministic) or set trainer.deterministic=false")
        said = ([f"{counts['step']} host syncs per training step"] if counts["step"] is not None else []) + \
            ([f"{counts['frame']} per tracked frame"] if counts["frame"] is not None else [])
        note = f"; with trainer.deterministic a GPU would refuse {found}" if found else ""
        return "on a simulated GPU, no CPU tensor mixed into GPU work; " + ", ".join(said) + note

    def _export(self, _key, cfg) -> str:
        try:
            import onnx  # noqa: F401   here: an optional extra (ltr-core[onnx])
            import onnxruntime  # noqa: F401
        except ImportError:
            raise _Skip("onnx and onnxruntime are not installed (pip install 'ltr-core[onnx]')") from None
        net = TrackerFactory(cfg, None).network()
        parts = parts_for(cfg, net, self.reg)
        folder = self.workdir / "export" / cfg["_name"].replace("/", "__")
        export_parts(parts, folder, config=cfg["_name"], checkpoint=None, report=lambda m: None)
        errors = part_errors(parts, folder)
        bad = {n: e for n, e in errors.items() if e["max_abs"] > TOLERANCE * max(1.0, e["ref_max"])}
        if bad:
            n, e = next(iter(bad.items()))
            raise _Fail(f"{self.reg.label('export', cfg['net']['name'])}: part {n!r} differs from PyTorch by "
                        f"{e['max_abs']:.3g} (outputs up to {e['ref_max']:.3g}; allowed {TOLERANCE:g} of that)")
        return "ONNX Runtime against PyTorch: " + ", ".join(f"{n} max |diff| {e['max_abs']:.1e}"
                                                           for n, e in errors.items())

    # -- components no config uses --------------------------------------------------------------------
    def unused(self, comp) -> None:
        checks = {"net": self._net_default, "objective": self._callable_default, "transform": self._transform,
                  "processing": self._processing, "optimizer": self._optimizer, "scheduler": self._scheduler,
                  "dataset": self._reader, "benchmark": self._reader, "trainer_hook": self._callable_default}
        if comp.kind in checks:
            self._record(comp.label, checks[comp.kind], comp)
        else:
            self.report.add(Check("NOTE", comp.label, "no config of the plugin uses it, and it cannot be built "
                                                      "without one: not exercised"))

    def _net_default(self, comp) -> str:
        net = self.reg.build("net", comp.qualname)
        return f"built with its defaults ({sum(p.numel() for p in net.parameters()):,} parameters)"

    def _callable_default(self, comp) -> str:
        self.reg.build(comp.kind, comp.qualname)
        return "built with its defaults"

    def _transform(self, comp) -> str:
        transform = self.reg.build("transform", comp.qualname)
        rng = np.random.default_rng(0)
        images = [rng.integers(0, 256, (32, 48, 3), dtype=np.uint8) for _ in range(2)]
        out = transform([im.copy() for im in images], rng)
        if not (isinstance(out, list) and len(out) == 2 and all(isinstance(o, np.ndarray) and o.dtype == np.uint8
                                                                and o.shape == (32, 48, 3) for o in out)):
            raise _Fail(f"applied to two (32, 48, 3) uint8 crops it returned {_describe(out)}; expected a list of "
                        "two arrays of the same shape and dtype")
        return "built with its defaults; keeps the crops' shape and dtype"

    def _processing(self, comp) -> str:
        processing = self.reg.build("processing", comp.qualname)
        sampler = TrackingSampler([LaSOT(generated_tree(self.workdir), split="all")], processing,
                                  samples_per_epoch=1, min_length=10)
        sample = sampler[0]
        if not isinstance(sample, dict) or not all(isinstance(k, str) for k in sample):
            raise _Fail(f"returned {_describe(sample)}; expected a dict of tensors keyed by name")
        return "built with its defaults; processed a generated pair into " + ", ".join(sorted(sample))

    def _reader(self, comp) -> str:
        """A dataset or benchmark reads a small tree in its layout: the one its ``example_tree(root, source)``
        writes from the generated tree in LaSOT's layout (``source``), or that tree itself; the evaluation runner
        then takes its sequences (first boxes, ``eval_rules``), and their first and last frames are decoded."""
        source = generated_tree(self.workdir)
        writer = getattr(comp.factory, "example_tree", None)
        root, kwargs, made = source, {}, "the generated tree in LaSOT's layout"
        if writer is not None:
            root = self.workdir / "layouts" / comp.qualname.replace("/", "__")
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            kwargs = writer(root, source) or {}
            if not isinstance(kwargs, dict):
                raise _Fail(f"example_tree returned {_describe(kwargs)}; expected None or a dict of keyword "
                            "arguments to open the tree with")
            made = f"the tree its example_tree wrote ({root})"
        hint = ("" if writer is not None else "; a reader of another layout gives its class (or its Benchmark) an "
                "example_tree(root, source) that writes a small tree in its layout from the generated one")
        try:
            if comp.kind == "dataset":
                ds = self.reg.build("dataset", comp.qualname, root, **kwargs)
            else:
                split = kwargs.pop("split", (comp.factory.splits or ("test",))[0])
                ds = self.reg.build("benchmark", comp.qualname, split, self.workdir, root)
            names = ds.sequence_names()
            if not names:
                raise _Fail(f"found no sequence in {made}{hint}")
            seqs = sequences_from_dataset(ds)
            for seq in seqs[:2]:
                for index in (0, len(seq) - 1):
                    if not seq.video:
                        read_image(seq.frames[index])
        except _Fail:
            raise
        except Exception as e:
            raise _Fail(f"reading {made}: {' '.join(str(e).split())}{hint}") from None
        frames = sum(len(s) for s in seqs)
        return (f"read {made}: {len(seqs)} sequences, {frames} frames with boxes, first and last frames decoded; "
                f"eval_rules {getattr(ds, 'eval_rules', None) or 'default'}")

    def _optimizer(self, comp) -> str:
        params = [{"params": [torch.nn.Parameter(torch.zeros(3))]}]
        self.reg.build("optimizer", comp.qualname, params)
        return "built with its defaults"

    def _scheduler(self, comp) -> str:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(3))], lr=0.1)
        scheduler = self.reg.build("scheduler", comp.qualname, optimizer, 3)
        optimizer.step()
        scheduler.step()
        return f"built with its defaults; one step gives lr {optimizer.param_groups[0]['lr']:.4g}"


def _describe(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}"
