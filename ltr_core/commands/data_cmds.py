"""``ltr data``: generate the demo dataset."""

import click


@click.group("data")
def data_group():
    """Datasets: generate the demo dataset."""
