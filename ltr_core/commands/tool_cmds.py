"""``ltr bench`` (training step and data pipeline figures) and ``ltr import`` (foreign checkpoints)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import click
import torch

from ltr_core.commands.options import (MAX_BATCH, MAX_FRAMES, MAX_PROCESSES, MAX_ROUNDS, amp_option, device_option,
                                       runtime_options, set_option, workspace_option)

from ltr_core import env as ltr_env
from ltr_core.config import load_config, require_sections



@click.group("bench", short_help='Time training steps, data loading and tracking.')
def bench_group():
    """Benchmarks that print figures."""


@bench_group.command("train")
@click.argument("config")
@click.option("--batch", type=click.IntRange(1, MAX_BATCH), default=8, show_default=True)
@click.option("--steps", type=click.IntRange(1, MAX_ROUNDS), default=5, show_default=True)
@device_option(what="the step runs")
@click.option("--epoch", type=click.IntRange(min=1), default=None,
              help="The epoch the actor is told (default: the config's last), for actors whose work follows it.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object instead.")
@set_option
def bench_train_cmd(config, batch, steps, device, epoch, as_json, overrides):
    """Time the training step (forward, backward, optimizer) exactly as `ltr train` builds it from CONFIG
    (trainer.amp, trainer.channels_last, trainer.compile, optimizer.impl), on synthetic inputs shaped by
    CONFIG's processing; report FLOPs, the fraction of a matmul peak measured in the same run and the peak
    memory (on a CPU the process's resident-set high-water mark: run two batch sizes for the cost per sample)."""
    from ltr_core.bench import bench_train
    from ltr_core.device import describe, resolve

    cfg = load_config(config, overrides)
    require_sections(cfg, ("net", "objective", "actor", "data.train"), "bench train")
    device = resolve(device)
    r = bench_train(cfg, batch, steps, device=str(device), epoch=epoch)
    if as_json:
        click.echo(json.dumps({"config": cfg["_name"], "device": describe(device), **r}))
        return
    click.echo(f"{cfg['_name']}: batch {r['batch']}, {r['steps']} steps, {r['threads']} threads, "
               f"{r['ms_per_step']:.0f} ms/step (median)")
    click.echo(f"device {describe(device)}  amp {r['amp']}  channels_last {r['channels_last']}  "
               f"compile {r['compile']}  optimizer.impl {r['optimizer_impl']}")
    click.echo(f"{r['gflop_per_step']:.4g} GFLOP/step  {r['gflops']:.4g} GFLOP/s achieved")
    n = r["peak_size"]
    click.echo(f"{r['peak_dtype']} matmul peak ({n}x{n}, this run): {r['peak_gflops']:.0f} GFLOP/s  "
               f"fraction of peak: {r['fraction_of_peak']:.2f}")
    where = "CUDA allocator peak" if device.type == "cuda" else "process RSS high-water mark"
    click.echo(f"peak memory: {r['peak_memory_mib']:.0f} MiB ({where}; actor at epoch {r['epoch']} of "
               f"{r['epochs']})")
    click.echo(f"samples/s: {r['samples_per_s']:.2f}")


@bench_group.command("track")
@click.argument("config")
@click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
              help="Default: the latest checkpoint of CONFIG; --untrained when there is none.")
@click.option("--untrained", is_flag=True, help="Time the freshly initialised network (speed is the same).")
@click.option("--size", default="640x480", show_default=True, help="Frame size WxH of the generated sequence.")
@click.option("--frames", type=click.IntRange(20, MAX_FRAMES), default=100, show_default=True)
@click.option("--compare", is_flag=True,
              help="With --runtime onnx or --amp bf16|fp16: also time the float32 PyTorch tracker in this run and "
                   "print the speed-up.")
@click.option("--rounds", type=click.IntRange(1, MAX_ROUNDS), default=3, show_default=True,
              help="With --compare: alternate the two this many times over the sequence and report the median "
                   "speed-up of the rounds, so a machine that slows down mid-run affects both alike.")
@click.option("--profile", "profile_top", type=click.IntRange(min=1), default=None, metavar="N",
              help="Also print the N functions of the tracker with the most time (cProfile, cumulative).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object instead.")
@click.option("--batch", "batches", default=None, metavar="N[,N...]",
              help="Time batched tracking (ltr eval --batch) instead: for each N, N generated sequences tracked in "
                   "lockstep with decoding, the sizes alternated over --rounds; frames/s, the data/network split, "
                   "peak memory and the speed-up over the first N.")
