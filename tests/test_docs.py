"""The documentation stays true to the code it describes: every `ltr ...` line of a code block parses against
the CLI, every relative link resolves, every config named exists, the README stays short and its figures are
the benchmark page's, and the plugin guide's batch table is the code's."""

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ltr_core.cli import SECTIONS, main
from ltr_core.data.processing import BATCH_CONTRACT
from ltr_core.registry import get_registry

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")) + sorted(ROOT.glob("plugins/*/README.md"))
CONFIG_COMMANDS = {("train",), ("eval",), ("track",), ("export",), ("config", "show"), ("bench", "train"),
                   ("bench", "track"), ("bench", "data")}


def code_blocks(text: str) -> list[list[str]]:
    blocks, current = [], None
    for line in text.splitlines():
        if line.strip().startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def commands_in(block: list[str]) -> list[list[str]]:
    """The argument lists of the ltr invocations of a code block (continuations joined, comments dropped,
    split at && | ;, leading VAR=value assignments skipped; `python -m ltr_core` and `-m ltr_core` count)."""
    text = "\n".join(block).replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split, lexer.commenters = True, "#"
        tokens = list(lexer)
        segment = []
        for tok in tokens + [";"]:
            if tok in (";", "&&", "||", "|", "&"):
                while segment and re.match(r"^[A-Z_][A-Z0-9_]*=", segment[0]):
                    segment.pop(0)
                if segment and segment[0] == "ltr":
                    found.append(segment[1:])
                elif "ltr_core" in segment and segment[segment.index("ltr_core") - 1] == "-m":
                    found.append(segment[segment.index("ltr_core") + 1:])
                segment = []
            else:
                segment.append(tok)
    return found


def parse(args: list[str]) -> tuple[tuple, list]:
    """Resolve the (sub)command and parse its options as click would; returns (command path, positionals)."""
    cmd, path, i = main, (), 0
    while isinstance(cmd, click.Group):
        assert i < len(args), f"ltr {' '.join(path)}: no subcommand"
        if args[i].startswith("-"):                   # a group's own option (ltr --version, ltr bench --help)
            opts, leftover, _ = cmd.make_parser(click.Context(cmd)).parse_args(list(args[i:]))
            assert not leftover, f"ltr {' '.join(args)}: extra arguments {leftover}"
            return path, []
        sub = cmd.get_command(click.Context(cmd), args[i])
        assert sub is not None, f"ltr {' '.join(path + (args[i],))}: no such command"
        cmd, path, i = sub, path + (args[i],), i + 1
    ctx = click.Context(cmd, info_name=path[-1])
    opts, leftover, _ = cmd.make_parser(ctx).parse_args(list(args[i:]))
    assert not leftover or any(p.nargs == -1 for p in cmd.params if isinstance(p, click.Argument)), \
        f"ltr {' '.join(args)}: extra arguments {leftover}"
    positionals = [opts.get(p.name) for p in cmd.params if isinstance(p, click.Argument)]
    return path, positionals


def all_invocations():
    for page in PAGES:
        for block in code_blocks(page.read_text()):
            made = {args[2] for args in commands_in(block) if args[:2] == ["new", "plugin"] and len(args) > 2}
            for args in commands_in(block):
                yield page, args, made


def test_every_ltr_line_in_the_docs_parses_against_the_cli_and_names_existing_configs(tiny_env):
    registry = get_registry()
    configs = set(registry.names("config"))
    checked = 0
    for page, args, scaffolded in all_invocations():
        where = f"{page.relative_to(ROOT)}: ltr {' '.join(args)}"
        try:
            path, positionals = parse(args)
        except (click.UsageError, click.BadParameter) as e:
            raise AssertionError(f"{where}: {e}") from None
        if path in CONFIG_COMMANDS and positionals and isinstance(positionals[0], str):
            name = positionals[0]
            if "/" in name and not name.endswith((".yaml", ".yml")) and name.split("/")[0] not in scaffolded \
                    and not name.isupper():
                assert name in configs, f"{where}: config {name} is not in `ltr list config`"
        checked += 1
    assert checked > 40


def test_configs_named_in_the_prose_exist():
    registry = get_registry()
    plugins = set(registry.plugins) - {"core"}
    components = {q for kind in registry.components if kind != "config" for q in registry.names(kind)}
    configs = set(registry.names("config"))
    for page in PAGES:
        for name in re.findall(r"`([a-z][\w.-]*/[\w.+-]+)`", page.read_text()):
            if name.split("/")[0] in plugins and name not in components:
                assert name in configs, f"{page.relative_to(ROOT)} names config {name}, which is not registered"


def test_every_relative_link_resolves():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"


def test_the_readme_is_short_opens_with_the_two_commands_and_its_figures_are_the_benchmark_pages():
    readme = (ROOT / "README.md").read_text()
    lines = readme.splitlines()
    assert len(lines) <= 150
    first = code_blocks(readme)[0]
    assert first[0].startswith("bash scripts/demo.sh") and first[1].startswith("bash scripts/test.sh")
    benchmarks = (ROOT / "docs" / "benchmarks.md").read_text()
    for line in lines:
        if line.startswith("|"):
            for figure in re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", line):
                assert figure in benchmarks, f"README figure {figure} ({line.strip()}) is not in docs/benchmarks.md"


def test_ltr_help_lists_every_command_once_under_its_section():
    out = CliRunner().invoke(main, ["--help"]).output
    for title in ("Train:", "Evaluate:", "Deploy:", "Data:", "Plugins:"):
        assert f"\n{title}\n" in out
    listed = re.findall(r"^  ([a-z][\w-]*)  +\S", out, re.M)
    assert sorted(listed) == sorted(main.commands) and len(listed) == len(set(listed))
    assert [n for names in SECTIONS.values() for n in names if n in main.commands] == \
        [n for n in listed if n in main.commands]


def test_the_plugin_guide_lists_the_batch_contract_as_the_code_defines_it():
    rows = [line for line in (ROOT / "docs" / "plugins.md").read_text().splitlines() if line.startswith("| `")]
    table = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[2] in ("float32", "int64", "bool"):
            table[cells[0].strip("`")] = (cells[1], cells[2], cells[3])
    assert table == BATCH_CONTRACT


@pytest.mark.parametrize("line, problem", [
    ("ltr trian hcat/demo", "no such command"),
    ("ltr eval hcat/demo --datset lasot", "No such option"),
    ("ltr train hcat/demo extra", "extra arguments"),
    ("ltr --verison", "No such option"),
])
def test_the_docs_check_catches_a_wrong_command_option_or_argument(line, problem):
    with pytest.raises((AssertionError, click.UsageError), match=problem):
        parse(commands_in([line])[0])
