"""``ltr eval``, ``ltr score``, ``ltr track``: run trackers on datasets and videos, and score the results."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ltr_core.commands.deploy_cmds import onnx_factory
from ltr_core.commands.options import (MAX_BATCH, amp_option, device_option, processes, runtime_options, set_option,
                                       workspace_option)
import numpy as np

from ltr_core import env as ltr_env
from ltr_core.components import tracker_needs_net
from ltr_core.data.dataset import parse_number
from ltr_core.device import resolve as resolve_device
from ltr_core.config import load_config, require_sections, validate_component
from ltr_core.errors import UserError
from ltr_core.registry import get_registry
from ltr_core.evaluation.datasets import eval_dataset
from ltr_core.evaluation.metrics import BOX_FORMATS, PROTOCOLS



def _score_and_report(entries: list[tuple], seqs, dataset: str, protocol: str, plots_dir: Path, as_json: bool,
                      per_sequence: bool, fmt: str = "table", provenance: bool = False,
                      box_format: str | None = None, cache_dir: Path | None = None,
                      refresh_cache: bool = False, attributes=None) -> dict:
    """Score ``entries`` -- ``(label, run, folder or None)``, the folder holding a provenance record -- and print
    the tables in ``fmt``. With ``cache_dir``, unchanged result sets are answered from the score cache. With
    ``attributes`` (:class:`ltr_core.evaluation.attributes.Attributes`), the scores per attribute too."""
    from ltr_core.evaluation.attributes import format_attribute_table, write_attribute_outputs
    from ltr_core.evaluation.score import (format_attribute_latex, format_csv, format_latex, format_tables, over_runs,
                                           write_plots)
    from ltr_core.provenance import describe_record, read_record

    scores = _score_entries(entries, seqs, protocol, box_format, cache_dir, refresh_cache)
    plots = write_plots(scores, plots_dir, dataset)
    per_attribute = {}
    if attributes is not None:
        per_attribute = _per_attribute(scores, attributes)
        plots += write_attribute_outputs(per_attribute, attributes, Path(plots_dir) / "attributes", dataset)
    if as_json or fmt == "json":
        results = {(str(d) if d else run.location): {"label": label, "provenance": read_record(d) if d else None,
                                                     **scores[label]} for label, run, d in entries}
        extra = {"attributes": {"source": attributes.source, "names": dict(zip(attributes.names,
                                                                              attributes.long_names)),
                                "scores": per_attribute}} if attributes is not None else {}
        click.echo(json.dumps({"protocol": protocol, "dataset": dataset, "results": results,
                               "over_runs": over_runs(scores), **extra, "plots": [str(p) for p in plots]}, indent=2))
    elif fmt == "csv":
        click.echo(format_csv(scores))
    elif fmt == "latex":
        click.echo(format_latex(scores, dataset))
        if per_attribute:
            click.echo(format_attribute_latex(per_attribute, dataset))
    else:
        click.echo(format_tables(scores, per_sequence))
        if per_attribute:
            click.echo("")
            click.echo(format_attribute_table(per_attribute, attributes))
        if provenance:
            for label, _, d in entries:
                click.echo(f"made by: {label}: {describe_record(read_record(d) if d else None)}")
        click.echo(f"protocol: {protocol}   plots: {', '.join(str(p) for p in plots[:3])}"
                   + (f"   per attribute: {Path(plots_dir) / 'attributes'}" if per_attribute else ""))
    return scores


def _score_entries(entries: list[tuple], seqs, protocol: str, box_format: str | None, cache_dir: Path | None,
                   refresh_cache: bool) -> dict:
    """The scores of each entry's run, from the score cache where its files are unchanged (``cache_dir``)."""
    from ltr_core.evaluation.cache import cache_key, cached, scoring_digest
    from ltr_core.evaluation.score import score_run

    scores, hits = {}, []
    scoring = scoring_digest(seqs, protocol, box_format) if cache_dir is not None else ""
    for label, run, _ in entries:
        def compute(run=run):
            return score_run(run, seqs, protocol, box_format)

        if cache_dir is None:
            scores[label] = compute()
            continue
        scores[label], hit = cached(cache_dir, cache_key(run, seqs, scoring), compute, refresh_cache)
        if hit:
            hits.append(label)
    if hits:
        click.echo(f"unchanged since they were last scored, from the cache ({cache_dir}): {', '.join(hits)}", err=True)
    return scores