@device_option()
@amp_option
@runtime_options
@set_option
@workspace_option
def bench_track_cmd(config, checkpoint, untrained, size, frames, compare, rounds, profile_top, as_json, batches,
                    device, amp, runtime, ort_dtype, ort_threads, ort_opt, overrides, workspace):
    """Time CONFIG's whole tracker per frame on decoded frames of a generated sequence, and the network's share."""
    from ltr_core.bench import bench_sequence, bench_track, median_round
    from ltr_core.commands.deploy_cmds import onnx_factory
    from ltr_core.commands.eval_cmds import _torch_factory, _where
    from ltr_core.device import resolve
    from ltr_core.train.checkpoint import config_checkpoint

    resolve(device)
    try:
        w, h = (int(v) for v in size.lower().split("x"))
        assert 64 <= w <= 16384 and 64 <= h <= 16384
    except (ValueError, AssertionError):
        raise click.BadParameter(f"{size!r}: expected WxH from 64x64 to 16384x16384, e.g. 640x480",
                                 param_hint="--size") from None
    cfg = load_config(config, overrides)
    require_sections(cfg, ("tracker",), "bench track")
    ws = ltr_env.workspace_dir(workspace)
    ckpt = None if untrained else str(config_checkpoint(ws, cfg, checkpoint))
    if batches:
        _bench_batched(cfg, ckpt, (w, h), frames, batches, rounds, as_json, device, amp, runtime, ort_dtype,
                       ort_threads, ort_opt, ws)
        return
    images, first = bench_sequence((w, h), frames)
    # the run asked for, and with --compare the float32 PyTorch tracker it is measured against
    chosen, _ = _torch_factory(cfg, ckpt, device, amp, runtime == "onnx")
    key = "onnx" if runtime == "onnx" else ("torch" if chosen.amp == "off" else f"torch-{chosen.amp}")
    factories = {key: onnx_factory(chosen, runtime, ws, ort_threads, ort_opt, ort_dtype)}
    if compare and key != "torch":
        factories = {"torch": _torch_factory(cfg, ckpt, device, "off", False)[0], **factories}
    runs = list(factories)
    rounds = rounds if len(runs) == 2 else 1
    timed = {rt: [] for rt in runs}
    for _ in range(rounds):
        for rt in runs:
            timed[rt].append(bench_track(factories[rt], images, first, profile_top=profile_top))
    results = {rt: median_round(timed[rt]) for rt in runs}
    if as_json:
        click.echo(json.dumps({"config": cfg["_name"], "size": [w, h], "threads": torch.get_num_threads(),
                               "runs": {rt: {**results[rt], "on": _where(factories[rt], rt == "onnx", 1),
                                             "amp": factories[rt].amp} for rt in runs},
                               "rounds": rounds}))
        return
    for rt in runs:
        r = results[rt]
        extra = (f"  {ort_dtype}  ort threads {ort_threads or torch.get_num_threads()}  opt {ort_opt}"
                 if rt == "onnx" else "")
        per_round = f", median of {rounds} rounds" if rounds > 1 else ""
        click.echo(f"{cfg['_name']} runtime {rt}: {w}x{h}, {r['frames']} frames{per_round}, "
                   f"{torch.get_num_threads()} threads{extra}, on {_where(factories[rt], rt == 'onnx', 1)}")
        click.echo(f"ms/frame: {r['ms_per_frame']:.2f}  network {r['net_ms_per_frame']:.2f} ms "
                   f"({100 * r['net_share']:.0f}%)  rest (crops, post-processing) "
                   f"{r['ms_per_frame'] - r['net_ms_per_frame']:.2f} ms")
        for name, ms, share in r.get("profile", []):
            click.echo(f"  profile {ms:8.2f} ms/frame {100 * share:5.1f}%  {name}")
    if len(runs) == 2:
        ratios = [o["fps"] / t["fps"] for t, o in zip(timed["torch"], timed[key])]
        rounds_note = f" (median of {rounds} interleaved rounds: {', '.join(f'{x:.2f}' for x in ratios)})" \
            if rounds > 1 else ""
        click.echo(f"speed-up of {key} over torch (same run): {statistics.median(ratios):.2f}x{rounds_note}")
    click.echo(f"fps: {results[key]['fps']:.1f}")


def _bench_batched(cfg, ckpt, size, frames, batches, rounds, as_json, device, amp, runtime, ort_dtype, ort_threads,
                   ort_opt, ws) -> None:
    from ltr_core.bench import bench_track_batched
    from ltr_core.commands.deploy_cmds import onnx_factory
    from ltr_core.commands.eval_cmds import _torch_factory, _where

    try:
        sizes = [int(v) for v in batches.split(",")]
        assert sizes and min(sizes) >= 1 and max(sizes) <= MAX_BATCH
    except (ValueError, AssertionError):
        raise click.BadParameter(f"{batches!r}: expected batch sizes like 1,8,32 (1 to {MAX_BATCH})",
                                 param_hint="--batch") from None
    factory, _ = _torch_factory(cfg, ckpt, device, amp, runtime == "onnx")
    factory = onnx_factory(factory, runtime, ws, ort_threads, ort_opt, ort_dtype)
    r = bench_track_batched(factory, size, frames, sizes, rounds)
    where = _where(factory, runtime == "onnx", 1)
    if as_json:
        click.echo(json.dumps({"config": cfg["_name"], "size": list(size), "frames": frames, "on": where,
                               "threads": torch.get_num_threads(), "rounds": rounds, **r}))
        return
    click.echo(f"{cfg['_name']} batched, runtime {runtime}: {size[0]}x{size[1]}, {frames} frames per sequence, "
               f"{torch.get_num_threads()} threads, on {where}" + (f", median of {rounds} alternated rounds"
                                                                   if rounds > 1 else ""))
    base = r["per_batch"][sizes[0]]["fps"]
    for n in sizes:
        b = r["per_batch"][n]
        click.echo(f"batch {n}: {b['fps']:.1f} frames/s ({b['ms_per_step']:.1f} ms/step: data "
                   f"{b['data_ms_per_step']:.1f}, network {b['network_ms_per_step']:.1f}, finish "
                   f"{b['finish_ms_per_step']:.1f}), peak memory {b['peak_memory_mib']:.0f} MiB, "
                   f"{b['fps'] / base:.2f}x batch {sizes[0]}")
    best = max(sizes, key=lambda n: r["per_batch"][n]["fps"])
    click.echo(f"fps: {r['per_batch'][best]['fps']:.1f} (batch {best})")


