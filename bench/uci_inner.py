"""Choosing the UCI benchmark's settings on training rows only: an inner split.

The training rows of split 0 (the standard index files) are split again, 80 / 20, with a fixed
permutation (``numpy.random.default_rng(1)``, as ``bench/defaults.py --validate``); each setting
is fitted on the 80 % exactly as ``bnnppl bench uci`` fits a split (``bnnppl.uci.fit_and_score``:
the benchmark's model and standardisation) and scored by the log-likelihood per point of the
other 20 %, in original units. The test rows are never read.

A setting is a method name (``nuts``, ``mclmc``, ``svi``: the benchmark's defaults) or a bench
config (``bench/uci_mclmc_het.yaml``: ``model:`` and/or ``inference:``), named by its stem. Each
(data set, setting) runs in a fresh process, on one CPU device; its JSON lands in
``<out>/<data set>/<setting>.json`` (a rerun skips those done) and the table of all of them in
``bench/results/<out's name>.json``.

    python bench/uci_inner.py --datasets yacht bostonHousing --settings mclmc bench/uci_mclmc_het.yaml
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import header, table, write_json

ROOT = Path(__file__).resolve().parents[1]


def name_of(setting: str) -> str:
    return Path(setting).stem if setting.endswith((".yaml", ".yml")) else setting


def child(dataset: str, setting: str, data_dir: str) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from bnnppl.uci import fit_and_score, load_uci, settings

    data = load_uci(data_dir, dataset)
    x, y, _, _ = data.split(0)  # the test rows of split 0 are not used
    order = np.random.default_rng(1).permutation(len(y))
    train, validation = order[: int(round(0.8 * len(y)))], order[int(round(0.8 * len(y))) :]
    is_config = setting.endswith((".yaml", ".yml"))
    spec, method = settings(data.n_hidden, None if is_config else setting, setting if is_config else None)
    _, scores = fit_and_score(spec, method, (x[train], y[train]), (x[validation], y[validation]))
    return {
        "dataset": dataset,
        "setting": name_of(setting),
        "n_train": len(train),
        "n_validation": len(validation),
        **scores,
        "model": spec.to_dict(),
        "inference": method.to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default="../shared/data/uci")
    parser.add_argument("--datasets", nargs="+", default=[])
    parser.add_argument("--settings", nargs="+", default=[])
    parser.add_argument("--out", default="bench/results/uci_inner")
    parser.add_argument("--child", nargs=2, metavar=("DATASET", "SETTING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.data_dir)))
        return
    if not args.datasets or not args.settings:
        parser.error("--datasets and --settings: give at least one of each.")
    out = Path(args.out)
    for dataset in args.datasets:
        for setting in args.settings:
            path = out / dataset / f"{name_of(setting)}.json"
            if path.exists():
                continue
            cmd = [sys.executable, __file__, "--data-dir", args.data_dir, "--child", dataset, setting]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(f"{dataset} {setting}: failed\n{done.stderr[-3000:]}", flush=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(done.stdout.strip().splitlines()[-1] + "\n")
            print(f"{dataset} {name_of(setting)}: {path.read_text().strip()[:200]}", flush=True)
    rows = [json.loads(p.read_text()) for p in sorted(out.glob("*/*.json"))]
    print(
        table(
            [(r["dataset"], r["setting"], r["log_likelihood"], r["rmse"], r["fit_seconds"]) for r in rows],
            ("data set", "setting", "validation LL", "RMSE", "fit s"),
        )
    )
    data = header(
        out.name,
        False,
        {"split": 0, "inner": "80/20 of the training rows, default_rng(1)", "settings": args.settings},
    )
    data["results"] = rows
    write_json(out.name, data)


if __name__ == "__main__":
    main()
