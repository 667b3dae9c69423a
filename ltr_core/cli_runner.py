"""Run ``ltr`` commands inside the running interpreter, for tests: :func:`run_ltr`.

A new ``python -m ltr_core`` costs about 2.5 s of imports before it does anything; a test suite that calls
``ltr`` a hundred times spends minutes there. :func:`run_ltr` runs the same command line through the same click
group in this process and answers like :func:`subprocess.run` with ``capture_output=True, text=True`` does
(``returncode``, ``stdout``, ``stderr``), with what a new process would have had: the given environment and
working folder, a freshly discovered plugin registry, the interpreter's default warning filters (warnings are
printed to ``stderr``), and the traceback of an unexpected exception at the end of ``stderr``. Afterwards the
environment, folder, registry, torch's thread count and deterministic mode, and signal handlers are as before.

What stays a real process: code that must start a fresh interpreter (import-time behaviour), commands whose
children write to the inherited terminal (``--nproc``, ``torchrun``), and kills. Public API for plugin authors'
tests (``from ltr_core.cli_runner import run_ltr``).
"""

from __future__ import annotations

import os
import signal
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from click.testing import CliRunner

from ltr_core import registry
from ltr_core.cli import main


def _fresh_warning_filters() -> None:
    """The filters of a new interpreter (Python's defaults), in place of the test runner's."""
    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__", append=True)
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category, append=True)


@dataclass
class Completed:
    """What :func:`run_ltr` returns: the fields of :class:`subprocess.CompletedProcess` that tests read."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_ltr(*args, env: dict | None = None, cwd: str | Path | None = None, input: str | None = None,
            timeout: float | None = None) -> Completed:
    """``ltr ARGS`` in this process. ``env`` replaces the environment for the call (as ``subprocess.run(env=)``
    does), ``cwd`` is the working folder; ``timeout`` is accepted for a drop-in swap and not enforced."""
    args = [str(a) for a in args]
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_threads, saved_deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update({str(k): str(v) for k, v in env.items()})
        if cwd is not None:
            os.chdir(cwd)
        registry.set_registry(None)
        with warnings.catch_warnings():
            _fresh_warning_filters()
            warnings.showwarning = getattr(warnings, "_showwarning_orig", warnings.showwarning)
            result = CliRunner().invoke(main, args, input=input, prog_name="ltr", catch_exceptions=True)
    finally:
        registry.set_registry(None)
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        torch.set_num_threads(saved_threads)
        torch.use_deterministic_algorithms(saved_deterministic)
        for s, handler in saved_signals.items():
            signal.signal(s, handler)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return Completed(["ltr", *args], result.exit_code, result.stdout, stderr)
