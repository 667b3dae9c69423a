"""Subcommands of ``ltr`` beyond the core ones in :mod:`ltr_core.cli`."""
