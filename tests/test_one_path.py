"""One path for each value (issue 36, point 2): the ``--dataset`` option parsed once into a record, one rule for
expanding roots (``~`` and ``$VARS``) in training and evaluation, root variables spelled on their reader classes,
datasets built through the registry's checks, the fp16 loss-scaler rule in one place, and ``pretrained`` an
explicit argument of building a net."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ltr_core import env
from ltr_core.cli import main
from ltr_core.components import build_net
from ltr_core.data.build import build_datasets
from ltr_core.errors import ComponentError
from ltr_core.evaluation.datasets import BENCHMARKS, eval_dataset
from ltr_core.registry import Registry, discover
from ltr_core.train.step import grad_scaler


def test_the_dataset_option_is_one_record_with_name_root_and_split(monkeypatch, tmp_path):
    monkeypatch.setenv("SOMEWHERE", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = eval_dataset("demo:$SOMEWHERE/demo", "test")
    assert (data.qualname, data.short, data.root, data.split) == ("core/demo", "demo", tmp_path / "demo", "test")
    assert not data.server_scored and eval_dataset("got10k", "test").server_scored
    assert eval_dataset("core/lasot:~/lasot", "train").root == tmp_path / "home" / "lasot"
    assert eval_dataset("lasot", "test").root is None


def test_training_and_evaluation_expand_a_root_by_the_same_rule(monkeypatch, tmp_path, demo_tree):
    monkeypatch.setenv("DEMO_PARENT", str(demo_tree.parent))
    written = f"$DEMO_PARENT/{demo_tree.name}"
    assert env.expand(written) == demo_tree
    section = {"datasets": [{"name": "core/lasot", "root": written, "split_file": "train_split.txt",
                             "weight": 1.0}]}
    trained_on, = build_datasets(section, tmp_path)
    evaluated_on = eval_dataset(f"demo:{written}", "test").open(tmp_path)
    assert trained_on.root == evaluated_on.root == demo_tree


def test_eval_takes_an_inline_root_with_a_variable_and_names_the_results_folder_by_the_short_name(
        tiny_env, monkeypatch, demo_tree):
    monkeypatch.setenv("DEMO_PARENT", str(demo_tree.parent))
    out = CliRunner().invoke(main, ["eval", "tiny/tiny", "--untrained", "--dataset",
                                    f"core/demo:$DEMO_PARENT/{demo_tree.name}"])
    assert out.exit_code == 0, out.output
    assert (tiny_env / "results" / "tiny" / "tiny-untrained" / "demo").is_dir()


def test_benchmarks_take_their_root_variables_from_their_reader_classes():
    from ltr_core.data.datasets import benchmarks
    from ltr_core.data.datasets.got10k import GOT10k
    from ltr_core.data.datasets.lasot import LaSOT

    assert BENCHMARKS["lasot"].root_env == LaSOT.root_env == "LTR_LASOT_DIR"
    assert BENCHMARKS["got10k"].root_env == GOT10k.root_env
    assert BENCHMARKS["otb"].root_env == benchmarks.OTB100.root_env
    assert BENCHMARKS["demo"].root_env == env.DEMO_VARIABLE


def test_datasets_are_built_through_the_registry_and_its_checks(tmp_path):
    from ltr_core import builtins

    reg = Registry()
    reg.add_plugin(builtins, "core", "ltr-core", "0.3.0")
    plugin = type("P", (), {"ltr_plugin_api": staticmethod(lambda: ">=1.1,<2"),
                            "ltr_datasets": staticmethod(lambda: {"odd": lambda root: ["not", "a", "reader"]})})
    reg.add_plugin(plugin, "odd", "ltr-odd", "1.0")
    section = {"datasets": [{"name": "odd/odd", "root": str(tmp_path), "weight": 1.0}]}
    with pytest.raises(ComponentError, match=r"dataset 'odd/odd' \(plugin 'odd', ltr-odd 1.0\) built a list .*"
                                             r"expected an ltr_core.api.VideoDataset"):
        build_datasets(section, tmp_path, reg)


@pytest.mark.parametrize("amp, on", [("off", False), ("bf16", False), ("fp16", True)])
def test_the_loss_scaler_is_on_for_fp16_only(amp, on):
    assert grad_scaler(amp, torch.device("cpu")).is_enabled() is on


def test_pretrained_is_an_argument_of_building_a_net():
    seen = {}

    def net(pretrained_backbone: bool = True, pretrained: str = "weights.pth", width: int = 4):
        seen.update(pretrained_backbone=pretrained_backbone, pretrained=pretrained, width=width)
        return torch.nn.Linear(width, 1)

    reg = discover()
    plugin = type("P", (), {"ltr_plugin_api": staticmethod(lambda: ">=1.1,<2"),
                            "ltr_nets": staticmethod(lambda: {"n": net})})
    reg.add_plugin(plugin, "pre", "ltr-pre", "1.0")
    cfg = {"net": {"name": "pre/n", "pretrained_backbone": True, "pretrained": "weights.pth", "width": 3}}
    build_net(cfg, reg)
    assert seen == {"pretrained_backbone": True, "pretrained": "weights.pth", "width": 3}
    build_net(cfg, reg, pretrained=False)
    assert seen == {"pretrained_backbone": False, "pretrained": None, "width": 3}
    assert cfg["net"]["pretrained_backbone"] is True          # the config itself is left as it was


# -- one vocabulary (issue 36, point 3) ---------------------------------------------------------------------
def test_atom_speaks_template_and_search_and_reads_its_old_keys_with_a_warning():
    import inspect

    from ltr_core.config import ConfigError, load_config
    from ltr_atom.network import ATOMBoxNet
    from ltr_atom.refine import refine_on_pair

    assert list(inspect.signature(ATOMBoxNet.forward).parameters)[1:4] == ["template_imgs", "search_imgs",
                                                                         "template_box"]
    assert list(inspect.signature(refine_on_pair).parameters)[1:4] == ["template_img", "template_box", "search_img"]
    with pytest.warns(FutureWarning, match=r"data.train.processing.test_center_jitter is the old name of "
                                           r"data.train.processing.search_center_jitter"):
        cfg = load_config("atom/demo", ["data.train.processing.test_center_jitter=3.0"])
    processing = cfg["data"]["train"]["processing"]
    assert processing["search_center_jitter"] == 3.0 and "test_center_jitter" not in processing
    with pytest.raises(ConfigError, match="are both set: test_scale_jitter is the old name of search_scale_jitter"):
        load_config("atom/demo", ["data.train.processing.test_scale_jitter=0.3",
                                  "data.train.processing.search_scale_jitter=0.3"])


def test_no_train_or_test_frame_names_are_left_in_the_core_and_the_plugins():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    words = re.compile(r"\b(train|test)_(imgs?|images|anno|box|bb|frames?)\b")
    found = []
    for path in list((root / "ltr_core").rglob("*.py")) + list((root / "plugins").glob("*/ltr_*/*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if words.search(line) and "pytracking" not in line:
                found.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


# -- imports inside functions (issue 36, point 4) -----------------------------------------------------------
def test_library_modules_import_inside_functions_only_with_a_reason():
    """In library modules (the CLI's commands may defer imports for start-up time), an import inside a function
    is an optional extra, a platform-only module or a slow import, and says so on its line or the line above."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "ltr_core"
    unexplained = []
    for path in root.rglob("*.py"):
        if "commands" in path.parts or path.name in ("cli.py", "__main__.py"):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    said = lines[sub.lineno - 1] + lines[sub.lineno - 2]
                    if "#" not in said and "here" not in said:
                        unexplained.append(f"{path.relative_to(root.parent)}:{sub.lineno}: "
                                           f"{lines[sub.lineno - 1].strip()}")
    assert not unexplained, "\n".join(unexplained)


# -- trainer hooks (issue 36, point 1: the public hook interface and its example) -------------------------
def test_a_trainer_hook_from_a_config_writes_json_lines_and_a_plugins_hook_sees_every_epoch(tiny_env, monkeypatch):
    import json

    from ltr_core import registry
    from ltr_core.api import TrainerHook

    calls = []

    class Recorder(TrainerHook):
        """Records what the trainer tells it."""

        def __init__(self, tag: str = "r"):
            self.tag = tag

        def before_train(self, trainer):
            calls.append(("before", trainer.name, trainer.epoch))

        def after_epoch(self, trainer, epoch, stats):
            calls.append(("epoch", epoch, round(stats["loss"], 6), (trainer.ckpt_dir / f"ep{epoch:04d}.pth").is_file()))

        def after_train(self, trainer, history):
            calls.append(("after", len(history)))

    reg = registry.get_registry()
    reg.add_plugin(type("P", (), {"ltr_plugin_api": staticmethod(lambda: ">=1.1,<2"),
                                  "ltr_trainer_hooks": staticmethod(lambda: {"recorder": Recorder})}),
                   "rec", "ltr-rec", "1.0")
    hooks = "trainer.hooks=[{name: core/jsonl_metrics}, {name: rec/recorder, tag: x}]"
    out = CliRunner().invoke(main, ["train", "tiny/tiny", "--set", "trainer.epochs=2", "--set", hooks])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in (tiny_env / "logs" / "tiny" / "tiny" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and all(r["config"] == "tiny/tiny" and r["loss"] > 0 for r in rows)
    assert calls[0] == ("before", "tiny/tiny", 0) and calls[-1] == ("after", 2)
    assert [c[1] for c in calls if c[0] == "epoch"] == [1, 2] and all(c[3] for c in calls if c[0] == "epoch")
    assert [c[2] for c in calls if c[0] == "epoch"] == [round(r["loss"], 6) for r in rows]
    # hooks observe: adding them to a run trained without them resumes it (a setting that extends the run)
    more = CliRunner().invoke(main, ["train", "tiny/tiny", "--set", "trainer.epochs=3", "--set",
                                     "trainer.hooks=[{name: core/jsonl_metrics}]"])
    assert more.exit_code == 0 and "resuming with settings that extend the run" in more.output


def test_a_hook_that_raises_stops_training_naming_it_and_a_wrong_hook_is_refused_at_load(tiny_env):
    from ltr_core import registry
    from ltr_core.api import TrainerHook
    from ltr_core.config import ConfigError, load_config

    class Broken(TrainerHook):
        """Fails after the first epoch."""

        def after_epoch(self, trainer, epoch, stats):
            raise RuntimeError("disk of the experiment tracker is full")

    reg = registry.get_registry()
    reg.add_plugin(type("P", (), {"ltr_plugin_api": staticmethod(lambda: ">=1.1,<2"),
                                  "ltr_trainer_hooks": staticmethod(lambda: {"broken": Broken, "wrong": dict})}),
                   "hk", "ltr-hk", "1.0")
    out = CliRunner().invoke(main, ["train", "tiny/tiny", "--set", "trainer.hooks=[{name: hk/broken}]"])
    assert out.exit_code == 1
    assert "trainer_hook 'hk/broken' (plugin 'hk', ltr-hk 1.0) raised RuntimeError in after_epoch: disk of the " \
           "experiment tracker is full" in out.output
    assert (tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth").is_file()     # the epoch is kept
    with pytest.raises(ConfigError, match=r"trainer.hooks.0.name: unknown trainer_hook 'nosuch'"):
        load_config("tiny/tiny", ["trainer.hooks=[{name: nosuch}]"])
    wrong = CliRunner().invoke(main, ["train", "tiny/tiny", "--no-resume", "--set", "trainer.hooks=[hk/wrong]"])
    assert wrong.exit_code == 2 and "expected an ltr_core.api.TrainerHook" in wrong.output


def test_the_loop_runs_its_standard_hooks_then_the_configs_at_every_point_and_closes_them_after_an_error(tiny_env):
    """Issue 36, point 1: the weight average, validation, checkpoints and the epoch log are hooks, in that order,
    before the config's; ``after_step``, ``after_train_epoch`` (which may add numbers) and ``close`` reach a
    plugin's hook; a hook that is not ``ranks = "all"`` is skipped on the other processes."""
    import dataclasses
    import json

    from ltr_core import registry
    from ltr_core.api import TrainerHook
    from ltr_core.config import load_config
    from ltr_core.train.checkpoint import load_checkpoint
    from ltr_core.train.trainer import Trainer, TrainingError

    seen = {"steps": [], "closed": 0}

    class Counter(TrainerHook):
        """Counts the steps, adds a number to each epoch, fails in epoch ``fail_at`` when asked."""

        def __init__(self, fail_at: int = 0):
            self.fail_at = fail_at

        def after_step(self, trainer, epoch, step):
            seen["steps"].append((epoch, step))

        def after_train_epoch(self, trainer, epoch, stats):
            assert "val/loss" in stats                 # validation, a standard hook, ran before
            stats["extra/steps"] = float(len(seen["steps"]))
            if epoch == self.fail_at:
                raise ValueError("asked to fail")

        def close(self, trainer):
            seen["closed"] += 1

    reg = registry.get_registry()
    reg.add_plugin(type("P", (), {"ltr_plugin_api": staticmethod(lambda: ">=1.2,<2"),
                                  "ltr_trainer_hooks": staticmethod(lambda: {"counter": Counter})}),
                   "cnt", "ltr-cnt", "1.0")
    val = ("data.val={datasets: [{name: lasot, root_env: LTR_DEMO_DIR, split_file: train_split.txt}], "
           "sampler: {name: tracking, samples_per_epoch: 8}, processing: {name: crop_pair, search_size: 32, "
           "template_size: 16}, loader: {batch_size: 8, workers: 0}}")
    cfg = load_config("tiny/tiny", ["trainer.epochs=2", "trainer.ema_decay=0.9", val, "trainer.val_every=1",
                                    "trainer.hooks=[{name: core/jsonl_metrics}, {name: cnt/counter}]"])
    trainer = Trainer(cfg, tiny_env, out=lambda m: None)
    assert [(name, configured) for name, _, configured in trainer.hooks] == [
        ("weight average", False), ("validation", False), ("checkpoints", False), ("epoch log", False),
        ("core/jsonl_metrics", True), ("cnt/counter", True)]
    history = trainer.train()
    assert seen["steps"] == [(e, s) for e in (1, 2) for s in (1, 2, 3, 4)]     # 32 samples / 8, training only
    assert trainer.average.updates == 8 and seen["closed"] == 1
    assert [h["extra/steps"] for h in history] == [4.0, 8.0]
    logs = tiny_env / "logs" / "tiny" / "tiny"
    assert "extra/steps 8" in (logs / "train.log").read_text().splitlines()[-1]
    assert [json.loads(r)["extra/steps"] for r in (logs / "metrics.jsonl").read_text().splitlines()] == [4.0, 8.0]
    state = load_checkpoint(tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0002.pth")
    assert state["history"][-1]["extra/steps"] == 8.0 and state["ema"]["updates"] == 8
    assert trainer.last_checkpoint.name == "ep0002.pth"

    # on another process only the hooks that ask for every rank are called
    trainer.ctx = dataclasses.replace(trainer.ctx, rank=1)
    seen["steps"].clear()
    trainer._call_hooks("after_step", trainer, 3, 1)
    assert seen["steps"] == [] and trainer.average.updates == 9

    seen["closed"] = 0
    failing = load_config("tiny/tiny", ["trainer.epochs=3", val, "trainer.val_every=1", "trainer.hooks=[{name: cnt/counter, fail_at: 1}]"])
    with pytest.raises(TrainingError, match=r"trainer_hook 'cnt/counter' .* raised ValueError in after_train_epoch: "
                                            r"asked to fail"):
        Trainer(failing, tiny_env, out=lambda m: None, resume=False).train()
    assert seen["closed"] == 1


def test_compare_runs_finds_two_trainings_of_one_config_equal_and_names_a_changed_tensor(tiny_env, tmp_path):
    """scripts/compare_runs.py, with which the trainer-hook change was shown to write what the loop wrote."""
    import subprocess
    import sys

    from ltr_core.cli_runner import run_ltr

    script = Path(__file__).resolve().parents[1] / "scripts" / "compare_runs.py"
    for side in ("a", "b"):
        out = run_ltr("train", "tiny/tiny", "--set", "trainer.epochs=1", "--set",
                      "trainer.hooks=[{name: core/jsonl_metrics}]", "--workspace", str(tmp_path / side))
        assert out.returncode == 0, out.stderr
    same = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=120)
    assert same.returncode == 0 and "1 checkpoints equal" in same.stdout and "metrics.jsonl equal" in same.stdout
    path = tmp_path / "b" / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"
    state = torch.load(path, weights_only=True)
    state["net"]["head.weight"][0, 0] += 1e-6
    torch.save(state, path)
    changed = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b")],
                             capture_output=True, text=True, timeout=120)
    assert changed.returncode == 1 and "ep0001.pth: net differs" in changed.stdout
