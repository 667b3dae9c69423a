"""``ltr vot``: serve a tracker to the VOT toolkit over TraX, and ``ltr vot setup``: a toolkit workspace whose
``trackers.ini`` lists ltr's trackers (:mod:`ltr_core.track.vot`)."""

from __future__ import annotations

from pathlib import Path

import click

from ltr_core import env as ltr_env
from ltr_core.commands.options import amp_option, device_option, runtime_options, set_option, workspace_option
from ltr_core.components import tracker_needs_net
from ltr_core.config import load_config, require_sections
from ltr_core.device import resolve as resolve_device
from ltr_core.errors import UserError


class _VotGroup(click.Group):
    """``ltr vot setup ...`` is the subcommand; anything else is ``ltr vot CONFIG ...``, the server."""

    def resolve_command(self, ctx, args):
        if args and args[0] == "setup":
            return super().resolve_command(ctx, args)
        return "serve", self.commands["serve"], args

    def format_usage(self, ctx, formatter):
        formatter.write_usage("ltr vot", "CONFIG [OPTIONS] | setup WORKSPACE --stack NAME [OPTIONS]")


@click.group("vot", cls=_VotGroup, short_help='Run a tracker in the VOT toolkit (TraX), or set up its workspace.')
def vot_group():
    """`ltr vot CONFIG [--checkpoint F] [--runtime onnx]` answers the VOT toolkit over the TraX protocol (the
    toolkit starts it; it reads the first region, then answers each frame with a box and a confidence).
    `ltr vot setup WORKSPACE --stack NAME` writes the toolkit's workspace with ltr's trackers in trackers.ini.
    Needs vot-trax: pip install 'ltr-core[vot]'."""


@vot_group.command("serve", hidden=True)
@click.argument("config")
@click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
              help="Default: the latest checkpoint of CONFIG.")
@device_option()
@amp_option
@runtime_options
@set_option
@workspace_option
def vot_serve_cmd(config, checkpoint, device, amp, runtime, ort_dtype, ort_threads, ort_opt, overrides, workspace):
    """Serve CONFIG's tracker over TraX until the client quits."""
    from ltr_core.commands.deploy_cmds import onnx_factory
    from ltr_core.commands.eval_cmds import _torch_factory
    from ltr_core.track.vot import import_trax, serve
    from ltr_core.train.checkpoint import config_checkpoint

    import_trax()                       # before anything slow: a missing or foreign trax is one line
    resolve_device(device)
    cfg = load_config(config, overrides)
    require_sections(cfg, ("tracker",), "vot")
    ws = ltr_env.workspace_dir(workspace)
    ckpt = str(config_checkpoint(ws, cfg, checkpoint)) if tracker_needs_net(cfg) else None
    factory, _ = _torch_factory(cfg, ckpt, device, amp, runtime == "onnx")
    # standard output carries the protocol: what the export says goes to standard error
    factory = onnx_factory(factory, runtime, ws, ort_threads, ort_opt, ort_dtype,
                           report=lambda message: click.echo(message, err=True))
    if factory.version_note():
        click.echo(factory.version_note(), err=True)
    serve(factory, cfg["_name"], log=lambda m: click.echo(m, err=True))


@vot_group.command("setup")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--stack", required=True, help="The toolkit's experiment stack (e.g. vot2022/stb, tests/basic).")
@click.option("--config", "configs", multiple=True,
              help="Only these <plugin>/<config> (repeat; default: every installed config with a tracker).")
@workspace_option
def vot_setup_cmd(folder, stack, configs, workspace):
    """Write a VOT toolkit workspace in FOLDER for STACK: config.yaml and trackers.ini entries (ltr_<plugin>_
    <config>) that start `ltr vot CONFIG` with this Python and this ltr workspace. Then: cd FOLDER; vot evaluate
    ltr_<plugin>_<config> (the toolkit downloads the stack's sequences)."""
    from ltr_core.registry import get_registry
    from ltr_core.track.vot import write_workspace

    reg = get_registry()
    known = sorted(c.qualname for c in reg.all("config"))
    chosen = list(configs) or [c for c in known if "tracker" in load_config(c)]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise UserError(f"--config {unknown[0]}: not an installed config (`ltr list config` shows them)")
    ws = ltr_env.workspace_dir(workspace)
    names = write_workspace(Path(folder), stack, chosen, ws)
    click.echo(f"wrote {Path(folder) / 'trackers.ini'} ({len(names)} trackers: {', '.join(names)}) and "
               f"{Path(folder) / 'config.yaml'} (stack {stack})")
    click.echo(f"next: cd {folder} && vot evaluate {names[0]}" if names else "no ltr config has a tracker")


COMMANDS = [vot_group]
