"""Packaging as users get it: the core and the plugins built as wheels and installed (not editable) into a
fresh virtual environment that sees none of the source tree; there the registry loads strictly, HCAT and ATOM
pass the conformance kit, and a plugin written by `ltr new plugin` installs, passes, trains, evaluates,
exports, runs its own tests and uninstalls.

The environment's third-party packages (torch, numpy, ...) are the test runner's, linked in through a folder
that holds everything of its site-packages except ltr's own distributions and their editable-install hooks, so
nothing of this checkout can be imported there: only what the wheels carry.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = {"ltr-core": ROOT, "ltr-hcat": ROOT / "plugins" / "hcat", "ltr-atom": ROOT / "plugins" / "atom",
            "ltr-ostrack": ROOT / "plugins" / "ostrack", "ltr-dimp": ROOT / "plugins" / "dimp"}
pytestmark = pytest.mark.slow


def run(cmd, env=None, cwd=None, timeout=600):
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    return out


def _own(name: str) -> bool:
    """Entries of site-packages that belong to ltr's distributions (or install them in editable mode)."""
    low = name.lower()
    return low.startswith(("ltr_", "ltr-", "__editable__")) or low.endswith(".pth") or low == "__pycache__"


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("packaging")
    dist, src = tmp / "dist", tmp / "src"
    anywhere = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".git", ".venv*")
    for name, project in PROJECTS.items():          # built from copies: no build/ or egg-info in the checkout

        def skip(folder, names, top=project):       # the project's own tests/, plugins/ and workspace/ stay out
            return set(anywhere(folder, names)) | ({"plugins", "tests", "workspace"} & set(names)
                                                   if Path(folder) == top else set())
        shutil.copytree(project, src / name, ignore=skip)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist,
         *(src / name for name in PROJECTS)], cwd=tmp)
    wheels = {re.sub(r"-\d.*", "", w.name).replace("_", "-"): w for w in dist.glob("*.whl")}
    assert set(wheels) == set(PROJECTS), sorted(wheels)
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                         "['purelib'])"], text=True).strip())
    deps = tmp / "deps"
    deps.mkdir()
    for lib in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in os.listdir(lib):
            if not _own(entry) and not (deps / entry).exists():
                (deps / entry).symlink_to(Path(lib) / entry)
    (site / "third_party_deps.pth").write_text(f"{deps}\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index",
         *wheels.values()], cwd=tmp)
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp / "home"),
           "LTR_WORKSPACE": str(tmp / "ws"), "LTR_PLUGINS": "", "TMPDIR": str(tmp)}
    return {"tmp": tmp, "python": python, "env": env, "wheels": wheels}


def ltr(wheel_env, *args, timeout=600):
    return run([wheel_env["python"], "-m", "ltr_core", *args], env=wheel_env["env"], cwd=wheel_env["tmp"],
               timeout=timeout)