def _per_attribute(scores: dict, attributes) -> dict:
    """The scores per attribute (runs merged), naming on stderr the scored sequences the table does not list."""
    from ltr_core.evaluation.attributes import attribute_scores
    from ltr_core.evaluation.score import run_groups

    unlisted = attributes.missing(list(next(iter(scores.values()))["per_sequence"]))
    if unlisted:
        click.echo(f"{len(unlisted)} scored sequence(s) are not in the attribute table ({attributes.source}) "
                   f"and count for no attribute: {', '.join(unlisted[:5])}{', ...' if len(unlisted) > 5 else ''}",
                   err=True)
    per_attribute = attribute_scores(scores, attributes, run_groups(list(scores)))
    if not per_attribute:
        raise UserError(f"--attributes: no scored sequence has an attribute in {attributes.source}")
    return per_attribute


def _own_folders(dirs: list[Path]) -> list[tuple]:
    """``ltr eval``'s result folders as score entries (x,y,w,h written by ltr, not checked)."""
    from ltr_core.evaluation.published import flat_folder
    from ltr_core.evaluation.score import labels_for

    return [(label, flat_folder(d), d) for label, d in zip(labels_for(dirs), dirs)]


@click.command("eval", short_help='Track a benchmark split; score AUC, precision, normalized precision.')
@click.argument("config")
@click.option("--checkpoint", type=click.Path(dir_okay=False), default=None, help="Checkpoint to evaluate.")
@click.option("--epoch", type=int, default=None, help="Evaluate this epoch's checkpoint of CONFIG.")
@click.option("--untrained", is_flag=True, help="Evaluate the freshly initialised network (a reference point).")
@click.option("--baseline", default=None, help="Run a network-free tracker instead (e.g. static: the box never moves).")
@click.option("--dataset", default=None, metavar="NAME[:PATH]",
              help="A registered benchmark (`ltr list benchmark`), optionally with its root inline (lasot:/data/"
                   "lasot); default: the config's eval.dataset.")
@click.option("--split", default=None, help="Default: the config's eval.split.")
@click.option("--sequences", default=None, help="Comma-separated sequence names (default: the whole split).")
@click.option("--workers", type=processes, default=None, help="Parallel tracking processes.")
@click.option("--protocol", type=click.Choice(PROTOCOLS), default="pytracking", show_default=True)
@click.option("--tag", default=None, help="Results folder name (default: the config name, +'-untrained').")
@click.option("--runs", type=click.IntRange(1, 99), default=1, show_default=True,
              help="Repeat the evaluation N times with per-run seeds (for stochastic trackers); results go to "
                   "<name>_run001, ... and the scores are reported as mean and standard deviation.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--batch", type=click.IntRange(1, MAX_BATCH), default=1, show_default=True,
              help="Step N sequences together, one network call per frame for all of them (trackers that opt in; "
                   "with --workers W, each process steps N). See docs/evaluation.md for choosing N.")
