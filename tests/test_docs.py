"""The documentation stays true to the code it describes."""

from pathlib import Path

from ltr_core.data.processing import BATCH_CONTRACT

ROOT = Path(__file__).resolve().parents[1]


def test_the_plugin_guide_lists_the_batch_contract_as_the_code_defines_it():
    rows = [line for line in (ROOT / "docs" / "plugins.md").read_text().splitlines() if line.startswith("| `")]
    table = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[2] in ("float32", "int64", "bool"):
            table[cells[0].strip("`")] = (cells[1], cells[2], cells[3])
    assert table == BATCH_CONTRACT
