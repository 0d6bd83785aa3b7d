"""Side by side from `bnnppl bench uci` split files: a method against today's NUTS column on the
same splits (mean ± standard error of the test log-likelihood and RMSE, the paired difference,
the median fit time per split), with the best published log-likelihood (PUBLISHED.md, table F).

    python bench/uci_compare.py bench/results/uci [--method mclmc] [--against nuts]
    python bench/uci_compare.py bench/results/uci_het --against-root bench/results/uci

``--against-root``: take the ``--against`` column from another results folder (default: the
same one), e.g. a run with another likelihood, which ``bnnppl bench uci`` keeps apart.
"""

import argparse
import json
from pathlib import Path

import numpy as np

BEST = {"bostonHousing": -2.35, "concrete": -2.83, "energy": -0.53, "kin8nm": 1.24,
        "naval-propulsion-plant": 6.29, "power-plant": -2.60, "protein-tertiary-structure": -2.63,
        "wine-quality-red": -0.89, "yacht": -0.16}  # fmt: skip


def splits(folder: Path) -> dict[int, dict]:
    return {d["split"]: d for d in (json.loads(p.read_text()) for p in folder.glob("split_*.json"))}


def mean_se(values: list[float]) -> str:
    v = np.asarray(values)
    return f"{v.mean():.3f} ± {v.std() / np.sqrt(len(v)):.3f}" if len(v) else "—"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", nargs="+", type=Path)
    parser.add_argument("--method", default="mclmc")
    parser.add_argument("--against", default="nuts")
    parser.add_argument("--against-root", type=Path, default=None)
    args = parser.parse_args()
    m, a = args.method, args.against
    print(
        f"| data set | splits | LL {m} | LL {a} (same splits) | paired diff | LL members alone "
        f"| best published | RMSE {m} | RMSE {a} | fit per split {m} / {a} |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for root in args.root:
        for data in sorted(p for p in root.iterdir() if p.is_dir()):
            ours = splits(data / args.method)
            if not ours:
                continue
            theirs = splits((args.against_root or root) / data.name / args.against)
            common = sorted(set(ours) & set(theirs))
            ll = [ours[k]["log_likelihood"] for k in sorted(ours)]
            diff = [ours[k]["log_likelihood"] - theirs[k]["log_likelihood"] for k in common]
            members = [d["ensemble_log_likelihood"] for d in ours.values() if "ensemble_log_likelihood" in d]
            t_ours = np.median([d["fit_seconds"] for d in ours.values()])
            t_theirs = f"{np.median([theirs[k]['fit_seconds'] for k in common]):.1f} s" if common else "—"
            cells = [
                data.name,
                str(len(ours)),
                mean_se(ll),
                mean_se([theirs[k]["log_likelihood"] for k in common]),
                mean_se(diff) if diff else "—",
                mean_se(members),
                f"{BEST.get(data.name, float('nan')):.2f}",
                mean_se([ours[k]["rmse"] for k in sorted(ours)]),
                mean_se([theirs[k]["rmse"] for k in common]),
                f"{t_ours:.1f} s / {t_theirs}",
            ]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