@device_option()
@amp_option
@runtime_options
@set_option
@workspace_option
def eval_cmd(config, checkpoint, epoch, untrained, baseline, dataset, split, sequences, workers, protocol, tag,
             runs, as_json, batch, device, amp, runtime, ort_dtype, ort_threads, ort_opt, overrides, workspace):
    """Run CONFIG's tracker on a dataset split and print success AUC, precision and normalized precision.

    Each results folder records what produced it (provenance.json); a sequence's earlier result is reused only
    when that record matches this run, otherwise the earlier results are moved aside and tracked again."""
    import contextlib

    from ltr_core.locking import FolderLock
    from ltr_core.paths import check_name
    from ltr_core.provenance import prepare_results_folder, results_record
    from ltr_core.track.runner import sequences_from_dataset
    from ltr_core.train.checkpoint import config_checkpoint

    resolve_device(device)                  # a GPU that is not there stops before anything is read
    if tag is not None:
        check_name(tag, "--tag")
    if workers is not None and workers < 1:
        raise click.BadParameter(f"{workers}: give 1 or more processes", param_hint="--workers")
    cfg = load_config(config, overrides)
    if baseline:
        cfg["tracker"] = validate_component({"name": baseline}, "tracker", "--baseline", get_registry())
    require_sections(cfg, ("tracker",), "eval")
    ws = ltr_env.workspace_dir(workspace)
    dataset = dataset or cfg["eval"]["dataset"]
    split = split or cfg["eval"]["split"]
    workers = workers or cfg["eval"]["workers"]
    ckpt = None
    if not untrained and tracker_needs_net(cfg):
        ckpt = str(config_checkpoint(ws, cfg, checkpoint, epoch))
    onnx = runtime == "onnx" and not baseline
    factory, amp = _torch_factory(cfg, ckpt, device, amp, onnx)
    name = tag or (f"baseline/{cfg['tracker']['name'].split('/')[-1]}" if baseline else
                   cfg["_name"] + ("-untrained" if untrained else "") + ("-onnx" if onnx else "")
                   + (f"-{ort_dtype}" if onnx and ort_dtype != "fp32" else "") + (f"-{amp}" if amp != "off" else ""))
    data = eval_dataset(dataset, split)
    ds = data.open(ws)
    dataset = data.short          # the short name labels folders and lines
    only = [s.strip() for s in sequences.split(",")] if sequences else None
    try:
        seqs = sequences_from_dataset(ds, only)
    except KeyError as e:
        raise click.BadParameter(str(e.args[0]), param_hint="--sequences") from None
    names = [name] if runs == 1 else [f"{name}_run{r:03d}" for r in range(1, runs + 1)]
    out_dirs = [ws / "results" / n / dataset for n in names]
    click.echo(f"evaluating {cfg['_name']} ({'checkpoint ' + ckpt if ckpt else 'no checkpoint'}) on {dataset} "
               f"{split}: {len(seqs)} sequences" + (f" x {runs} runs" if runs > 1 else "")
               + f" on {_where(factory, onnx, workers)}"
               + f" -> {out_dirs[0] if runs == 1 else out_dirs[0].parent.parent / (name + '_run*') / dataset}",
               err=as_json)
    factory = onnx_factory(factory, runtime, ws, ort_threads, ort_opt, ort_dtype,
                           report=lambda m: click.echo(m, err=as_json))
    if factory.version_note():
        click.echo(factory.version_note(), err=True)
    if batch > 1 and not factory.batchable():
        click.echo(f"note: --batch {batch}: {factory.cfg['tracker']['name']} does not split its frames into "
                   "prepare/network/finish (Tracker.batchable); tracking one sequence at a time", err=True)
        batch = 1
    record = results_record(factory, runtime if not baseline else "torch", ort_dtype, data.qualname, split,
                            ds.root, None, batch)
    with contextlib.ExitStack() as held:
        for out_dir in out_dirs:
            held.enter_context(FolderLock(out_dir, "ltr eval"))
        for run, out_dir in enumerate(out_dirs, start=1):
            seed = cfg["seed"] * 100 + run
            prepare_results_folder(out_dir, {**record, "run_seed": seed}, lambda m: click.echo(m, err=True))
            _track_run(factory, seqs, out_dir, workers, seed, f"run {run}: " if runs > 1 else "", as_json, batch)
    if data.server_scored:
        _server_results(dataset, out_dirs, seqs, ws / "results" / name)
        return
    scores = _score_and_report(_own_folders(out_dirs), seqs, dataset, protocol, out_dirs[0], as_json,
                               per_sequence=False)
    if as_json:
        return
    from ltr_core.evaluation.score import over_runs

    if runs == 1:
        s = next(iter(scores.values()))
        click.echo(f"AUC {s['auc']:.1f}  precision {s['precision']:.1f}  normalized precision "
                   f"{s['norm_precision']:.1f}  ({dataset} {split}, {s['sequences']} sequences, {protocol})")
    else:
        m = next(iter(over_runs(scores).values()))
        click.echo(f"AUC {m['auc']:.1f} +- {m['auc_std']:.1f}  precision {m['precision']:.1f} +- "
                   f"{m['precision_std']:.1f}  normalized precision {m['norm_precision']:.1f} +- "
                   f"{m['norm_precision_std']:.1f}  ({dataset} {split}, {len(seqs)} sequences, {protocol}, "
                   f"mean +- std over {runs} runs)")


