"""UCI: each small set's chosen setting against the default NUTS, side by side, in walls.

Issue 14's target for the five small sets is a test log-likelihood at least the default NUTS's
at no more than half its wall. For each data set, each repeat, and each of the two settings in
turn (interleaved), ``bnnppl bench uci`` runs the given splits into a fresh temporary folder, in
a fresh process, with the persistent compilation cache off (a first run: every compile paid);
the process wall is timed, and the split files give the fit seconds and scores (the same seeds
as the 20-split runs, so the scores repeat theirs). Medians over repeats; the ratio of the chosen
setting's wall to NUTS's per data set. Run it alone on the machine: it measures time.

    python bench/uci_walls.py --chosen yacht=bench/uci_mclmc_het.yaml \\
        energy=bench/uci_mclmc_het_map20k.yaml [--splits 0-2] [--repeats 1]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import header, is_config, table, write_json

NAME = "uci_walls"
ROOT = Path(__file__).resolve().parents[1]


def run(dataset: str, setting: str, splits: str, data_dir: str) -> dict:
    """One ``bnnppl bench uci`` process: its wall, and the sum of its split files' fit seconds and
    their scores."""
    option = ["--config", setting] if is_config(setting) else ["--method", setting]
    with tempfile.TemporaryDirectory(prefix="bnnppl-uci-walls-") as out:
        cmd = [sys.executable, "-m", "bnnppl", "bench", "uci", "--data-dir", data_dir,
               "--datasets", dataset, "--splits", splits, *option, "--out", out]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(
            cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=os.environ | {"CI": "1"}
        )
        wall = time.perf_counter() - start
        records = [json.loads(p.read_text()) for p in sorted(Path(out).glob("*/*/split_*.json"))]
    return {
        "wall_s": wall,
        "fit_s": sum(r["fit_seconds"] for r in records),
        "log_likelihood": {r["split"]: r["log_likelihood"] for r in records},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chosen", nargs="+", required=True, metavar="DATASET=SETTING")
    parser.add_argument("--against", default="nuts", help="the setting to compare with (default: nuts)")
    parser.add_argument("--splits", default="0-2")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--data-dir", default="../shared/data/uci")
    args = parser.parse_args()
    chosen = dict(item.split("=", 1) for item in args.chosen)
    raw: dict = {ds: {"chosen": [], "against": []} for ds in chosen}
    load = [os.getloadavg()]
    for _ in range(args.repeats):
        for dataset, setting in chosen.items():
            for side, name in (("against", args.against), ("chosen", setting)):
                raw[dataset][side].append(run(dataset, name, args.splits, args.data_dir))
                print(f"{dataset} {name}: {raw[dataset][side][-1]}", flush=True)
    load.append(os.getloadavg())
    results = {}
    for dataset, sides in raw.items():
        med = {side: {k: statistics.median(r[k] for r in runs) for k in ("wall_s", "fit_s")}
               for side, runs in sides.items()}  # fmt: skip
        results[dataset] = {
            "chosen": chosen[dataset],
            "against": args.against,
            **{f"{side}_{k}": v for side, m in med.items() for k, v in m.items()},
            "wall_ratio": med["chosen"]["wall_s"] / med["against"]["wall_s"],
            "fit_ratio": med["chosen"]["fit_s"] / med["against"]["fit_s"],
        }
    print(table(
        [(d, r["chosen"], r["against_wall_s"], r["chosen_wall_s"], r["wall_ratio"], r["fit_ratio"])
         for d, r in results.items()],
        ("data set", "chosen", f"{args.against} wall s", "chosen wall s", "wall ratio", "fit ratio"),
    ))  # fmt: skip
    data = header(NAME, False, {
        "splits": args.splits, "repeats": args.repeats, "against": args.against, "chosen": chosen,
        "timing": "one `bnnppl bench uci` process per (data set, setting, repeat), interleaved, "
                  "persistent compilation cache off; medians",
    })  # fmt: skip
    data["loadavg_start_end"] = load
    data["results"] = results
    data["raw"] = raw
    write_json(NAME, data)


if __name__ == "__main__":
    main()
