"""The platform as third-party plugin authors meet it (issue 35): a public import surface below everything else
and no import cycle, core names no plugin can shadow, plugins built on other plugins (function factories that
forward keywords, declared foundations, configs based on another plugin's), readers and benchmarks exercised
by the conformance kit, plugin output kept off stdout, and trackers' broken boxes stopped at the frame.

The wheel-installed versions of these (a derived plugin installed beside ltr-ostrack, a missing base) are in
tests/test_packaging.py."""

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import ltr_core
from ltr_core import registry as registry_module
from ltr_core.cli import main
from ltr_core.config import ConfigError, load_config
from ltr_core.registry import Registry, discover

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "ltr-ostrack-quality"


def plugin(name="a_plugin", api=">=1.1,<2", **hooks):
    mod = types.ModuleType(name)
    mod.ltr_plugin_api = lambda: api
    for hook, fn in hooks.items():
        setattr(mod, hook, fn)
    return mod


def full_registry(*plugins) -> Registry:
    """The installed registry plus the given ``(name, module)`` plugins, checked as discovery checks them."""
    reg = discover()
    for name, mod in plugins:
        reg.load_plugin("", name, f"ltr-{name}", "1.0", loader=lambda m=mod: m)
    reg.check_foundations()
    return reg


# -- 1. the import surface and the import graph ------------------------------------------------------------
def _module_graph() -> dict[str, set[str]]:
    """ltr_core's modules -> the ltr_core modules they import, at module level or inside functions; importing
    ``a.b.c`` also runs ``a.b``'s and ``a``'s ``__init__`` (an edge to each, except the importer's own
    packages, which are being imported already)."""
    mods = {}
    for path in (ROOT / "ltr_core").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path

    def known(name):
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        own = {".".join(mod.split(".")[:i]) for i in range(1, mod.count(".") + 1)} | {mod}
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(head + ([base] if base else []))
                for alias in node.names:
                    targets.add(known(f"{base}.{alias.name}") if f"{base}.{alias.name}" in mods else known(base))
        deps = set()
        for target in filter(None, targets):
            parents = {".".join(target.split(".")[:i]) for i in range(1, target.count(".") + 1)}
            deps |= {target} | {p for p in parents if p in mods}
        graph[mod] = deps - own
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_ltr_core_has_no_import_cycle_at_module_level_or_inside_functions():
    graph = _module_graph()
    assert {"ltr_core.registry", "ltr_core.config", "ltr_core.api"} <= set(graph)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle_when_there_is_one():
    graph = _module_graph()
    graph["ltr_core.api"] = graph["ltr_core.api"] | {"ltr_core.registry"}     # what the check must refuse
    assert any({"ltr_core.api", "ltr_core.registry"} <= set(c) for c in _cycles(graph))