def _torch_factory(cfg: dict, ckpt: str | None, device: str, amp: str, onnx: bool):
    """The TrackerFactory of a command: on ``device``, with ``--amp`` resolved for it (off for ONNX Runtime and
    network-free trackers)."""
    from ltr_core.track.factory import TrackerFactory
    from ltr_core.track.precision import resolve_amp

    factory = TrackerFactory(cfg, ckpt, device=device)
    if onnx or not tracker_needs_net(cfg):
        if amp not in ("auto", "off"):
            raise click.UsageError(f"--amp {amp} applies to a PyTorch network: " + (
                "ONNX Runtime runs the exported dtype (--ort-dtype)" if onnx else
                f"{cfg['tracker']['name']} runs none"))
        return factory, "off"
    factory.amp = resolve_amp(amp, factory.resolved()[0], factory.tracker_device())
    return factory, factory.amp


def _where(factory, onnx: bool, workers: int) -> str:
    """How the evaluation line names where the network runs."""
    from ltr_core.device import describe, gpu_count

    if onnx:
        return "the CPU (ONNX Runtime)"
    device = factory.tracker_device()
    text = describe(device) + (f", {factory.amp}" if factory.amp != "off" else "")
    if device.type == "cuda" and workers > 1:
        text += (f", {workers} workers sharing it" if gpu_count() == 1 or factory.device.startswith("cuda:")
                 else f", {workers} workers over {gpu_count()} GPUs")
    return text


def _track_run(factory, seqs, out_dir: Path, workers: int, seed: int, prefix: str, as_json: bool,
               batch: int = 1) -> None:
    from ltr_core.track.runner import run_sequences

    summary = run_sequences(factory, seqs, out_dir, workers, seed=seed, batch=batch,
                            say=lambda m: click.echo(f"note: {m}", err=True))
    if summary["fps"]:
        split = ""
        if "network_s" in summary:        # batched: where the time went, as training reports it
            steps = max(1, summary["steps"])
            split = (f"; batch {batch}: {summary['frames'] / summary['wall_s']:.1f} frames/s over "
                     f"{summary['wall_s']:.1f} s, per step data {1000 * summary['data_s'] / steps:.0f}ms, network "
                     f"{1000 * summary['network_s'] / steps:.0f}ms, finish {1000 * summary['finish_s'] / steps:.0f}ms")
        click.echo(f"{prefix}tracked {summary['tracked']} sequences ({summary['skipped']} already done): "
                   f"{summary['fps']:.1f} fps tracker, {summary['fps_with_decoding']:.1f} fps with decoding{split}",
                   err=as_json)
    else:
        click.echo(f"{prefix}all {summary['skipped']} sequences already done", err=as_json)


def _server_results(dataset: str, out_dirs: list[Path], seqs, base: Path) -> None:
    """Check the runs' results and, for GOT-10k, lay them out as its server wants them; say how to pack."""
    from ltr_core.evaluation.pack import collect, write_layout

    runs = out_dirs[:3] if dataset == "got10k" else out_dirs[:1]
    results = collect(dataset, runs, {s.name: len(s) for s in seqs})
    click.echo(f"{dataset} test has no public ground truth: results are for its evaluation server")
    if dataset == "got10k":
        layout = base / "got10k-test-submission"
        write_layout(dataset, results, layout)
        click.echo(f"submission layout (<seq>/<seq>_001.txt, <seq>_time.txt): {layout}")
    click.echo(f"pack it: ltr pack {dataset} {' '.join(str(d) for d in runs)} -o {base.name}-{dataset}.zip")


@click.command("score", short_help='Score result folders on a benchmark; compare several.')
@click.option("--results", "results", multiple=True, required=True, type=click.Path(),
              help="Result folder(s) or zip(s) in ltr's, pytracking's, pysot's or GOT-10k's layout; "
                   "repeat the option or list several after it.")
@click.argument("more_results", nargs=-1, type=click.Path())
@click.option("--dataset", required=True, metavar="NAME[:PATH]",
              help="A registered benchmark (`ltr list benchmark`), optionally with its root inline.")
