"""Attribute analysis: which sequences of a benchmark show which challenge (occlusion, fast motion, ...), and the
scores over the sequences with each attribute, as the benchmark papers' per-attribute figures give them.

A reader tells its sequences' attributes through ``VideoDataset.eval_attributes()`` (None: it has none). The
tables the datasets do not carry ship here as data, each naming its source in its first line
(``specs/attributes_<benchmark>.txt``, written by ``tests/golden/extract_attribute_tables.py``):

    @attribute SHORT Long name        one line per attribute, in the benchmark's column order
    <sequence> 0 1 0 ...              one 0/1 flag per attribute

Per-attribute scores average the per-sequence curves of the scored sequences that have the attribute (pytracking's
``print_results_per_attribute``, the toolkits' ``att_all(:, k) > 0`` subsets); runs of one tracker are merged as
the overall table merges them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ltr_core.data.dataset import DataError
from ltr_core.evaluation.metrics import SUCCESS_T
from ltr_core.evaluation.plots import plot_curves, plot_radar

SPECS = Path(__file__).resolve().parent / "specs"


@dataclass(frozen=True)
class Attributes:
    """``names``: the short names in column order; ``long_names`` beside them; ``flags``: sequence -> the short
    names of its attributes; ``source``: where the table comes from, for reports."""

    names: tuple[str, ...]
    long_names: tuple[str, ...]
    flags: dict[str, frozenset[str]]
    source: str

    def sequences_with(self, name: str, among: list[str]) -> list[str]:
        return [s for s in among if name in self.flags.get(s, ())]

    def missing(self, among: list[str]) -> list[str]:
        """The sequences of ``among`` the table does not list."""
        return [s for s in among if s not in self.flags]


def parse_attribute_table(text: str, where: str, source: str | None = None) -> Attributes:
    """Read the table format above; errors name ``where`` and the line."""
    names, longs, flags, first = [], [], {}, None
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            first = first or line.lstrip("# ").strip()
            continue
        if line.startswith("@attribute"):
            parts = line.split(None, 2)
            if len(parts) < 2 or flags:
                raise DataError(f"{where}:{i}: '@attribute SHORT Long name' lines come first, one per attribute")
            names.append(parts[1])
            longs.append(parts[2].strip() if len(parts) > 2 else parts[1])
            continue
        if not names:
            raise DataError(f"{where}:{i}: no '@attribute SHORT Long name' line before the first sequence")
        seq, *values = line.split()
        if len(values) != len(names) or set(values) - {"0", "1"}:
            raise DataError(f"{where}:{i}: expected the sequence name and {len(names)} flags of 0 or 1, got "
                            f"{line.strip()!r}")
        flags[seq] = frozenset(n for n, v in zip(names, values) if v == "1")
    if not names:
        raise DataError(f"{where}: no '@attribute SHORT Long name' line")
    if len(set(names)) != len(names):
        raise DataError(f"{where}: an attribute is named twice: {names}")
    return Attributes(tuple(names), tuple(longs), flags, source or first or where)


@functools.lru_cache(maxsize=None)
def shipped(benchmark: str) -> Attributes:
    """The table shipped for ``benchmark`` (``lasot``, ``lasot_extension``, ``tnl2k``, ``otb100``)."""
    path = SPECS / f"attributes_{benchmark}.txt"
    return parse_attribute_table(path.read_text(encoding="utf-8"), str(path))


def read_flag_row(path: Path, names: tuple[str, ...]) -> frozenset[str]:
    """One sequence's attribute file as a dataset ships it: ``len(names)`` 0/1 flags separated by commas, spaces
    or lines (UAV123's ``anno/UAV123/att/<seq>.txt``)."""
    try:
        values = [v for v in re.split(r"[\s,]+", path.read_text(encoding="utf-8").strip()) if v]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read the sequence's attributes ({e})") from None
    if len(values) != len(names) or set(values) - {"0", "1"}:
        raise DataError(f"{path}: expected {len(names)} flags of 0 or 1 ({' '.join(names)}), got {values}")
    return frozenset(n for n, v in zip(names, values) if v == "1")


def _merge(rows: list[dict]) -> dict:
    out = {"sequences": rows[0]["sequences"]}
    for key in ("auc", "precision", "norm_precision"):
        out[key] = float(np.mean([r[key] for r in rows]))
    out["success_curve"] = np.mean([r["success_curve"] for r in rows], 0).tolist()
    return out


def attribute_scores(scores: dict[str, dict], attributes: Attributes,
                     groups: dict[str, list[str]] | None = None) -> dict[str, dict[str, dict]]:
    """``attribute -> label -> {auc, precision, norm_precision, sequences, success_curve}`` over the sequences of
    each result set's ``per_sequence_curves`` that have the attribute. Attributes no scored sequence has are left
    out. ``groups``: label -> the labels of its runs; a group's figures are the mean over its runs (the success
    curve too), as pytracking's ``merge_results`` gives them; labels in no group stand alone."""
    groups = groups or {label: [label] for label in scores}
    out: dict[str, dict[str, dict]] = {}
    for name in attributes.names:
        row = {}
        for label, members in groups.items():
            per_run = []
            for member in members:
                curves = scores[member]["per_sequence_curves"]
                with_it = attributes.sequences_with(name, list(curves))
                if not with_it:
                    break
                success = np.mean([curves[s]["success"] for s in with_it], 0)
                precision = np.mean([curves[s]["precision"] for s in with_it], 0)
                norm = np.mean([curves[s]["norm_precision"] for s in with_it], 0)
                per_run.append({"auc": 100 * float(success.mean()), "precision": 100 * float(precision[20]),
                                "norm_precision": 100 * float(norm[20]), "sequences": len(with_it),
                                "success_curve": success.tolist()})
            if per_run:
                row[label] = _merge(per_run)
        if row:
            out[name] = row
    return out


def format_attribute_table(per_attribute: dict[str, dict[str, dict]], attributes: Attributes) -> str:
    """AUC / P@20 / NP@0.2 per attribute (rows, with sequence counts) and result set (columns)."""
    labels = list(next(iter(per_attribute.values())))
    longs = dict(zip(attributes.names, attributes.long_names))
    width = max(len(f"{a} {longs[a]}") for a in per_attribute)
    cols = [max(17, len(l)) for l in labels]
    head = f"{'attribute':<{width}}  {'seqs':>4}  " + "  ".join(f"{l:>{c}}" for l, c in zip(labels, cols))
    lines = [head, f"{'':<{width}}  {'':>4}  " + "  ".join(f"{'AUC    P   NP':>{c}}" for c in cols)]
    for a, row in per_attribute.items():
        count = next(iter(row.values()))["sequences"]
        cells = [f"{row[l]['auc']:5.1f} {row[l]['precision']:5.1f} {row[l]['norm_precision']:5.1f}"
                 if l in row else "-" for l in labels]
        lines.append(f"{a + ' ' + longs[a]:<{width}}  {count:4d}  "
                     + "  ".join(f"{v:>{c}}" for v, c in zip(cells, cols)))
    lines.append(f"attributes: {attributes.source}")
    return "\n".join(lines)


def write_attribute_outputs(per_attribute: dict[str, dict[str, dict]], attributes: Attributes, out_dir: Path,
                            dataset: str) -> list[Path]:
    """A success plot per attribute (``success_<SHORT>.png`` and ``.pdf``), the radar of AUC per attribute
    (``radar.png``, when at least three attributes were scored) and ``attributes.csv``, in ``out_dir``."""
    out_dir = Path(out_dir)
    longs = dict(zip(attributes.names, attributes.long_names))
    written = []
    for a, row in per_attribute.items():
        count = next(iter(row.values()))["sequences"]
        written.append(plot_curves(out_dir / f"success_{a}.png", f"Success plot ({dataset}): {longs[a]} ({count})",
                                   SUCCESS_T, {l: (np.array(r["success_curve"]), r["auc"]) for l, r in row.items()},
                                   "overlap threshold"))
    labels = [l for l in next(iter(per_attribute.values())) if all(l in row for row in per_attribute.values())]
    if len(per_attribute) >= 3 and labels:
        written.append(plot_radar(out_dir / "radar.png", f"AUC per attribute ({dataset})", list(per_attribute),
                                  {l: [per_attribute[a][l]["auc"] for a in per_attribute] for l in labels}))
    lines = ["attribute,name,sequences,results,auc,precision,norm_precision"]
    for a, row in per_attribute.items():
        for l, r in row.items():
            quoted = '"' + l.replace('"', '""') + '"' if any(ch in l for ch in ',"\n') else l
            lines.append(f"{a},{longs[a]},{r['sequences']},{quoted},{r['auc']:.2f},{r['precision']:.2f},"
                         f"{r['norm_precision']:.2f}")
    (out_dir / "attributes.csv").write_text("\n".join(lines) + "\n")
    written.append(out_dir / "attributes.csv")
    return written
