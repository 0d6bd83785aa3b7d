"""The ``bnnppl`` subcommands: each reads its arguments, makes its cheap checks, then imports
what it needs (JAX only where it fits or predicts) and calls into ``bnnppl.runs`` or ``bnnppl.uci``."""

from __future__ import annotations

import argparse
import sys


def _load(args: argparse.Namespace):
    from bnnppl.runs.config import load_config

    overrides = list(args.overrides)
    if getattr(args, "out", None):
        overrides.append(f"output={args.out}")
    return load_config(args.config, overrides)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    config = _load(args)
    status = _status(args)
    _set_devices(config, status)
    from bnnppl.runs.runner import run as run_config

    result = run_config(
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


def validate(args: argparse.Namespace) -> int:
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
        print(f"  warning: {config_words(warning)}")
    if args.show:
        from bnnppl.runs.config import dump_config

        print(dump_config(config), end="")
    return 0


def config_words(warning: str) -> str:
    """A warning of ``fit`` in the config's words (``data.scale: false`` for ``scale=False``)."""
    return warning.replace("scale=False", "data.scale: false").replace("scale=True", "data.scale: true")


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Python warnings as one line each, ``bnnppl: warning: ...``, in the config's words."""
    print(f"bnnppl: warning: {config_words(str(message))}", file=sys.stderr if file is None else file)


def report(args: argparse.Namespace) -> int:
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


def predict(args: argparse.Namespace) -> int:
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


def example(args: argparse.Namespace) -> int:
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


def bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bnnppl import uci

    jobs = uci.plan(
        args.data_dir, args.out, datasets=args.datasets, splits=args.splits,
        method=args.method, config=args.config, seed=args.seed,
    )  # fmt: skip
    _start_jax(max(getattr(j.method, "chains", 1) for j in jobs))
    uci.run_benchmark(
        jobs, args.out, published=Path(args.data_dir) / "PUBLISHED.md", log=_say, workers=args.workers,
        scheduler=args.scheduler,
    )  # fmt: skip
    print(f"results: {Path(args.out) / 'results.md'}, {Path(args.out) / 'results.json'}")
    return 0


def sweep(args: argparse.Namespace) -> int:
    from bnnppl.sweeps import sweep as run_sweep

    result = run_sweep(
        args.config, args.grid, args.seeds, overrides=args.overrides, out=args.out, workers=args.workers,
        scheduler=args.scheduler, rank_by=args.rank_by, report=not args.no_report, log=_say,
        progress=_on_terminal(),
    )  # fmt: skip
    done = sum(row["status"] == "ok" for row in result.rows)
    print(f"{done} of {len(result.rows)} runs done, {len(result.failed)} failed")
    print(f"summary: {result.folder / 'summary.md'} (and .csv, .html)")
    return 1 if result.failed else 0


def _say(line: str) -> None:
    print(line, flush=True)