@click.option("--split", default="test", show_default=True)
@click.option("--protocol", type=click.Choice(PROTOCOLS), default="pytracking", show_default=True)
@click.option("--label", "labels", multiple=True,
              help="A name per result set, in the order given (default: from the paths).")
@click.option("--skip-missing", is_flag=True,
              help="Score only the sequences every result set has (pytracking's skip_missing_seq); without it a "
                   "missing sequence is an error naming it.")
@click.option("--box-format", type=click.Choice(BOX_FORMATS), default="xywh", show_default=True,
              help="The files' boxes: x,y,w,h (files that look otherwise are refused), or x1,y1,x2,y2 (converted).")
@click.option("--plots", type=click.Path(file_okay=False), default=None,
              help="Where the PNG plots go (default: the first results folder when it is in the workspace, "
                   "else <workspace>/plots/<its label>).")
@click.option("--sequences", default=None, help="Comma-separated sequence names (default: the whole split).")
@click.option("--no-per-sequence", is_flag=True, help="Only the summary table.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "latex", "csv"]), default="table",
              show_default=True, help="Folders named <name>_run001, _run002, ... are also merged: mean and std.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--no-cache", is_flag=True, help="Score every file again and refresh the cache (default: result sets "
                                               "whose files and ground truth are unchanged come from "
                                               "<workspace>/cache/scores).")
@click.option("--attributes", "by_attribute", is_flag=True,
              help="Also AUC/P/NP per attribute of the benchmark (LaSOT, its extension, TNL2K, OTB100, UAV123), "
                   "with a success plot per attribute and a radar plot in <plots>/attributes.")
@workspace_option
def score_cmd(results, more_results, dataset, split, protocol, labels, skip_missing, box_format, plots, sequences,
              no_per_sequence, fmt, as_json, no_cache, by_attribute, workspace):
    """Score result sets (one x,y,w,h file per sequence, in a folder or a zip) on a dataset split; compare
    several at once. A set with several runs (<param>_000, _001, ... as pytracking writes them) is merged."""
    from ltr_core.evaluation.published import default_label

    ws = ltr_env.workspace_dir(workspace)
    paths = [Path(d) for d in list(results) + list(more_results)]
    data, reader, seqs, entries = _result_sets(paths, labels, dataset, split, sequences, skip_missing, ws)
    attributes = _attributes(data, reader) if by_attribute else None
    plots_dir = Path(plots) if plots else _default_plots(paths[0], ws, default_label)
    _score_and_report(entries, seqs, dataset, protocol, plots_dir, as_json,
                      not no_per_sequence, fmt, provenance=True, box_format=box_format,
                      cache_dir=ws / "cache" / "scores", refresh_cache=no_cache, attributes=attributes)


def _default_plots(first: Path, ws: Path, default_label) -> Path:
    """The first results folder when it is ltr's own (inside the workspace); published or downloaded results
    elsewhere are only read, so their plots go to ``<workspace>/plots/<label>``."""
    if first.is_dir() and first.resolve().is_relative_to(ws):
        return first
    return ws / "plots" / default_label(first).name


def _attributes(data, reader):
    attributes = reader.eval_attributes()
    if attributes is None:
        raise UserError(f"--attributes: {data.qualname} has no per-sequence attributes (ltr ships LaSOT's, "
                        "the LaSOT extension's, TNL2K's and OTB100's tables and reads UAV123's from its tree)")
    return attributes


