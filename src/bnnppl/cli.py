"""The ``bnnppl`` command (also ``python -m bnnppl``): wiring only.

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

import argparse
import os
import sys
import warnings
from collections.abc import Sequence


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    from bnnppl._checks import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_SEED}, got {value}")
    return value


def _levels(text: str) -> tuple[float, ...]:
    from bnnppl._checks import check_levels

    try:
        return check_levels("--quantiles", [float(word) for word in text.split(",")])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be distinct levels in (0, 1) separated by commas, e.g. 0.05,0.95, got {text!r}"
        ) from None


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line, ``bnnppl run: error: ... (see bnnppl run --help)``,
    exit code 2, like every other user mistake (argparse's own prints the usage first)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bnnppl", description="Bayesian neural networks on NumPyro.")
    parser.add_argument("--version", action="version", version=f"bnnppl {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser(
        "example",
        help="fit the default example (sine regression, NUTS) and write a run folder",
        description="Fit the NumPyro tutorial's sine regression (MLP 1-10-1, tanh) with NUTS.",
    )
    ex.add_argument("--out", default="runs", help="folder that receives the new run folder (default: runs)")
    ex.add_argument("--chains", type=_positive_int, default=2, help="number of chains (default: 2)")
    ex.add_argument("--warmup", type=_positive_int, default=1000, help="warmup steps per chain")
    ex.add_argument("--samples", type=_positive_int, default=1000, help="draws kept per chain")
    ex.add_argument("--seed", type=_seed, default=0, help="random seed for the data and the sampler")
    _output_arguments(ex)

    run = commands.add_parser("run", help="fit a YAML config and write a new run folder")
    _config_arguments(run)
    run.add_argument("--out", help="folder that receives the run folder (overrides the config's output)")
    _output_arguments(run)
    val = commands.add_parser("validate", help="check a config and its data without fitting")
    _config_arguments(val)
    val.add_argument(
        "--print", dest="show", action="store_true", help="also print the resolved config (YAML)"
    )
    rep = commands.add_parser("report", help="rebuild report.html of a run folder")
    rep.add_argument("run_dir", metavar="RUN", help="a run folder made by bnnppl run")
    rep.add_argument("--png", action="store_true", help="also save every plot as RUN/plots/*.png for slides")
    pred = commands.add_parser("predict", help="predict the rows of a CSV file with a run's posterior")
    pred.add_argument("run_dir", metavar="RUN", help="a run folder made by bnnppl run")
    pred.add_argument("--input", required=True, help="CSV with a header row and the model's input columns")
    pred.add_argument(
        "--output", required=True, help="CSV to write, or - for standard output (refuses to replace a file)"
    )
    pred.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    pred.add_argument(
        "--keep", action="extend", nargs="+", default=[], metavar="COLUMN",
        help="input columns copied to the output first, as text (IDs)",
    )  # fmt: skip
    pred.add_argument(
        "--quantiles", type=_levels, metavar="LEVELS",
        help="quantile levels of a regression run, e.g. 0.05,0.95 (default: 0.025,0.25,0.5,0.75,0.975)",
    )  # fmt: skip
    pred.add_argument("--seed", type=_seed, default=0, help="random seed for the predictive draws")
    _bench_parser(commands)
    return parser


def _config_arguments(command: argparse.ArgumentParser) -> None:
    """``CONFIG`` and ``--set KEY.PATH=VALUE ...`` (several per flag, the flag repeatable). The
    config is optional to argparse only so that ``--set a=1 b=2 CONFIG`` works: a ``--set`` takes
    every word after it, and ``_config_last`` gives back the word without ``=``."""
    command.add_argument("config", nargs="?", help="the run config (YAML)")
    command.add_argument(
        "--set",
        dest="overrides",
        action="extend",
        nargs="+",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override config values, e.g. --set inference.steps=500 seed=3 (values read as YAML; "
        "repeatable)",
    )
    command.set_defaults(command_parser=command)


def _output_arguments(command: argparse.ArgumentParser) -> None:
    """``--no-report`` and ``--quiet`` of the commands that fit."""
    command.add_argument(
        "--no-report", action="store_true", help="skip report.html (bnnppl report makes it later)"
    )
    command.add_argument(
        "--quiet", action="store_true",
        help="print only the run folder: no status lines, progress bar or metrics (warnings still)",
    )  # fmt: skip


def _config_last(args: argparse.Namespace) -> None:
    """The config of ``run`` / ``validate`` when a ``--set`` took it in: the last of its words
    without ``=`` (any other such word is still refused as an override)."""
    if args.config is None:
        words = [i for i, word in enumerate(args.overrides) if "=" not in word]
        if not words:
            args.command_parser.error("the following arguments are required: config")
        args.config = args.overrides.pop(words[-1])


def _bench_parser(commands) -> None:
    bench = commands.add_parser("bench", help="run a benchmark protocol (uci)")
    kinds = bench.add_subparsers(dest="benchmark", required=True)
    uci = kinds.add_parser(
        "uci",
        help="the UCI regression benchmark (PBP splits) beside the published tables",
        description="Fit each split of the UCI regression data sets, write one JSON file per split "
        "(a rerun skips the splits already done) and results.json / results.md beside PUBLISHED.md.",
    )
    uci.add_argument("--data-dir", required=True, help="folder holding <dataset>/data.txt, index_*.txt, ...")
    uci.add_argument(
        "--datasets", nargs="+", default=[], metavar="NAME", help="data set folders (default: all)"
    )
    uci.add_argument("--splits", help="splits to run: 0, 0-4 or 0,3,5-7 (default: all)")
    uci.add_argument(
        "--method", choices=("mclmc", "nuts", "svi"), help="inference (default: nuts, or the config's)"
    )
    uci.add_argument("--config", help="YAML with model: and/or inference: sections replacing the defaults")
    uci.add_argument("--out", default="runs/uci", help="results folder (default: runs/uci)")
    uci.add_argument("--seed", type=_seed, default=0, help="random seed of every fit (default: 0)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bnnppl")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from bnnppl import __version__

        return __version__


def _load(args: argparse.Namespace):
    from bnnppl.runs.config import load_config

    overrides = list(args.overrides)
    if getattr(args, "out", None):
        overrides.append(f"output={args.out}")
    return load_config(args.config, overrides)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    config = _load(args)
    status = _status(args)
    _set_devices(config, status)
    from bnnppl.runs.runner import run

    result = run(
        config,
        base=Path(args.config).parent,
        progress=False if args.quiet else None,
        report=not args.no_report,
        command=["bnnppl", *args.argv],
        overrides=args.overrides,
        status=status,
    )
    _print_result(result, type(config.inference).__name__, args.quiet)
    return 0


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _status(args: argparse.Namespace):
    """The phase lines of a fit on stderr, ``bnnppl: [  4.2 s] fitting NUTS ...``, where someone
    watches (stderr a terminal, as for the progress bar: a log or a pipe gets a mistake as its one
    line); ``None`` with ``--quiet``."""
    if args.quiet or not _on_terminal():
        return None
    import time

    start = time.perf_counter()

    def say(line: str) -> None:
        print(f"bnnppl: [{time.perf_counter() - start:5.1f} s] {line}", file=sys.stderr, flush=True)

    return say


def _print_result(result, method: str, quiet: bool) -> None:
    """What a fit prints on stdout: the run folder, after the metrics and diagnostics unless quiet."""
    if not quiet:
        from bnnppl.runs.console import print_diagnostics, print_metrics

        print(f"{method.upper()}: fitted in {result.seconds:.1f} s")
        print_metrics(result.metrics)
        print_diagnostics(result.diagnostics)
    print(f"results: {result.run_dir}")


def _validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    config = _load(args)
    from bnnppl.results.scaling import unscaled_warning
    from bnnppl.runs.runner import prepare

    bnn, data = prepare(config, Path(args.config).parent)
    test = "no test rows" if data.x_test is None else f"{len(data.x_test)} test rows"
    scaled = "standardised" if config.data.scale else "not scaled"
    print(
        f"{args.config}: valid ({config.task}; {len(data.x)} training rows, {test}, "
        f"{data.x.shape[1]} input column(s), {scaled}; {config.inference.to_dict()['method']})"
    )
    if warning := unscaled_warning(data.x, data.y, bnn.likelihood, config.data.scale):
        print(f"  warning: {_config_words(warning)}")
    if args.show:
        from bnnppl.runs.config import dump_config

        print(dump_config(config), end="")
    return 0


def _config_words(warning: str) -> str:
    """A warning of ``fit`` in the config's words (``data.scale: false`` for ``scale=False``)."""
    return warning.replace("scale=False", "data.scale: false").replace("scale=True", "data.scale: true")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings as one line each, ``bnnppl: warning: ...``, in the config's words."""
    print(f"bnnppl: warning: {_config_words(str(message))}", file=sys.stderr if file is None else file)


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bnnppl.runs.layout import check_run_dir

    check_run_dir(args.run_dir)  # a clear error for a folder that is not a run, before JAX
    _start_jax()
    from bnnppl.runs.reader import open_run
    from bnnppl.runs.report import write_report

    open_run(args.run_dir)  # a missing or damaged file named
    print(f"report: {write_report(args.run_dir, png=args.png)}")
    if args.png:
        print(f"plots: {Path(args.run_dir) / 'plots'}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bnnppl.runs.errors import ConfigError
    from bnnppl.runs.layout import check_run_dir

    to_stdout = args.output == "-"
    if not to_stdout and Path(args.output).exists() and not args.overwrite:
        raise ConfigError(f"--output: {args.output} exists; pass --overwrite to replace it.")
    check_run_dir(args.run_dir)  # refused before JAX is imported
    _start_jax()
    from bnnppl.runs.predicting import predict_file

    output = sys.stdout if to_stdout else args.output
    written = predict_file(
        args.run_dir, args.input, output, seed=args.seed, keep=args.keep, levels=args.quantiles
    )
    if written is not None:
        print(f"predictions: {written}")
    return 0


def _set_devices(config, status=None) -> None:
    """Before JAX starts its backend: one CPU device per chain, so chains run in parallel."""
    _start_jax(getattr(config.inference, "chains", 1), status)


def _start_jax(chains: int = 1, status=None) -> None:
    """Ask for ``chains`` CPU devices when there is more than one chain (one chain, SVI or SMC,
    leaves JAX's setting as it is rather than lowering it); then the persistent compilation cache
    (``bnnppl.enable_compilation_cache``: JAX is imported here, after the cheap checks)."""
    if status is not None:
        status("starting JAX")
    if chains > 1:
        import numpyro

        numpyro.set_host_device_count(chains)
    from bnnppl._jaxconfig import enable_compilation_cache

    enable_compilation_cache()


def _example(args: argparse.Namespace) -> int:
    from bnnppl.runs.config import check_output

    check_output(args.out, "--out")
    status = _status(args)
    _start_jax(args.chains, status)  # before JAX starts its backend: one CPU device per chain
    from bnnppl.runs.example import run_example

    result = run_example(
        args.out, chains=args.chains, warmup=args.warmup, samples=args.samples, seed=args.seed,
        progress=False if args.quiet else None, report=not args.no_report, command=["bnnppl", *args.argv],
        status=status,
    )  # fmt: skip
    _print_result(result, "nuts", args.quiet)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bnnppl import uci

    jobs = uci.plan(
        args.data_dir, args.out, datasets=args.datasets, splits=args.splits,
        method=args.method, config=args.config, seed=args.seed,
    )  # fmt: skip
    _start_jax(max(getattr(j.method, "chains", 1) for j in jobs))
    uci.run_benchmark(jobs, args.out, published=Path(args.data_dir) / "PUBLISHED.md", log=_say)
    print(f"results: {Path(args.out) / 'results.md'}, {Path(args.out) / 'results.json'}")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if hasattr(args, "command_parser"):
        _config_last(args)
    args.argv = argv  # the command line, recorded in a run folder's run.json
    from bnnppl.runs.errors import ConfigError

    commands = {
        "run": _run, "validate": _validate, "report": _report, "predict": _predict, "bench": _bench,
        "example": _example,
    }  # fmt: skip
    command = commands[args.command]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # each warning printed once, as a line, never raised
            warnings.showwarning = _show_warning
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


if __name__ == "__main__":
    entry()