@bench_group.command("data")
@click.argument("config")
@click.option("--data", default=None, metavar="READER=ROOT",
              help="Replace the config's training datasets by every sequence of ROOT read by READER.")
@click.option("--workers", type=click.IntRange(0, MAX_PROCESSES), default=0, show_default=True)
@click.option("--batches", type=click.IntRange(2, MAX_ROUNDS), default=20, show_default=True)
@click.option("--parse-all", is_flag=True, help="Also time parsing every sequence's annotations up front.")
@click.option("--packed", type=click.Path(file_okay=False, exists=True), default=None,
              help="A packed copy of --data's root (`ltr data pack`): timed against the folder tree on the same "
                   "samples, alternated, and checked for the same frame bytes.")
@click.option("--rounds", type=click.IntRange(1, MAX_ROUNDS), default=2, show_default=True,
              help="With --packed: alternate the two trees this many times.")
@workspace_option
@set_option
def bench_data_cmd(config, data, workers, batches, parse_all, packed, rounds, workspace, overrides):
    """Time CONFIG's training loader against plain cv2.imread decoding of the same frames."""
    from ltr_core.bench import bench_data

    if data and "=" not in data:
        raise click.BadParameter(f"{data!r}: expected READER=ROOT, e.g. lasot=/data/lasot", param_hint="--data")
    cfg = load_config(config, overrides)
    require_sections(cfg, ("data.train",), "bench data")
    r = bench_data(cfg, ltr_env.workspace_dir(workspace), batches, workers, data, parse_all, packed, rounds)
    click.echo(f"opened {r['sequences']} sequences in {r['open_s']:.2f} s")
    if r["parse"]:
        click.echo(f"parsed the annotations of all {r['sequences']} sequences ({r['parse']['frames']} frames) "
                   f"in {r['parse']['parse_s']:.2f} s")
    click.echo(f"{r['samples']} samples, {r['workers']} workers: {r['ms_per_sample']:.1f} ms/sample; "
               f"cv2.imread of the same frames: {r['cv2_decode_ms_per_sample']:.1f} ms/sample")
    if r.get("packed"):
        p = r["packed"]
        click.echo(f"packed {p['packed_ms_per_sample']:.2f} ms/sample, folders {p['folder_ms_per_sample']:.2f} "
                   f"ms/sample: packed/folders {p['ratio']:.2f} (median of {p['rounds']} alternated rounds: "
                   f"{', '.join(f'{x:.2f}' for x in p['round_ratios'])}); {p['frames_checked']} frames compared, "
                   f"{p['frames_different']} with other bytes")
    click.echo(f"samples/s: {r['samples_per_s']:.1f}  ratio_vs_cv2_decode: {r['ratio_vs_cv2_decode']:.2f}")


@click.command("import", short_help='Copy the tensors of a foreign checkpoint into an ltr checkpoint.')
@click.argument("plugin")
@click.argument("source", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The ltr checkpoint to write.")
@click.option("--config", "config", default=None, help="Config describing the network (default <plugin>/default).")
@set_option
def import_cmd(plugin, source, output, config, overrides):
    """Convert a foreign (e.g. pytracking-format) checkpoint of PLUGIN's network into an ltr checkpoint.

    Only tensors are read; pickled objects in the file are never executed. The weights must load into the
    config's network with strict=True.
    """
    import torch

    from ltr_core.components import build_net
    from ltr_core.provenance import load_weights, versions_for
    from ltr_core.train.checkpoint import FORMAT
    from ltr_core.train.importing import adapt_foreign_state, extract_state_dict, read_foreign

    cfg = load_config(config or f"{plugin}/default", overrides)
    require_sections(cfg, ("net",), "import")
    net = build_net(cfg, pretrained=False)
    read = extract_state_dict(read_foreign(source), source)
    state = adapt_foreign_state(net, read, source)
    load_weights(net, state, source, what=f"network of {cfg['_name']}")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": FORMAT, "epoch": 0, "net": net.state_dict(), "config": cfg, "history": [],
                "imported_from": str(source), "versions": versions_for(cfg)}, out)
    unused = len(read) - len(state)
    click.echo(f"imported {len(state)} tensors from {source}"
               + (f" (of its {len(read)}: {unused} the network does not use left out)" if unused > 0 else "")
               + f" into {out} (config {cfg['_name']})")


COMMANDS = [bench_group, import_cmd]