def _result_sets(paths: list[Path], labels, dataset: str, split: str, sequences: str | None, skip_missing: bool,
                 ws: Path) -> tuple:
    """What ``ltr score`` and ``ltr report`` read: the benchmark (``EvalDataset`` and its reader), the sequences
    to score, and an entry ``(label, run, folder or None)`` per run of each result set."""
    from ltr_core.evaluation.published import default_label, open_results, run_number
    from ltr_core.evaluation.score import labels_for
    from ltr_core.track.runner import sequences_from_dataset

    if labels and len(labels) != len(paths):
        raise click.BadParameter(f"{len(labels)} label(s) for {len(paths)} result sets: give one per result set, "
                                 "in the same order", param_hint="--label")
    only = [s.strip() for s in sequences.split(",") if s.strip()] if sequences else None
    try:
        data = eval_dataset(dataset, split)
        reader = data.open(ws)
        seqs = sequences_from_dataset(reader, only, frames=False)
    except KeyError as e:
        raise click.BadParameter(str(e.args[0]), param_hint="--sequences") from None
    if data.server_scored:
        raise click.UsageError(f"{dataset} {split} has no public ground truth: pack the results for its server "
                               f"with `ltr pack {dataset} RESULTS_DIR -o FILE.zip`")
    entries = []
    benchmark = dataset.split(":", 1)[0]                # ltr eval's folders end in it: <run>/<benchmark>
    for name, path in zip(list(labels) or labels_for([default_label(p) for p in paths], benchmark), paths):
        runs = open_results(path)
        entries += [(name if len(runs) == 1 else f"{name}_run{run_number(run)}", run,
                     path if path.is_dir() and len(runs) == 1 else None) for run in runs]
    twice = sorted({label for label, _, _ in entries if [e[0] for e in entries].count(label) > 1})
    if twice:
        raise click.BadParameter(f"two result sets are labelled {twice[0]!r}: give each its own", param_hint="--label")
    missing = sorted(s.name for s in seqs if not all(run.has(s.name) for _, run, _ in entries))
    if missing and skip_missing:
        total, seqs = len(seqs), [s for s in seqs if s.name not in set(missing)]
        click.echo(f"scoring {len(seqs)} of {total} sequences: {len(missing)} are missing from at least one result "
                   f"set ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})", err=True)
        if not seqs:
            raise click.UsageError("no sequence of the split is in every result set")
    return data, reader, seqs, entries


@click.command("report", short_help='One self-contained HTML page comparing result sets (or LaTeX tables).')
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option("--dataset", required=True, metavar="NAME[:PATH]",
              help="A registered benchmark (`ltr list benchmark`), optionally with its root inline.")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="The file to write (report.html, or tables.tex with --format latex).")
@click.option("--split", default="test", show_default=True)
@click.option("--protocol", type=click.Choice(PROTOCOLS), default="pytracking", show_default=True)
@click.option("--label", "labels", multiple=True, help="A name per result set, in the order given.")
@click.option("--skip-missing", is_flag=True, help="Only the sequences every result set has.")
@click.option("--box-format", type=click.Choice(BOX_FORMATS), default="xywh", show_default=True)
@click.option("--sequences", default=None, help="Comma-separated sequence names (default: the whole split).")
@click.option("--format", "fmt", type=click.Choice(["html", "latex"]), default="html", show_default=True)
@click.option("--strips", default=4, show_default=True, type=click.IntRange(0, 50),
              help="Frame strips for this many sequences, those where the result sets differ most.")
@click.option("--title", default=None, help="The page's heading (default: the dataset).")
@workspace_option
def report_cmd(results, dataset, out, split, protocol, labels, skip_missing, box_format, sequences, fmt, strips,
               title, workspace):
    """Write RESULTS compared on a benchmark as one HTML file with everything embedded: the overall table, the
    three curves, the attribute table and radar (where the benchmark has attributes), a sortable per-sequence
    table and frame strips with every set's box. --format latex writes the tables for a paper instead."""
    from ltr_core.evaluation.report import build_report
    from ltr_core.evaluation.score import format_attribute_latex, format_latex
    from ltr_core.locking import tmp_name

    ws = ltr_env.workspace_dir(workspace)
    out = Path(out)
    if not out.parent.is_dir():
        raise UserError(f"-o {out}: the folder {out.parent} does not exist; create it or write elsewhere")
    data, reader, seqs, entries = _result_sets([Path(r) for r in results], labels, dataset, split, sequences,
                                               skip_missing, ws)
    scores = _score_entries(entries, seqs, protocol, box_format, ws / "cache" / "scores", False)
    attributes = reader.eval_attributes()
    per_attribute = _per_attribute(scores, attributes) if attributes is not None else None
    if fmt == "latex":
        text = format_latex(scores, dataset) + ("\n\n" + format_attribute_latex(per_attribute, dataset)
                                                if per_attribute else "") + "\n"
    else:
        text = build_report(scores, dataset, protocol, entries, reader, seqs, per_attribute,
                            attributes, box_format=box_format, strips=strips, title=title)
    tmp = tmp_name(out)                   # this process's own: two reports to one path do not mix
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)                  # a reader of OUT never sees half a page
    click.echo(f"wrote {out} ({len(text.encode()) / 1e6:.1f} MB): {len(scores)} result sets, "
               f"{next(iter(scores.values()))['sequences']} sequences"
               + (f", {len(per_attribute)} attributes" if per_attribute else ""))