def test_the_api_imports_nothing_above_it():
    graph = _module_graph()
    reached, todo = set(), ["ltr_core.api"]
    while todo:
        for dep in graph[todo.pop()] - reached:
            reached.add(dep)
            todo.append(dep)
    above = {"ltr_core.registry", "ltr_core.config", "ltr_core.builtins", "ltr_core.components", "ltr_core.cli",
             "ltr_core.testing", "ltr_core.provenance", "ltr_core.deploy.onnx", "ltr_core.data.processing"}
    assert not reached & above, sorted(reached & above)
    assert not any(m.startswith(("ltr_core.commands", "ltr_core.config")) for m in reached)
    # and in a fresh interpreter importing it leaves the registry and the config loader unimported
    code = ("import sys, ltr_core.api; print(sorted(m for m in sys.modules if m in ('ltr_core.registry', "
            "'ltr_core.config', 'ltr_core.builtins')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60).stdout.strip() == "[]"


def test_the_core_registers_as_a_plugin_loaded_by_name():
    reg = discover()
    assert reg.plugins["core"].module == "ltr_core.builtins"
    assert "builtins" not in (ROOT / "ltr_core" / "registry.py").read_text().split("CORE_MODULE")[0].split(
        "import")[-1]


def _stable_paths() -> list[str]:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = text.split("## Stable import paths", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `(from [\w.]+ import [\w, ]+)`", section, re.M)


def test_every_stable_import_path_the_guide_lists_imports():
    paths = _stable_paths()
    assert len(paths) >= 8 and any(p.startswith("from ltr_core.api import") for p in paths)
    for line in paths:
        exec(line, {})      # each line is an import statement taken from the guide


def test_the_0_2_import_paths_still_give_the_same_objects():
    import ltr_core.api as api
    from ltr_core.config import CropSize, PositiveInt
    from ltr_core.data.processing import BATCH_CONTRACT, Processing
    from ltr_core.deploy.onnx import ExportPart
    from ltr_core.registry import ComponentError

    assert (CropSize, PositiveInt, ExportPart, ComponentError, BATCH_CONTRACT, Processing) == \
        (api.CropSize, api.PositiveInt, api.ExportPart, api.ComponentError, api.BATCH_CONTRACT, api.Processing)
    import ltr_core.data

    with pytest.warns(DeprecationWarning, match="ltr_core.data.processing"):
        assert ltr_core.data.CropPairProcessing.__name__ == "CropPairProcessing"


def test_py_typed_changelog_and_policy_are_there():
    assert (ROOT / "ltr_core" / "py.typed").is_file()
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    from ltr_core.api import PLUGIN_API

    # the running release has its entry, naming the plugin API it implements
    assert f"## {ltr_core.__version__} (plugin API {PLUGIN_API})" in changelog and "## 0.2.0" in changelog
    assert "## Deprecation policy" in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


# -- 2. core names ---------------------------------------------------------------------------------------
def _clash():
    from ltr_core.data.datasets.lasot import LaSOT
    from ltr_core.data.transforms import HorizontalFlip
    from ltr_core.evaluation.datasets import BENCHMARKS
    from ltr_core.train.optim import adamw

    class ClashLaSOT(LaSOT):
        """A vendor's own LaSOT reader."""

    return plugin("clash", ltr_datasets=lambda: {"lasot": ClashLaSOT}, ltr_optimizers=lambda: {"adamw": adamw},
                  ltr_transforms=lambda: {"hflip": HorizontalFlip}, ltr_benchmarks=lambda: {"lasot": BENCHMARKS["lasot"]})


def test_a_plugin_never_shadows_a_core_name_and_shipped_configs_keep_loading():
    reg = full_registry(("clash", _clash()))
    assert not reg.failures
    assert reg.get("dataset", "lasot").qualname == "core/lasot"
    assert reg.get("benchmark", "lasot").qualname == "core/lasot"
    assert reg.get("optimizer", "adamw").qualname == "core/adamw"
    assert reg.get("dataset", "clash/lasot").plugin == "clash"
    for config in ("hcat/demo", "hcat/default", "atom/demo", "atom/default", "ostrack/demo"):
        cfg = load_config(config, registry=reg)
        assert cfg["data"]["train"]["datasets"][0]["name"] == "core/lasot"
    shadowed = {(a.qualname, b.qualname) for a, b in reg.shadowed()}
    assert shadowed == {("clash/lasot", "core/lasot"), ("clash/adamw", "core/adamw"), ("clash/hflip", "core/hflip")}
    assert len(reg.shadowed()) == 4       # lasot as a dataset and as a benchmark


def test_two_third_party_plugins_with_one_short_name_stay_ambiguous():
    nets = lambda: {"same": lambda: torch.nn.Linear(1, 1)}  # noqa: E731
    reg = full_registry(("one", plugin("one", ltr_nets=nets)), ("two", plugin("two", ltr_nets=nets)))
    with pytest.raises(registry_module.RegistryError, match="ambiguous: plugins 'one' .* and 'two'"):
        reg.get("net", "same")


def test_ltr_list_shows_a_shadowing_component_qualified_only_and_strict_fails(monkeypatch):
    reg = full_registry(("clash", _clash()))
    monkeypatch.setattr(registry_module, "_REGISTRY", reg)
    out = CliRunner().invoke(main, ["list", "dataset", "--json"])
    assert out.exit_code == 0
    rows = {c["name"]: c for c in json.loads(out.stdout)["components"]}
    assert rows["clash/lasot"]["short_name"] is None and rows["core/lasot"]["short_name"] == "lasot"
    assert "warning: dataset 'clash/lasot' (plugin 'clash', ltr-clash 1.0) has the short name of the core's " \
           "'core/lasot'" in out.stderr
    strict = CliRunner().invoke(main, ["list", "--strict"])
    assert strict.exit_code == 2 and "share a short name with the core's" in strict.stderr


def test_check_plugin_warns_about_a_shadowing_name(tmp_path):
    from ltr_core.testing import check_plugin

    reg = full_registry(("clash", _clash()))
    report = check_plugin("clash", tmp_path, registry=reg, export=False)
    warns = [c for c in report.checks if c.status == "WARN"]
    assert len(warns) == 4 and all("core" in c.message and "clash/" in c.message for c in warns)
    assert "4 warnings" in report.counts()


# -- 3. plugins built on plugins -------------------------------------------------------------------------
@pytest.fixture
def quality(monkeypatch):
    """The guide's worked example (docs/examples/ltr-ostrack-quality) loaded as a plugin under development."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.setenv("LTR_PLUGINS", "quality=ltr_ostrack_quality.plugin")
    registry_module.set_registry(None)
    yield registry_module.get_registry()
    registry_module.set_registry(None)


def test_the_worked_example_is_short_and_uses_no_private_name():
    files = [p for p in EXAMPLE.rglob("*") if p.suffix in (".py", ".yaml")]
    lines = sum(len(p.read_text().splitlines()) for p in files)
    assert lines <= 80, lines
    for path in files:
        text = path.read_text()
        assert not re.search(r"import _|\._[a-z]", text), path     # no private module, function or attribute
        assert "def forward(" not in text and "def __call__(" not in text    # extends; copies nothing


def test_the_guide_shows_the_worked_example_as_it_is():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for rel in ("ltr_ostrack_quality/model.py", "ltr_ostrack_quality/plugin.py", "ltr_ostrack_quality/configs/demo.yaml"):
        assert (EXAMPLE / rel).read_text().strip() in guide, rel


def test_a_function_factory_that_forwards_kwargs_takes_the_bases_keys_with_their_checks(quality):
    cfg = load_config("quality/demo", registry=quality)
    assert cfg["net"]["name"] == "quality/quality" and cfg["net"]["quality_channels"] == 32
    assert cfg["net"]["embed_dim"] == 192 and cfg["net"]["mlp_ratio"] == 4.0       # the base's default filled in
    assert cfg["actor"]["ce_start_epoch"] == 4 and cfg["actor"]["weight_quality"] == 1.0
    with pytest.raises(ConfigError, match=r"net.depth: expected int >= 1, got 'abc'"):
        load_config("quality/demo", ["net.depth=abc"], registry=quality)
    with pytest.raises(ConfigError, match=r"net.embed_dimm: unknown key .*did you mean 'embed_dim'"):
        load_config("quality/demo", ["net.embed_dimm=64"], registry=quality)


def test_follows_is_checked_through_several_levels_and_refuses_a_non_callable():
    from ltr_core.api import PositiveInt, follows
    from ltr_core.config import factory_params

    def base(depth: PositiveInt = 2):
        return depth

    @follows(base)
    def middle(width: int = 3, **kwargs):
        return base(**kwargs)

    @follows(middle)
    def top(extra: bool = False, **kwargs):
        return middle(**kwargs)

    assert list(factory_params(top)) == ["extra", "width", "depth"]
    with pytest.raises(TypeError, match="give the factory"):
        follows(3)


def test_the_derived_net_trains_tracks_and_records_the_plugin_its_code_comes_from(quality, tmp_path):
    from ltr_core.provenance import versions_for
    from ltr_core.testing import check_plugin

    assert quality.plugins["quality"].requires == {"ltr-ostrack": ">=0.2,<0.3"}
    versions = versions_for(load_config("quality/demo", registry=quality), quality)
    assert set(versions["plugins"]) == {"quality", "ostrack", "core"}
    assert versions["plugins"]["ostrack"]["distribution"] == "ltr-ostrack"
    report = check_plugin("quality", tmp_path, registry=quality, export=False)
    assert report.ok, report.summary()
    assert "loss/quality" in report.summary()


def test_a_foundation_missing_or_out_of_range_fails_the_plugin_saying_what_to_install():
    reg = full_registry(("needs", plugin("needs", ltr_requires=lambda: ["ltr-nowhere>=1.0"])),
                        ("newer", plugin("newer", ltr_requires=lambda: ["ltr-ostrack>=9,<10"])),
                        ("badreq", plugin("badreq", ltr_requires=lambda: "ltr-ostrack")))
    errors = {f.plugin: f.error for f in reg.failures}
    assert "builds on ltr-nowhere, which is not installed in the environment" in errors["needs"]
    assert "pip install 'ltr-nowhere>=1.0'" in errors["needs"] and sys.executable in errors["needs"]
    assert re.search(r"builds on ltr-ostrack>=9,<10, but ltr-ostrack \S+ is installed: pip install "
                     r"'ltr-ostrack>=9,<10'", errors["newer"])
    assert "expected a list of requirements" in errors["badreq"]


def test_a_plugin_whose_foundation_failed_fails_too():
    reg = discover()
    reg.remove_plugin("ostrack", "plugin 'ostrack' (ltr-ostrack): broken for this test")    # installed, but failed
    derived = plugin("derived", ltr_requires=lambda: ["ltr-ostrack>=0.2"], ltr_nets=lambda: {"d": torch.nn.Identity})
    reg.load_plugin("", "derived", "ltr-derived", "1.0", loader=lambda: derived)
    assert "derived" in reg.plugins          # the requirement is installed: the hooks load ...
    reg.check_foundations()                  # ... and discovery then finds what it builds on broken
    errors = {f.plugin: f.error for f in reg.failures}
    assert "derived" not in reg.plugins and not [c for c in reg.all() if c.plugin == "derived"]
    assert "builds on ltr-ostrack, whose plugin 'ostrack' failed to load: plugin 'ostrack' (ltr-ostrack): broken" \
        in errors["derived"]


def test_a_config_based_on_a_missing_plugins_config_fails_at_load(tmp_path):
    (tmp_path / "mine.yaml").write_text("base: nowhere/demo\nnet: {width: 4}\n")
    (tmp_path / "fine.yaml").write_text("base: ostrack/demo\n")
    reg = full_registry(("orphan", plugin("orphan", ltr_configs=lambda: {"mine": tmp_path / "mine.yaml"})),
                        ("fine", plugin("fine", ltr_configs=lambda: {"fine": tmp_path / "fine.yaml"})))
    errors = {f.plugin: f.error for f in reg.failures}
    assert "config 'orphan/mine' has base: nowhere/demo, but no installed plugin is named 'nowhere'" in \
        errors["orphan"]
    assert "fine" in reg.plugins


def test_a_missing_module_names_the_interpreter():
    reg = Registry()
    reg.load_plugin("ltr_not_installed_anywhere.plugin", "ghost", "ltr-ghost", "0.1")
    error = reg.failures[0].error
    assert "imports module 'ltr_not_installed_anywhere', which is not installed in the environment" in error
    assert sys.executable in error and "ltr-not-installed-anywhere" in error


# -- 4. the kit on readers and benchmarks, output, slow builds -------------------------------------------
def _reader_plugin(rules="default", writer=True, open_rules=None):
    from ltr_core.api import Benchmark
    from ltr_core.data.datasets.sequences import Sequences

    class Folders(Sequences):
        """Frame folders with a groundtruth.txt each (a vendor's layout)."""
        eval_rules = rules

    def write(root, source):
        """The vendor's layout from the generated LaSOT tree: <seq>/img/*.jpg and <seq>/groundtruth.txt."""
        for seq in sorted(p for p in source.glob("*/*") if (p / "groundtruth.txt").is_file())[:2]:
            (root / seq.name).symlink_to(seq, target_is_directory=True)
        return {}

    if writer:
        Folders.example_tree = staticmethod(write)

    def open_reader(root, split):
        reader = Folders(root)
        if open_rules:
            reader.eval_rules = open_rules
        return reader

    bench = Benchmark("A vendor's benchmark", open_reader, "LTR_VENDOR_DIR", None, example_tree=write)
    return plugin("vendor", ltr_datasets=lambda: {"folders": Folders}, ltr_benchmarks=lambda: {"vendorbench": bench})


def test_check_plugin_reads_a_readers_and_a_benchmarks_example_tree(tmp_path):
    from ltr_core.testing import check_plugin

    reg = full_registry(("vendor", _reader_plugin()))
    assert "vendor" in reg.plugins, reg.failures
    report = check_plugin("vendor", tmp_path, registry=reg)
    assert report.ok and report.counts() == "2 passed, 0 failed", report.summary()
    assert "read the tree its example_tree wrote" in report.summary() and "2 sequences" in report.summary()


def test_check_plugin_fails_a_benchmark_whose_reader_has_unknown_scoring_rules(tmp_path):
    from ltr_core.testing import check_plugin

    reg = full_registry(("vendor", _reader_plugin(open_rules="otb")))
    report = check_plugin("vendor", tmp_path, registry=reg)
    assert not report.ok
    assert "eval_rules is 'otb', which is not a scoring rule; use one of lasot, lasot_extension, uav, default" \
        in report.summary()


def test_a_readers_unknown_scoring_rules_fail_the_plugin_at_load():
    reg = full_registry(("vendor", _reader_plugin(rules="otb")))
    assert "vendor" not in reg.plugins
    assert "eval_rules is 'otb', which is not a scoring rule" in reg.failures[-1].error


def test_a_reader_of_another_layout_without_a_writer_fails_with_the_hint(tmp_path):
    from ltr_core.api import VideoDataset
    from ltr_core.testing import check_plugin

    class Odd(VideoDataset):
        """A layout of its own."""

        def __init__(self, root):
            super().__init__(root, "odd")
            if not (Path(root) / "index.odd").is_file():
                raise FileNotFoundError(f"{root}/index.odd is missing")

        def sequence_names(self):
            return []

        def parse_sequence(self, seq_id):
            raise NotImplementedError

        def frame_path(self, seq_id, frame_id):
            raise NotImplementedError

    reg = full_registry(("odd", plugin("odd", ltr_datasets=lambda: {"odd": Odd})))
    report = check_plugin("odd", tmp_path, registry=reg)
    assert not report.ok and "index.odd is missing" in report.summary()
    assert "example_tree(root, source)" in report.summary()


def test_a_plugin_that_prints_keeps_ltr_list_json_valid(tmp_path, monkeypatch):
    (tmp_path / "chatty.py").write_text(textwrap.dedent("""
        print("hello from chatty at import")

        def ltr_plugin_api():
            print("hello from a hook")
            return ">=1.0,<2"

        def ltr_nets():
            print("and another")
            return {}
    """))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "LTR_PLUGINS": "chatty=chatty"}
    out = subprocess.run([sys.executable, "-m", "ltr_core", "list", "--json"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0
    json.loads(out.stdout)
    assert "hello from chatty at import" in out.stderr and "hello from a hook" in out.stderr


def test_what_a_factory_prints_goes_to_stderr(capsys):
    def chatty(width: int = 2):
        print("building a chatty net")
        return torch.nn.Linear(width, 1)

    reg = full_registry(("chatty", plugin("chatty", ltr_nets=lambda: {"net": chatty})))
    reg.build("net", "chatty/net")
    out = capsys.readouterr()
    assert out.out == "" and "building a chatty net" in out.err


def test_check_plugin_warns_about_a_slow_build(tmp_path, monkeypatch, tiny_env):
    from ltr_core import testing

    monkeypatch.setattr(testing, "SLOW_BUILD_S", 0.0)
    report = testing.check_plugin("tiny", tmp_path, export=False, configs=["tiny/tiny"])
    warns = [c for c in report.checks if c.status == "WARN"]
    assert report.ok and warns and "to build (over 0 s)" in warns[0].message
    assert warns[0].subject.startswith("net 'tiny/tiny'")


def test_no_plugin_named_says_which_environment_was_searched(tmp_path):
    out = CliRunner().invoke(main, ["check-plugin", "nosuchplugin", "--workdir", str(tmp_path)])
    assert out.exit_code == 2
    assert "no plugin named 'nosuchplugin' is installed in the environment" in out.output
    assert sys.executable in out.output


# -- 5. broken boxes stop the evaluation at the frame ------------------------------------------------------
@pytest.mark.parametrize("bad, what", [([np.nan, 1, 2, 3], "not finite"), ([1, 1, -2, 3], "negative size")])
def test_eval_stops_at_a_broken_box_naming_sequence_frame_tracker_and_plugin(tiny_env, monkeypatch, bad, what):
    import tiny_plugin

    real = tiny_plugin.TinyTracker.track
    calls = {"n": 0}

    def track(self, image):
        calls["n"] += 1
        box, score = real(self, image)
        return (bad, score) if calls["n"] > 45 else (box, score)     # past the first sequence (39 frames)

    monkeypatch.setattr(tiny_plugin.TinyTracker, "track", track)
    out = CliRunner().invoke(main, ["eval", "tiny/tiny", "--untrained"])
    assert out.exit_code == 2, out.output
    line = out.output.strip().splitlines()[-1]
    assert re.search(rf"tracker 'tiny/tiny' \(plugin 'tiny', .*\) returned a box (that is |of )?{what}.*for frame "
                     r"\d+ of sequence \S+", line), line
    kept = list(tiny_env.rglob("*_time.txt"))
    assert len(kept) == 1          # the finished sequence's results stay


# -- the previous release's files ------------------------------------------------------------------------
def test_a_checkpoint_and_an_export_made_by_0_2_work_with_this_release(tiny_env):
    from ltr_core.deploy.onnx import OnnxNet
    from ltr_core.track.factory import TrackerFactory

    old = ROOT / "tests" / "data" / "v0.2"
    out = CliRunner().invoke(main, ["eval", "tiny/tiny", "--checkpoint", str(old / "tiny-ep0001.pth"),
                                    "--tag", "old-ckpt"])
    assert out.exit_code == 0, out.output
    assert "AUC" in out.output
    net = TrackerFactory(load_config("tiny/tiny"), str(old / "tiny-ep0001.pth")).network()
    search, template = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 16, 16)
    exported = OnnxNet(old / "tiny-onnx").forward(search, template)
    assert np.abs(np.asarray(exported) - net(search, template).detach().numpy()).max() < 1e-5
