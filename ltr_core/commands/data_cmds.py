"""``ltr data``: generate the demo dataset (LaSOT layout)."""

from __future__ import annotations

from pathlib import Path

import click

from ltr_core.commands.options import MAX_FRAMES, processes

from ltr_core import env as ltr_env


@click.group("data", short_help='Make the demo dataset; check, pack or fetch datasets.')
def data_group():
    """Datasets: generate the demo dataset, check a tree, pack it, fetch LaSOT."""


@data_group.command("make-demo")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Destination (default $LTR_DEMO_DIR, else <workspace>/data/demo).")
@click.option("--classes", type=click.IntRange(1, 10_000), default=8, show_default=True)
@click.option("--per-class", type=click.IntRange(1, 10_000), default=8, show_default=True)
@click.option("--frames", type=click.IntRange(20, MAX_FRAMES), default=150, show_default=True)
@click.option("--size", default="480x360", show_default=True, help="Frame size WxH.")
@click.option("--test-per-class", type=click.IntRange(0, 10_000), default=4, show_default=True)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True)
@click.option("--photos", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Use scikit-image's photographs as backgrounds and targets (auto: when installed).")
@click.option("--workers", type=processes, default=None,
              help="Processes writing sequences (default: CPU count, at most 4); the output does not depend on it.")
@click.option("--skip-if-current", is_flag=True,
              help="Write nothing when OUT already holds a complete tree of this spec (its demo_info.json).")
@click.option("--workspace", type=click.Path(file_okay=False), default=None)
def make_demo_cmd(out, classes, per_class, frames, size, test_per_class, seed, photos, workers, skip_if_current,
                  workspace):
    """Write a synthetic dataset in LaSOT's layout with train/test split lists."""
    from pathlib import Path

    from ltr_core.data.demo import DemoSpec, is_current, make_demo

    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{size!r}: expected WxH, e.g. 480x360", param_hint="--size") from None
    if min(classes, per_class, frames, w, h) <= 0 or test_per_class >= per_class or frames < 20:
        raise click.BadParameter("need classes, per-class, size > 0, frames >= 20, and test-per-class < per-class")
    if not (32 <= w <= 16384 and 32 <= h <= 16384):
        raise click.BadParameter(f"{size!r}: frames from 32x32 to 16384x16384", param_hint="--size")
    if out is None:
        out, _ = ltr_env.lookup(ltr_env.DEMO_VARIABLE, ltr_env.workspace_dir(workspace))
    spec = DemoSpec(classes=classes, per_class=per_class, frames=frames, width=w, height=h, seed=seed,
                    test_per_class=test_per_class, photos=photos)
    if skip_if_current and is_current(Path(out), spec):
        click.echo(f"demo data in {out} is current (same spec and photographs): nothing written")
        return
    summary = make_demo(Path(out), spec, workers=workers, report=lambda m: click.echo(m, err=True))
    click.echo(f"photographs: {len(summary['photos'])} ({', '.join(summary['photos']) or 'none: procedural only'})")
    click.echo(f"wrote {summary['sequences']} sequences ({summary['frames']} frames; {summary['train']} train, "
               f"{summary['test']} test) to {summary['root']}")


@data_group.command("check")
@click.argument("root", type=click.Path(file_okay=False, exists=True))
@click.option("--layout", default="sequences", show_default=True,
              help="How to read ROOT: a dataset reader (`ltr list dataset`: sequences, lasot, got10k, trackingnet, "
                   "...) or an evaluation benchmark (`ltr list benchmark`: otb, uav123, ...).")
@click.option("--decode", is_flag=True, help="Decode every frame (slow), not only check that it exists.")
@click.option("--quiet", is_flag=True, help="Print only the sequences with problems and the summary.")
def check_cmd(root, layout, decode, quiet):
    """Validate a dataset tree as ltr's readers will read it: frame and box counts, missing or unreadable frames,
    zero, negative and out-of-frame boxes, flags of the wrong length. Exit code 2 when anything is wrong."""
    import sys

    from ltr_core.data.check import check_tree

    report = check_tree(root, layout, decode, echo=click.echo, quiet=quiet)
    click.echo(report.summary())
    if report.errors:
        sys.exit(2)


@data_group.command("pack")
@click.argument("root", type=click.Path(file_okay=False, exists=True))
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="The packed copy to write: a new or empty folder outside ROOT.")
def pack_cmd(root, out):
    """Copy a dataset tree with the images of every folder packed into one indexed file (frames.ltrpack), for
    filesystems that are slow at many small files. Every reader opens the packed copy as it opens ROOT.

    Folders that are symbolic links are followed; folders already packed are copied as they are. Each pack is read
    back and checked against its folder. A pack stopped midway (a full disk, a kill) continues when the same
    command runs again."""
    from ltr_core.data.packed import pack_tree

    r = pack_tree(Path(root), Path(out), report=lambda m: click.echo(m, err=True))
    notes = [f"followed {r['linked']} folders that are symbolic links"] if r["linked"] else []
    notes += [f"kept {r['reused']} packs of the stopped run"] if r["reused"] else []
    click.echo(f"packed {r['frames']} frames of {r['packs']} folders and copied {r['copied']} other files to "
               f"{r['out']}" + (f" ({'; '.join(notes)})" if notes else "") + "; every pack read back and checked "
               "against its folder; point the dataset's root at it")


@data_group.command("fetch")
@click.argument("dataset", type=click.Choice(["lasot"]))
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Destination root (LaSOT layout).")
@click.option("--classes", default=None, help="Comma-separated classes (default: all in the archive list).")
@click.option("--repo", default="l-lt/LaSOT", show_default=True, help="Hugging Face dataset id.")
def fetch_cmd(dataset, out, classes, repo):
    """Download, unpack and verify LaSOT's per-class archives (resumable: rerun to continue)."""
    from pathlib import Path

    from ltr_core.data.fetch import fetch_lasot

    v = fetch_lasot(Path(out), [c.strip() for c in classes.split(",")] if classes else None, repo,
                    report=click.echo)
    for p in v.problems:
        click.echo(f"problem: {p}", err=True)
    click.echo(f"{v.sequences} sequences, {v.frames} frames in {out}"
               + (f"; {len(v.problems)} problems (rerun to repair)" if v.problems else "; all verified"))
    if v.problems:
        raise SystemExit(1)
    click.echo(f"export LTR_LASOT_DIR={Path(out).resolve()}")