@click.command("track", short_help='Track a target through a video or a folder of frames.')
@click.argument("config")
@click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
              help="Default: the latest checkpoint of CONFIG.")
@click.option("--video", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option("--frames", "frames_dir", type=click.Path(file_okay=False, exists=True), default=None,
              help="A folder of images, tracked in name order.")
@click.option("--init", "init", required=True, help="The target in the first frame: x,y,w,h.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write a video with the box drawn.")
@click.option("--boxes", type=click.Path(dir_okay=False), default=None,
              help="Where the boxes go (default: OUT with .txt, else ./track_boxes.txt).")
@device_option()
@amp_option
@runtime_options
@set_option
@workspace_option
def track_cmd(config, checkpoint, video, frames_dir, init, out, boxes, device, amp, runtime, ort_dtype, ort_threads,
              ort_opt, overrides, workspace):
    """Track a target through a video or a folder of frames."""
    from ltr_core.track.video import track_frames
    from ltr_core.train.checkpoint import config_checkpoint

    if bool(video) == bool(frames_dir):
        raise click.UsageError("give exactly one of --video or --frames")
    resolve_device(device)
    try:
        box = [parse_number(v) for v in init.split(",")]
        assert len(box) == 4 and box[2] > 0 and box[3] > 0
    except (ValueError, AssertionError):
        raise click.BadParameter(f"{init!r}: expected x,y,w,h as plain decimal numbers with w, h > 0",
                                 param_hint="--init") from None
    cfg = load_config(config, overrides)
    require_sections(cfg, ("tracker",), "track")
    ws = ltr_env.workspace_dir(workspace)
    ckpt = str(config_checkpoint(ws, cfg, checkpoint)) if tracker_needs_net(cfg) else None
    factory, _ = _torch_factory(cfg, ckpt, device, amp, runtime == "onnx")
    factory = onnx_factory(factory, runtime, ws, ort_threads, ort_opt, ort_dtype)
    if factory.version_note():
        click.echo(factory.version_note(), err=True)
    tracker = factory()
    boxes = Path(boxes) if boxes else (Path(out).with_suffix(".txt") if out else Path("track_boxes.txt"))
    summary = track_frames(tracker, np.asarray(box), video=video, frames_dir=frames_dir, out_video=out,
                           out_boxes=boxes)
    click.echo(f"tracked {summary['frames']} frames at {summary['fps']:.1f} fps on "
               f"{_where(factory, runtime == 'onnx', 1)}; boxes: {boxes}" + (f"; video: {out}" if out else ""))


@click.command("pack", short_help='Zip test-set results for the GOT-10k or TrackingNet server.')
@click.argument("server", type=click.Choice(["got10k", "trackingnet"]))
@click.argument("results_dirs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="The zip to write.")
@workspace_option
def pack_cmd(server, results_dirs, out, workspace):
    """Zip test-set results (one ltr result folder per run; GOT-10k takes up to 3) in the layout SERVER's
    evaluation server accepts. Checked against the dataset's frame counts when its root is set."""
    from ltr_core.data.dataset import DataError
    from ltr_core.evaluation.pack import collect, write_zip
    from ltr_core.track.runner import sequences_from_dataset

    ws = ltr_env.workspace_dir(workspace)
    frames = None
    try:
        frames = {s.name: len(s) for s in sequences_from_dataset(eval_dataset(server, "test").open(ws))}
    except (DataError, ltr_env.EnvironmentError_) as e:
        click.echo(f"note: the {server} test set is not at hand ({e}); checking the results against each "
                   "other only", err=True)
    results = collect(server, [Path(d) for d in results_dirs], frames)
    path = write_zip(server, results, Path(out))
    runs = len(next(iter(results.values()))["runs"])
    click.echo(f"wrote {path}: {len(results)} sequences, {runs} run{'s' if runs > 1 else ''}")


COMMANDS = [eval_cmd, score_cmd, report_cmd, track_cmd, pack_cmd]
