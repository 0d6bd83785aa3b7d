"""The ``bnnppl`` command (also ``python -m bnnppl``): wiring only (``parser``: the arguments;
``commands``: the subcommands).

- ``bnnppl run CONFIG [--set key.path=value ...]``: fit a YAML config (several overrides per
  ``--set``, the flag repeatable), write a new run folder (see ``bnnppl.runs.runner``) and print
  where it went, the metrics and the diagnostics;
- ``bnnppl validate CONFIG [--print]``: check the config and its data without fitting (``--print``:
  and print the resolved config, every default filled in and every override applied, as YAML);
- ``bnnppl report RUN``: rebuild a run folder's ``report.html``;
- ``bnnppl predict RUN --input in.csv --output out.csv [--keep ID ...] [--quantiles 0.05,0.95]``:
  predict with a saved posterior (``--output -``: CSV on standard output; see
  ``bnnppl.runs.predicting`` for the columns);
- ``bnnppl example``: fit the default example into a run folder like ``run``'s (see
  ``bnnppl.runs.example``);
- ``run`` and ``example`` print a status line on stderr as each phase starts (loading, compiling
  and fitting, predicting, writing) when stderr is a terminal, then the metrics and diagnostics;
  ``--quiet`` prints only the run folder;
- ``bnnppl bench uci --data-dir DIR [--datasets ...] [--splits ...] [--method ...] [--config ...]``:
  the UCI regression benchmark (see ``bnnppl.uci``), resuming from the splits already done;
- ``bnnppl --version``: the installed version (read from the package's metadata: no JAX import).

A user mistake (a missing file, malformed YAML, a bad field, a bad CSV) prints one line,
``bnnppl: error: ...``, and exits with code 2; nothing is written.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence

from bnnppl.cli import commands
from bnnppl.cli.parser import config_last, parser

__all__ = ["entry", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    if hasattr(args, "command_parser"):
        config_last(args)
    args.argv = argv  # the command line, recorded in a run folder's run.json
    from bnnppl.runs.errors import ConfigError

    command = getattr(commands, args.command)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # each warning printed once, as a line, never raised
            warnings.showwarning = commands.show_warning
            return command(args)
    except ConfigError as err:
        print(f"bnnppl: error: {err}", file=sys.stderr)
        return 2


def entry() -> None:
    """The console entry point: fixes ``PYTHONHASHSEED`` (see ``bnnppl._jaxconfig``), then ``main``."""
    if os.environ.get("PYTHONHASHSEED") is None:
        os.environ["PYTHONHASHSEED"] = "0"  # identical compiled programs run to run: cache hits
        os.execv(sys.executable, [sys.executable, "-m", "bnnppl", *sys.argv[1:]])
    sys.exit(main())