def test_the_wheels_carry_code_package_data_licence_and_readme(wheel_env):
    for dist, wheel in wheel_env["wheels"].items():
        with zipfile.ZipFile(wheel) as z:
            names = z.namelist()
            meta = Parser().parsestr(z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
            licence = z.read(next(n for n in names if n.endswith("/licenses/LICENSE"))).decode()
        assert meta["License-Expression"] == "Apache-2.0" and "Apache License" in licence
        assert "Version 2.0, January 2004" in licence
        assert meta["Description-Content-Type"] == "text/markdown"
        assert meta.get_payload().strip() == (PROJECTS[dist] / "README.md").read_text().strip()
        if dist == "ltr-core":
            assert "ltr_core/splits/lasot_test_split.txt" in names
            assert "ltr_core/evaluation/specs/otb100.txt" in names
            assert "ltr_core/scaffold/template/package/plugin.py.tmpl" in names
            assert "ltr_core/scaffold/template/package/configs/demo.yaml.tmpl" in names
            assert "ltr_core/scaffold/template/tests/test_plugin.py.tmpl" in names
        else:
            package = dist.replace("-", "_")
            configs = ("dimp50", "prdimp50") if dist == "ltr-dimp" else ("demo", "default")
            assert all(f"{package}/configs/{c}.yaml" in names for c in configs), names
            assert any(r.startswith("ltr-core") and "<" in r for r in meta.get_all("Requires-Dist")), \
                meta.get_all("Requires-Dist")


def test_installed_wheels_load_strictly_from_the_environment_and_report_their_versions(wheel_env):
    where = run([wheel_env["python"], "-c", "import ltr_core, ltr_hcat, ltr_atom, ltr_ostrack, ltr_dimp; "
                 "print(ltr_core.__file__); print(ltr_hcat.__file__); print(ltr_atom.__file__); "
                 "print(ltr_ostrack.__file__); print(ltr_dimp.__file__)"], env=wheel_env["env"], cwd=wheel_env["tmp"])
    for path in where.stdout.split():
        assert Path(path).is_relative_to(wheel_env["tmp"] / "venv"), path
    listed = ltr(wheel_env, "list", "--strict")
    assert all(f"{p}/{p}" in listed.stdout for p in ("hcat", "atom", "ostrack", "dimp"))
    assert "FAILED" not in listed.stdout
    version = ltr(wheel_env, "--version").stdout.splitlines()
    assert version[0] == "ltr-core 0.3.6 (package 0.3.6, plugin API 1.4)"
    assert "plugin hcat: ltr-hcat 0.2.1 (plugin API >=1.0,<2)" in version
    assert "plugin atom: ltr-atom 0.2.7 (plugin API >=1.4,<2)" in version
    assert "plugin ostrack: ltr-ostrack 0.2.1 (plugin API >=1.0,<2)" in version
    assert "plugin dimp: ltr-dimp 0.2.2 (plugin API >=1.4,<2)" in version
    run([sys.executable, "-m", "pip", "--python", wheel_env["python"], "check"], cwd=wheel_env["tmp"])


@pytest.mark.parametrize("plugin, only", [
    ("hcat", ["--config", "hcat/default", "--config", "hcat/demo"]), ("atom", []),
    ("ostrack", ["--config", "ostrack/demo"]), ("dimp", ["--config", "dimp/demo"])])
def test_the_in_repo_plugins_pass_the_conformance_kit_as_installed(wheel_env, plugin, only):
    # the whole kit over every config takes minutes on 2 CPU cores (`ltr check-plugin hcat`: ResNet-50 tracking;
    # `ltr check-plugin ostrack`: ViT-B at 256 and 384 px, 4 min); here the paper recipe and the demo, or the
    # demo alone for OSTrack, whose ViT-B the golden tests build; for ltr-dimp (built on ltr-atom) its demo (train, track at 144 px)
    out = ltr(wheel_env, "check-plugin", plugin, *only)
    assert out.stdout.splitlines()[-1].endswith(" 0 failed") and "FAIL " not in out.stdout


def test_a_scaffolded_plugin_installs_passes_trains_evaluates_exports_and_uninstalls(wheel_env):
    tmp, env = wheel_env["tmp"], wheel_env["env"]
    folder = tmp / "ltr-kit-demo"
    ltr(wheel_env, "new", "plugin", "kit_demo", "--out", folder)
    run([sys.executable, "-m", "pip", "--python", wheel_env["python"], "install", "-q", "--no-deps",
         "--no-build-isolation", folder], cwd=tmp)
    assert "kit_demo/demo" in ltr(wheel_env, "list", "--strict", "config").stdout
    assert ltr(wheel_env, "check-plugin", "kit_demo").stdout.splitlines()[-1] == \
        "check-plugin kit_demo: 6 passed, 0 failed"
    ltr(wheel_env, "data", "make-demo", "--out", tmp / "demo", "--classes", "2", "--per-class", "3", "--frames",
        "40", "--size", "160x120", "--test-per-class", "1", "--photos", "off")
    env["LTR_DEMO_DIR"] = str(tmp / "demo")
    ltr(wheel_env, "train", "kit_demo/demo", "--set", "trainer.epochs=1",
        "--set", "data.train.sampler.samples_per_epoch=64")
    assert (tmp / "ws" / "checkpoints" / "ltr" / "kit_demo" / "demo" / "ep0001.pth").is_file()
    assert re.search(r"^AUC \d+\.\d  precision", ltr(wheel_env, "eval", "kit_demo/demo").stdout, re.M)
    ltr(wheel_env, "export", "kit_demo/demo", "--out", tmp / "kit-onnx")
    manifest = json.loads((tmp / "kit-onnx" / "manifest.json").read_text())
    assert manifest["versions"]["plugins"]["kit_demo"] == {"distribution": "ltr-kit-demo", "version": "0.1.0"}
    run([wheel_env["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", folder / "tests"], env=env, cwd=tmp)
    run([sys.executable, "-m", "pip", "--python", wheel_env["python"], "uninstall", "-q", "-y", "ltr-kit-demo"],
        cwd=tmp)
    assert "kit_demo" not in ltr(wheel_env, "list", "--strict").stdout


EXAMPLE = ROOT / "docs" / "examples" / "ltr-ostrack-quality"
CLASH = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "ltr-clash"
        version = "1.0.0"
        dependencies = ["ltr-core>=0.3,<0.4"]

        [project.entry-points.ltr]
        clash = "ltr_clash"
    """,
    "ltr_clash/__init__.py": """
        \"\"\"Another vendor's plugin whose names are also the core's.\"\"\"
        from ltr_core.data.datasets.lasot import LaSOT
        from ltr_core.data.transforms import HorizontalFlip
        from ltr_core.train.optim import adamw


        class VendorLaSOT(LaSOT):
            \"\"\"The vendor's LaSOT reader.\"\"\"


        def ltr_plugin_api():
            return ">=1.1,<2"


        def ltr_datasets():
            return {"lasot": VendorLaSOT}


        def ltr_optimizers():
            return {"adamw": adamw}


        def ltr_transforms():
            return {"hflip": HorizontalFlip}
    """,
}


def _wheel(wheel_env, source: Path) -> Path:
    out = wheel_env["tmp"] / "extra-dist"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, source],
        cwd=wheel_env["tmp"])
    name = re.sub(r"[-.]", "_", source.name.removeprefix("src-"))
    return next(w for w in out.glob("*.whl") if w.name.lower().startswith(name.lower()))


def _copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return dest


def test_a_plugin_built_on_ltr_ostrack_installs_beside_it_and_passes_the_kit(wheel_env):
    wheel = _wheel(wheel_env, _copy(EXAMPLE, wheel_env["tmp"] / "src-ltr-ostrack-quality"))
    run([sys.executable, "-m", "pip", "--python", wheel_env["python"], "install", "-q", "--no-deps", wheel],
        cwd=wheel_env["tmp"])
    listed = ltr(wheel_env, "list", "--strict", "net").stdout
    assert "quality/quality" in listed and "ostrack/ostrack" in listed
    out = ltr(wheel_env, "check-plugin", "quality").stdout
    assert out.splitlines()[-1] == "check-plugin quality: 6 passed, 0 failed", out
    assert "loss/quality" in out and "ONNX Runtime against PyTorch" in out
    run([sys.executable, "-m", "pip", "--python", wheel_env["python"], "uninstall", "-q", "-y",
         "ltr-ostrack-quality"], cwd=wheel_env["tmp"])


def test_without_its_base_a_derived_plugin_fails_saying_what_to_install_and_core_names_hold(wheel_env, tmp_path):
    """A second environment: ltr-core and ltr-hcat, the derived plugins without their bases (the worked example
    without ltr-ostrack, ltr-dimp without ltr-atom), and a vendor's plugin registering names the core has."""
    clash = tmp_path / "src-ltr-clash"
    for rel, text in CLASH.items():
        (clash / rel).parent.mkdir(parents=True, exist_ok=True)
        (clash / rel).write_text(textwrap.dedent(text).lstrip())
    wheels = [wheel_env["wheels"]["ltr-core"], wheel_env["wheels"]["ltr-hcat"], wheel_env["wheels"]["ltr-dimp"],
              _wheel(wheel_env, clash),
              _wheel(wheel_env, _copy(EXAMPLE, tmp_path / "src-ltr-ostrack-quality"))]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                         "['purelib'])"], text=True).strip())
    (site / "third_party_deps.pth").write_text((wheel_env["tmp"] / "deps").as_posix() + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", *wheels],
        cwd=tmp_path)
    env = {**wheel_env["env"], "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    listed = subprocess.run([python, "-m", "ltr_core", "list"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert listed.returncode == 0, listed.stderr
    failed = [line for line in listed.stdout.splitlines() if line.startswith("FAILED plugin 'quality'")]
    assert failed and "imports module 'ltr_ostrack', which is not installed in the environment" in failed[0]
    assert "pip install 'ltr-ostrack<0.3,>=0.2' (ltr-ostrack-quality requires it)" in failed[0] or \
        "pip install 'ltr-ostrack>=0.2,<0.3' (ltr-ostrack-quality requires it)" in failed[0], failed[0]
    assert str(python) in failed[0] or str(env_dir) in failed[0]
    dimp = [line for line in listed.stdout.splitlines() if line.startswith("FAILED plugin 'dimp'")]
    assert dimp and any(f"pip install 'ltr-atom{r}'" in dimp[0] for r in (">=0.2.6,<0.3", "<0.3,>=0.2.6")), dimp
    assert "clash/lasot" in listed.stdout and "has the short name of the core's 'core/lasot'" in listed.stderr
    strict = subprocess.run([python, "-m", "ltr_core", "list", "--strict"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert strict.returncode == 2
    shown = subprocess.run([python, "-m", "ltr_core", "config", "show", "hcat/demo"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert "name: core/lasot" in shown.stdout and "name: core/adamw" in shown.stdout
