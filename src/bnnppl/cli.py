"""The ``bnnppl`` command (also ``python -m bnnppl``): wiring only.

``bnnppl example`` fits the default example (see ``bnnppl.example``) and prints its diagnostics
and where the results went.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bnnppl", description="Bayesian neural networks on NumPyro.")
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
    ex.add_argument("--seed", type=int, default=0, help="random seed for the data and the sampler")
    return parser


def _example(args: argparse.Namespace) -> int:
    from bnnppl.example import run_example

    result = run_example(
        args.out, chains=args.chains, warmup=args.warmup, samples=args.samples, seed=args.seed
    )
    d = result.diagnostics
    draws = f"{args.chains} chains x {args.samples} draws after {args.warmup} warmup"
    print(f"NUTS: {draws}, {result.seconds:.1f} s")
    print(f"  parameters: max r-hat {d.max_rhat:.3f}, min bulk ESS {d.min_ess_bulk:.0f}")
    print(f"  function f: max r-hat {d.function_max_rhat:.3f}, min bulk ESS {d.function_min_ess_bulk:.0f}")
    print(f"  divergences: {d.divergences}")
    for warning in d.warnings():
        print(f"  warning: {warning}")
    if d.warnings() and d.function_max_rhat <= 1.01 and d.function_min_ess_bulk >= 400:
        print(
            "  note: the network output f has mixed; weight-space numbers suffer from the\n"
            "  permutation symmetry of hidden units (swapping two units gives the same function)."
        )
    print(f"results: {result.run_dir} (posterior/, summary.csv, model.yaml)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "example":
        # Before JAX starts its backend: one CPU device per chain, so chains run in parallel.
        import numpyro

        numpyro.set_host_device_count(max(args.chains, 1))
        return _example(args)
    return 2  # unreachable: argparse requires a command


def entry() -> None:
    """The console entry point: fixes ``PYTHONHASHSEED`` (see ``bnnppl._jaxconfig``), then ``main``."""
    if os.environ.get("PYTHONHASHSEED") is None:
        os.environ["PYTHONHASHSEED"] = "0"  # identical compiled programs run to run: cache hits
        os.execv(sys.executable, [sys.executable, "-m", "bnnppl", *sys.argv[1:]])
    sys.exit(main())


if __name__ == "__main__":
    entry()
