"""The registry: discovery through entry points, listing, unknown names, broken plugins."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ltr_core.registry import Registry, RegistryError, discover
from ltr_core import builtins


def run_ltr(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_core_components_are_listed_with_distribution_and_version():
    reg = discover()
    lasot = reg.get("dataset", "lasot")
    assert lasot.distribution == "ltr-core" and lasot.version
    assert lasot.description.startswith("LaSOT")
    assert {"lasot", "got10k", "trackingnet", "coco"} <= set(reg.names("dataset"))


def test_unknown_name_suggests_close_matches():
    reg = Registry()
    reg.add_plugin(builtins, "core", "ltr-core", "0")
    with pytest.raises(RegistryError, match=r"unknown dataset 'lasott'; did you mean 'lasot'"):
        reg.get("dataset", "lasott")


def test_two_plugins_registering_one_name_is_an_error():
    class Dup:
        @staticmethod
        def ltr_datasets():
            return {"lasot": object}

    reg = Registry()
    reg.add_plugin(builtins, "core", "ltr-core", "0")
    with pytest.raises(RegistryError, match="registered by both plugin 'core' and 'dup'"):
        reg.add_plugin(Dup(), "dup")


def test_tiny_plugin_registers_through_the_hooks(tiny_env):
    from ltr_core.registry import get_registry

    reg = get_registry()
    assert reg.get("net", "tiny").plugin == "tiny"
    assert "tiny/tiny" in reg.names("config")


def _fake_site(tmp_path, body="", broken=False):
    """A distribution installed the way pip does it: a dist-info with an `ltr` entry point."""
    site = tmp_path / "site"
    (site / "ltr_fake-0.3.dist-info").mkdir(parents=True)
    (site / "ltr_fake-0.3.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: ltr-fake\nVersion: 0.3\n")
    (site / "ltr_fake-0.3.dist-info" / "entry_points.txt").write_text("[ltr]\nfake = fake_plugin\n")
    (site / "fake_plugin.py").write_text(textwrap.dedent(body) if not broken else "raise ImportError('boom: missing dependency xyz')\n")
    return site


FAKE_BODY = '''
    from ltr_core.hookspecs import hookimpl

    def fake_net(depth: int = 2):
        """A fake network for the discovery test."""

    @hookimpl
    def ltr_nets():
        return {"fakenet": fake_net}
'''


def test_installing_a_distribution_makes_it_appear_and_uninstalling_makes_it_disappear(tmp_path):
    site = _fake_site(tmp_path, FAKE_BODY)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), "LTR_PLUGINS": ""}
    out = run_ltr("list", "net", "--json", env=env)
    assert out.returncode == 0, out.stderr
    comps = json.loads(out.stdout)["components"]
    fake = [c for c in comps if c["name"] == "fakenet"]
    assert fake == [{"kind": "net", "name": "fakenet", "plugin": "fake", "distribution": "ltr-fake",
                     "version": "0.3", "description": "A fake network for the discovery test."}]
    # "uninstall": remove the dist-info
    import shutil
    shutil.rmtree(site / "ltr_fake-0.3.dist-info")
    out = run_ltr("list", "net", "--json", env=env)
    assert "fakenet" not in out.stdout


def test_a_broken_plugin_is_reported_and_does_not_hide_the_others(tmp_path):
    site = _fake_site(tmp_path, broken=True)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), "LTR_PLUGINS": ""}
    out = run_ltr("list", env=env)
    assert out.returncode == 0, out.stderr
    assert "FAILED plugin 'fake' (ltr-fake 0.3): ImportError: boom: missing dependency xyz" in out.stdout
    assert "lasot" in out.stdout
    data = json.loads(run_ltr("list", "--json", env=env).stdout)
    assert data["failed_plugins"][0]["plugin"] == "fake"


def test_list_filters_by_kind_and_rejects_unknown_kinds(tiny_env):
    out = run_ltr("list", "tracker")
    assert out.returncode == 0
    kinds = {line.split()[0] for line in out.stdout.splitlines()[1:]}
    assert kinds == {"tracker"}
    bad = run_ltr("list", "netz")
    assert bad.returncode == 2 and "unknown component kind 'netz'" in bad.stderr
