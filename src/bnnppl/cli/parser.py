"""The ``bnnppl`` command's arguments (argparse): the subcommands, their options and the value
checks of the options; nothing here imports JAX."""

from __future__ import annotations

import argparse


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


def parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bnnppl", description="Bayesian neural networks on NumPyro.")
    parser.add_argument("--version", action="version", version=f"bnnppl {version()}")
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
    _sweep_parser(commands)
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


def config_last(args: argparse.Namespace) -> None:
    """The config of ``run`` / ``validate`` when a ``--set`` took it in: the last of its words
    without ``=`` (any other such word is still refused as an override)."""
    if args.config is None:
        words = [i for i, word in enumerate(args.overrides) if "=" not in word]
        if not words:
            args.command_parser.error("the following arguments are required: config")
        args.config = args.overrides.pop(words[-1])


def _sweep_parser(commands) -> None:
    sw = commands.add_parser(
        "sweep",
        help="fit a config over a grid of values and seeds on Dask, with a ranked summary",
        description="Fit CONFIG at every point of the --grid values times the --seeds, on a local Dask "
        "cluster (or --scheduler), into one sweep folder with summary.csv / .md / .html; a rerun fits "
        "only what is missing.",
    )
    _config_arguments(sw)
    sw.add_argument(
        "--grid", action="append", default=[], metavar="KEY.PATH=V1,V2",
        help="values of one config key (YAML), e.g. model.network.hidden=[10],[50]; repeatable: the product",
    )  # fmt: skip
    sw.add_argument("--seeds", metavar="SEEDS", help="seeds to run each point with: 0, 0-4 or 0,3,5-7")
    sw.add_argument("--out", help="the sweep folder (default: <config's output>/<config name>-sweep)")
    sw.add_argument(
        "--workers",
        type=_positive_int,
        help="worker processes of the local cluster (default: one per GPU, else per core)",
    )
    sw.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument(
        "--rank-by", metavar="SCORE",
        help="loo, or split.metric such as test.log_likelihood (default: loo where every run has it)",
    )  # fmt: skip
    sw.add_argument("--no-report", action="store_true", help="skip each run's report.html")


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
    uci.add_argument(
        "--workers", type=_positive_int, help="fit on a local Dask cluster of N worker processes"
    )
    uci.add_argument(
        "--scheduler", metavar="ADDRESS", help="fit on a running Dask scheduler, e.g. tcp://host:8786"
    )


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bnnppl")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from bnnppl import __version__

        return __version__
