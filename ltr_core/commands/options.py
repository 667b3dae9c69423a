"""Options shared by several ``ltr`` commands."""

import click

workspace_option = click.option("--workspace", type=click.Path(file_okay=False), default=None,
                                help="Checkpoints, logs and results go here (default $LTR_WORKSPACE or ./workspace).")
set_option = click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
                          help="Override a config value (YAML-parsed); repeatable.")
