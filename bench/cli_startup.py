"""Command start-up: how long ``bnnppl`` takes to answer when it needs no JAX (issue 18's target:
well under 1 s), beside the interpreter's own start and the full library import a fit pays.

Each command runs in a fresh process (the installed ``bnnppl`` script, which re-executes itself
once to fix ``PYTHONHASHSEED``), ``repeats`` times, commands interleaved; medians of the wall
time, exit codes checked. The errors are user mistakes refused before JAX is imported: a missing
config, a bad field, an existing ``--output``, a folder that is not a run.

    python bench/cli_startup.py [--quick]
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common as C

NAME = "cli_startup"
ROOT = Path(__file__).resolve().parents[1]
BNNPPL = str(Path(sys.executable).parent / "bnnppl")
FULL = {"repeats": 7}
QUICK = {"repeats": 1}
TARGET_S = 1.0


def commands(tmp: Path) -> dict[str, tuple[list[str], int]]:
    """name -> (argv, expected exit code)."""
    (tmp / "bad.yaml").write_text((ROOT / "configs" / "sine_svi.yaml").read_text() + "seed: -1\n")
    (tmp / "exists.csv").write_text("x0\n1\n")
    return {
        "python -c pass (interpreter)": ([sys.executable, "-c", "pass"], 0),
        "bnnppl --help": ([BNNPPL, "--help"], 0),
        "bnnppl --version": ([BNNPPL, "--version"], 0),
        "bnnppl run missing.yaml": ([BNNPPL, "run", str(tmp / "missing.yaml")], 2),
        "bnnppl validate bad.yaml (seed: -1)": ([BNNPPL, "validate", str(tmp / "bad.yaml")], 2),
        "bnnppl predict, --output exists": (
            [BNNPPL, "predict", str(tmp), "--input", "in.csv", "--output", str(tmp / "exists.csv")],
            2,
        ),
        "bnnppl report, not a run folder": ([BNNPPL, "report", str(tmp)], 2),
        "import bnnppl; bnnppl.fit (full import)": ([sys.executable, "-c", "import bnnppl; bnnppl.fit"], 0),
    }


def timed(argv: list[str], code: int) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != code:
        raise RuntimeError(f"{argv}: exit code {done.returncode}, expected {code}: {done.stderr[-2000:]}")
    return wall


def main() -> None:
    args = C.parse_or_run_child(__doc__, lambda mode, p: {})
    if args is None:
        return
    p = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bnnppl-cli-bench-") as tmp:
        cmds = commands(Path(tmp))
        raw: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(p["repeats"]):
            for name, (argv, code) in cmds.items():
                raw[name].append(timed(argv, code))
    import numpy as np

    res = {name: float(np.median(walls)) for name, walls in raw.items()}
    print(C.table([(name, s) for name, s in res.items()], ("command", "median s")))
    no_jax = [name for name in cmds if name.startswith("bnnppl")]
    targets = {f"{name}: under {TARGET_S:g} s": res[name] < TARGET_S for name in no_jax}
    data = C.header(NAME, args.quick, {
        "repeats": p["repeats"], "bnnppl": BNNPPL,
        "timing": "wall time of a fresh process per command and repeat, commands interleaved; medians "
                  "(raw runs kept)",
    })  # fmt: skip
    data["units"] = {"median_s": "s"}
    data["results"] = {"median_s": res}
    data["raw"] = raw
    C.finish(NAME, args, data, targets)


if __name__ == "__main__":
    main()
