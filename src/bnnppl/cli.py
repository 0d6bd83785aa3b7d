"""The ``bnnppl`` command (also ``python -m bnnppl``): wiring only.

- ``bnnppl run CONFIG [--set key.path=value ...]``: fit a YAML config (several overrides per
  ``--set``, the flag repeatable), write a new run folder (see ``bnnppl.runs.runner``) and print
  where it went, the metrics and the diagnostics;
- ``bnnppl validate CONFIG [--print]``: check the config and its data without fitting (``--print``:
  and print the resolved config, every default filled in and every override applied, as YAML);
- ``bnnppl report RUN``: rebuild a run folder's ``report.html``;
- ``bnnppl predict RUN --input in.csv --output out.csv``: predict with a saved posterior;
- ``bnnppl example``: fit the default example (see ``bnnppl.runs.example``);
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

    run = commands.add_parser("run", help="fit a YAML config and write a new run folder")
    _config_arguments(run)
    run.add_argument("--out", help="folder that receives the run folder (overrides the config's output)")
    run.add_argument(
        "--no-report", action="store_true", help="skip report.html (bnnppl report makes it later)"
    )
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
    pred.add_argument("--output", required=True, help="CSV to write (refuses to replace a file)")
    pred.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
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
    _set_devices(config)
    from bnnppl.runs.console import print_diagnostics, print_metrics
    from bnnppl.runs.runner import run

    result = run(
        config,
        base=Path(args.config).parent,
        report=not args.no_report,
        command=["bnnppl", *args.argv],
        overrides=args.overrides,
    )
    method = config.inference.to_dict()["method"]
    print(f"{method.upper()}: fitted in {result.seconds:.1f} s")
    print_metrics(result.metrics)
    print_diagnostics(result.diagnostics)
    print(f"results: {result.run_dir}")
    return 0


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

    from bnnppl.runs.reader import open_run
    from bnnppl.runs.report import write_report

    open_run(args.run_dir)  # a clear error for a folder that is not a run
    print(f"report: {write_report(args.run_dir, png=args.png)}")
    if args.png:
        print(f"plots: {Path(args.run_dir) / 'plots'}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bnnppl.runs.config import ConfigError
    from bnnppl.runs.runner import predict_file

    if Path(args.output).exists() and not args.overwrite:
        raise ConfigError(f"--output: {args.output} exists; pass --overwrite to replace it.")
    print(f"predictions: {predict_file(args.run_dir, args.input, args.output, seed=args.seed)}")
    return 0


def _set_devices(config) -> None:
    """Before JAX starts its backend: one CPU device per chain, so chains run in parallel."""
    _host_devices(getattr(config.inference, "chains", 1))


def _host_devices(chains: int) -> None:
    """Ask for ``chains`` CPU devices when there is more than one chain; one chain (SVI, SMC)
    leaves JAX's setting as it is rather than lowering it."""
    if chains > 1:
        import numpyro

        numpyro.set_host_device_count(chains)


def _example(args: argparse.Namespace) -> int:
    from bnnppl.runs.config import check_output

    check_output(args.out, "--out")
    _host_devices(args.chains)  # before JAX starts its backend: one CPU device per chain
    from bnnppl.runs.console import print_diagnostics
    from bnnppl.runs.example import run_example

    result = run_example(
        args.out, chains=args.chains, warmup=args.warmup, samples=args.samples, seed=args.seed
    )
    d = result.diagnostics
    draws = f"{args.chains} chains x {args.samples} draws after {args.warmup} warmup"
    print(f"NUTS: {draws}, {result.seconds:.1f} s")
    print_diagnostics(d)
    print(f"results: {result.run_dir} (posterior/, summary.csv, model.yaml)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bnnppl import uci

    jobs = uci.plan(
        args.data_dir, args.out, datasets=args.datasets, splits=args.splits,
        method=args.method, config=args.config, seed=args.seed,
    )  # fmt: skip
    _host_devices(max(getattr(j.method, "chains", 1) for j in jobs))
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
    from bnnppl.runs.config import ConfigError

    commands = {
        "run": _run, "validate": _validate, "report": _report, "predict": _predict, "bench": _bench,
        "example": _example,
    }  # fmt: skip
    command = commands[args.command]
    try:
        with warnings.catch_warnings():
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
