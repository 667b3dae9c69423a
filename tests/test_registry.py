"""The registry as a third party meets it: discovery through entry points, scoped names, the checked contract,
plugin API versions, the kinds a plugin can add, listing and broken plugins."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import types

import pytest
import torch
from click.testing import CliRunner

from ltr_core import builtins, registry
from ltr_core.cli import main
from ltr_core.cli_runner import run_ltr as run_cli
from ltr_core.config import ConfigError, load_config, validate_component
from ltr_core.data.processing import CropPairProcessing
from ltr_core.registry import ComponentError, Registry, RegistryError, discover


def run_ltr(*args, env=None):
    """`ltr ARGS` in this interpreter with ``env`` added to the environment; run_ltr_process for a new one."""
    return run_cli(*args, env={**os.environ, **(env or {})})


def run_ltr_process(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def plugin(**hooks):
    """A plugin module holding the given hooks (and the plugin API declaration unless given)."""
    mod = types.ModuleType("a_plugin")
    mod.ltr_plugin_api = lambda: ">=1.0,<2"
    for name, fn in hooks.items():
        setattr(mod, name, fn)
    return mod


def core_registry() -> Registry:
    reg = Registry()
    reg.add_plugin(builtins, "core", "ltr-core", "0.3.0")
    return reg


def siamcorr(depth: int = 2):
    """A correlation network."""
    return torch.nn.Linear(depth, 1)


def test_core_components_are_addressed_as_core_names_and_by_unambiguous_short_names():
    reg = discover()
    lasot = reg.get("dataset", "lasot")
    assert lasot is reg.get("dataset", "core/lasot")
    assert lasot.qualname == "core/lasot" and lasot.distribution == "ltr-core" and lasot.version
    assert lasot.description.startswith("LaSOT")
    assert {"core/lasot", "core/got10k", "core/trackingnet", "core/coco"} <= set(reg.names("dataset"))


def test_unknown_name_suggests_close_matches():
    with pytest.raises(RegistryError, match=r"unknown dataset 'lasott'; did you mean 'lasot'"):
        core_registry().get("dataset", "lasott")


def test_two_plugins_with_one_short_name_both_load_and_the_short_name_names_both(tmp_path):
    reg = core_registry()
    reg.add_plugin(plugin(ltr_nets=lambda: {"siamcorr": siamcorr}), "aaa", "ltr-aaa", "1.0")
    reg.add_plugin(plugin(ltr_nets=lambda: {"siamcorr": siamcorr}), "mytracker", "ltr-mytracker", "0.1")
    assert not reg.failures
    assert {"aaa/siamcorr", "mytracker/siamcorr"} <= set(reg.names("net"))
    assert reg.get("net", "mytracker/siamcorr").plugin == "mytracker"
    with pytest.raises(RegistryError, match=r"net 'siamcorr' is ambiguous: plugins 'aaa' \(ltr-aaa\) and "
                                            r"'mytracker' \(ltr-mytracker\) both register it; write "
                                            r"'aaa/siamcorr' or 'mytracker/siamcorr'"):
        reg.get("net", "siamcorr")
    with pytest.raises(ConfigError, match=r"^net.name: net 'siamcorr' is ambiguous"):
        validate_component({"name": "siamcorr"}, "net", "net", reg)
    assert validate_component({"name": "aaa/siamcorr"}, "net", "net", reg) == {"name": "aaa/siamcorr", "depth": 2}
    registry.set_registry(reg)
    try:
        out = CliRunner().invoke(main, ["list", "net"])
    finally:
        registry.set_registry(None)
    assert out.exit_code == 0 and "aaa/siamcorr" in out.output and "mytracker/siamcorr" in out.output


def test_a_plugin_registers_all_or_nothing():
    def broken_trackers():
        raise RuntimeError("tracker table not ready")

    reg = core_registry()
    reg.load_plugin("", "half", "ltr-half", "0.1", loader=lambda: plugin(
        ltr_nets=lambda: {"halfnet": siamcorr}, ltr_trackers=broken_trackers))
    assert [f.plugin for f in reg.failures] == ["half"]
    assert reg.failures[0].error == ("plugin 'half' (ltr-half 0.1), hook ltr_trackers raised RuntimeError: tracker "
                                     "table not ready")
    assert "half/halfnet" not in reg.names("net") and "half" not in reg.plugins
    with pytest.raises(RegistryError, match="Plugins that failed to load: half"):
        reg.get("net", "halfnet")


@pytest.mark.parametrize("hooks, message", [
    ({"ltr_net": lambda: {}}, r"'ltr_net' is not a hook of ltr_core.hookspecs; did you mean 'ltr_nets'\?"),
    ({"ltr_nets": lambda: [siamcorr]},
     r"hook ltr_nets returned a list \(\[<function siamcorr.*\]\); expected a mapping \{name: factory\} of nets"),
    ({"ltr_nets": lambda: None}, r"hook ltr_nets returned a NoneType \(None\) \(does the hook lack a `return`\?\)"),
    ({"ltr_nets": lambda: {"name": 42}}, r"hook ltr_nets: net 'name' is a int \(42\), not a class or function"),
    ({"ltr_nets": lambda: {"a/b": siamcorr}}, r"hook ltr_nets: the name 'a/b' is not a valid net name"),
    ({"ltr_configs": lambda: {"default": "/no/such/default.yaml"}},
     r"config 'default' is /no/such/default.yaml, which does not exist \(a YAML file the plugin's package must "
     r"ship: list it as package data"),
    ({"ltr_benchmarks": lambda: {"mine": siamcorr}}, r"benchmark 'mine' is a function .*not an "
                                                     r"ltr_core.api.Benchmark"),
    ({"ltr_nets": lambda arg: {}}, r"plugin 'bad' \(ltr-bad 0.3\): Plugin 'bad' for hook 'ltr_nets'"),
])
def test_the_contract_is_checked_at_load_and_failures_name_plugin_distribution_version_and_hook(hooks, message):
    reg = core_registry()
    reg.load_plugin("", "bad", "ltr-bad", "0.3", loader=lambda: plugin(**hooks))
    assert len(reg.failures) == 1 and reg.failures[0].plugin == "bad"
    assert reg.failures[0].error.startswith("plugin 'bad' (ltr-bad 0.3)")
    import re
    assert re.search(message, reg.failures[0].error), reg.failures[0].error
    assert "bad" not in reg.plugins


@pytest.mark.parametrize("declared, message", [
    (None, r"declares no plugin API range: add a hook `ltr_plugin_api\(\)` that returns the versions it "
           r"supports, e.g. '>=1.4,<2' \(this core implements 1.4\)"),
    (">=2.0,<3", r"supports plugin API >=2.0,<3, but ltr-core .* implements 1.4: upgrade ltr-core"),
    ("<1.0", r"supports plugin API <1.0, but ltr-core .* implements 1.4: upgrade ltr-old to a release written for "
             r"plugin API 1.4"),
    ("~1", r"ltr_plugin_api\(\) must return a version range such as '>=1.0,<2': '~1' in '~1' is not a clause"),
])
def test_a_plugin_for_another_plugin_api_fails_saying_what_to_upgrade(declared, message):
    mod = plugin(ltr_nets=lambda: {"oldnet": siamcorr})
    if declared is None:
        del mod.ltr_plugin_api
    else:
        mod.ltr_plugin_api = lambda: declared
    reg = core_registry()
    reg.load_plugin("", "old", "ltr-old", "0.0.9", loader=lambda: mod)
    import re
    assert re.search(message, reg.failures[0].error), reg.failures[0].error
    assert "old/oldnet" not in reg.names("net")


def test_building_or_returning_the_wrong_thing_names_the_component_and_its_plugin():
    def needs_arg(size: int = 3):
        """A net whose factory breaks."""
        raise TypeError("size must be a tuple")

    reg = core_registry()
    reg.add_plugin(plugin(ltr_nets=lambda: {"breaks": needs_arg, "not_a_module": lambda: {"w": 1}}), "mine",
                   "ltr-mine", "0.1")
    with pytest.raises(ComponentError, match=r"^net 'mine/breaks' \(plugin 'mine', ltr-mine 0.1\) failed to build: "
                                             r"TypeError: size must be a tuple$"):
        reg.build("net", "breaks")
    with pytest.raises(ComponentError, match=r"^net 'mine/not_a_module' \(plugin 'mine', ltr-mine 0.1\) built a "
                                             r"dict \(\{'w': 1\}\), expected a torch.nn.Module$"):
        reg.build("net", "not_a_module")


def test_a_processing_that_forwards_kwargs_accepts_its_parents_keys():
    class SiamProcessing(CropPairProcessing):
        """A processing with one key of its own."""

        def __init__(self, sigma: float = 1.0, **kwargs):
            super().__init__(**kwargs)
            self.sigma = sigma

    reg = core_registry()
    reg.add_plugin(plugin(ltr_processings=lambda: {"siam": SiamProcessing}), "siam", "ltr-siam", "0.1")
    cfg = validate_component({"name": "siam", "sigma": 2.0, "search_size": 64}, "processing", "p", reg)
    assert cfg["sigma"] == 2.0 and cfg["search_size"] == 64 and cfg["template_size"] == 128
    assert reg.build("processing", "siam", **{k: v for k, v in cfg.items() if k != "name"}).search[1] == 64
    with pytest.raises(ConfigError, match=r"p.serch_size: unknown key for processing 'siam/siam'; did you mean "
                                          r"'search_size'\?.*Valid keys: .*search_size.*sigma"):
        validate_component({"name": "siam", "serch_size": 64}, "processing", "p", reg)


class RampSGD(torch.optim.SGD):
    pass


def ramp_sgd(params, lr: float = 0.1, momentum: float = 0.0):
    """SGD registered by a plugin (test)."""
    return RampSGD(params, lr=lr, momentum=momentum)


def halving(optimizer, epochs: int, every: int = 1):
    """Halve the learning rate every `every` epochs (test)."""
    return torch.optim.lr_scheduler.StepLR(optimizer, every, 0.5)


def test_plugins_add_optimizers_schedulers_and_benchmarks_that_configs_and_eval_use(tiny_env, demo_tree):
    from ltr_core.data.datasets.lasot import LaSOT
    from ltr_core.evaluation.benchmark import Benchmark
    from ltr_core.train.trainer import Trainer

    mini = Benchmark("The demo tree's test split, as a plugin's benchmark (test)",
                     lambda root, split: LaSOT(root, split_file=f"{split}_split.txt", name="mini"),
                     "LTR_DEMO_DIR", ("test",))
    reg = registry.get_registry()
    reg.add_plugin(plugin(ltr_optimizers=lambda: {"ramp_sgd": ramp_sgd}, ltr_schedulers=lambda: {"halving": halving},
                          ltr_benchmarks=lambda: {"mini": mini}), "extra", "ltr-extra", "0.1")
    cfg = load_config("tiny/tiny", ["optimizer={name: ramp_sgd, lr: 0.2}", "scheduler={name: extra/halving}",
                                    "trainer.epochs=2", "eval.dataset=mini"])
    assert cfg["optimizer"] == {"name": "extra/ramp_sgd", "lr": 0.2, "momentum": 0.0, "param_groups": []}
    assert cfg["scheduler"] == {"name": "extra/halving", "every": 1} and cfg["eval"]["dataset"] == "extra/mini"
    trainer = Trainer(cfg, tiny_env, out=lambda m: None, resume=False)
    assert isinstance(trainer.optimizer, RampSGD)
    trainer.train()
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.05)
    out = CliRunner().invoke(main, ["eval", "tiny/tiny", "--untrained", "--dataset", "mini"])
    assert out.exit_code == 0, out.output
    assert "(mini test, 2 sequences, pytracking)" in out.output
    listed = CliRunner().invoke(main, ["list", "benchmark"]).output
    assert "extra/mini" in listed and "core/lasot" in listed
    with pytest.raises(ConfigError, match=r"eval.dataset: unknown benchmark 'minni'; did you mean"):
        load_config("tiny/tiny", ["eval.dataset=minni"])


def test_tiny_plugin_registers_through_the_hooks(tiny_env):
    reg = registry.get_registry()
    assert reg.get("net", "tiny").qualname == "tiny/tiny" and reg.get("net", "tiny").plugin == "tiny"
    assert "tiny/tiny" in reg.names("config")


def _fake_site(tmp_path, body="", broken=False):
    """A distribution installed the way pip does it: a dist-info with an `ltr` entry point."""
    site = tmp_path / "site"
    (site / "ltr_fake-0.3.dist-info").mkdir(parents=True)
    (site / "ltr_fake-0.3.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: ltr-fake\nVersion: 0.3\n")
    (site / "ltr_fake-0.3.dist-info" / "entry_points.txt").write_text("[ltr]\nfake = fake_plugin\n")
    broken_body = "raise ImportError('boom: missing dependency xyz')\n"
    (site / "fake_plugin.py").write_text(textwrap.dedent(body) if not broken else broken_body)
    return site


FAKE_BODY = '''
    from ltr_core.hookspecs import hookimpl

    def fake_net(depth: int = 2):
        """A fake network for the discovery test."""

    @hookimpl
    def ltr_plugin_api():
        return ">=1.0,<2"

    @hookimpl
    def ltr_nets():
        return {"fakenet": fake_net}
'''


def test_installing_a_distribution_makes_it_appear_and_uninstalling_makes_it_disappear(tmp_path):
    # a new interpreter: the distribution is found on PYTHONPATH, which only a starting interpreter reads
    site = _fake_site(tmp_path, FAKE_BODY)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), "LTR_PLUGINS": ""}
    out = run_ltr_process("list", "net", "--json", env=env)
    assert out.returncode == 0, out.stderr
    comps = json.loads(out.stdout)["components"]
    fake = [c for c in comps if c["short_name"] == "fakenet"]
    assert fake == [{"kind": "net", "name": "fake/fakenet", "short_name": "fakenet", "plugin": "fake",
                     "distribution": "ltr-fake", "version": "0.3",
                     "description": "A fake network for the discovery test."}]
    version = run_ltr_process("--version", env=env)
    assert version.returncode == 0
    assert version.stdout.splitlines()[0].startswith("ltr-core 0.3.6 (package 0.3.6, plugin API 1.4)")
    assert "plugin fake: ltr-fake 0.3 (plugin API >=1.0,<2)" in version.stdout
    shutil.rmtree(site / "ltr_fake-0.3.dist-info")           # "uninstall": remove the dist-info
    out = run_ltr_process("list", "net", "--json", env=env)
    assert "fakenet" not in out.stdout


def test_a_broken_plugin_is_reported_does_not_hide_the_others_and_fails_strict_listing(tmp_path):
    # a new interpreter: the distribution is found on PYTHONPATH, which only a starting interpreter reads
    site = _fake_site(tmp_path, broken=True)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), "LTR_PLUGINS": ""}
    out = run_ltr_process("list", env=env)
    assert out.returncode == 0, out.stderr
    assert "FAILED plugin 'fake' (ltr-fake 0.3): ImportError: boom: missing dependency xyz" in out.stdout
    assert "core/lasot" in out.stdout and "Traceback" not in out.stdout + out.stderr
    data = json.loads(run_ltr_process("list", "--json", env=env).stdout)
    assert data["failed_plugins"][0]["plugin"] == "fake"
    strict = run_ltr_process("list", "--strict", env={**env, "LTR_DEBUG": "1"})
    assert strict.returncode == 2
    assert strict.stderr.splitlines()[-1] == "error: 1 plugin(s) failed to load: fake"
    assert "Traceback (most recent call last)" in strict.stderr and "fake_plugin.py" in strict.stderr   # LTR_DEBUG


def test_list_filters_by_kind_and_rejects_unknown_kinds(tiny_env):
    out = CliRunner().invoke(main, ["list", "tracker"])
    assert out.exit_code == 0
    kinds = {line.split()[0] for line in out.output.splitlines()[1:]}
    assert kinds == {"tracker"}
    bad = CliRunner().invoke(main, ["list", "netz"])
    assert bad.exit_code == 2 and "unknown component kind 'netz'" in bad.output
