"""Choosing the UCI benchmark's settings on training rows only: repeated inner splits.

The training rows of split 0 (the standard index files) are split again, 80 / 20, with a fixed
permutation per repeat (``numpy.random.default_rng(r)`` for repeat ``r``; repeat 1 is the
permutation of ``bench/defaults.py --validate``); each setting is fitted on the 80 % exactly as
``bnnppl bench uci`` fits a split (``bnnppl.uci.fit_and_score``: the benchmark's model and
standardisation) and scored by the log-likelihood per point of the other 20 %, in original
units. The test rows are never read. The choice per data set: the setting with the highest mean
validation log-likelihood over the repeats every setting has.

One repeat was not enough: with it, two settings whose fits now and then collapse a noise level
(``bench/uci_mclmc_het_map20k.yaml``) won Energy and Wine by 0.002 and 0.021 nats and then lost
to the settings they displaced on the test rows (docs/benchmarks.md). ``--repeats 1 2 3`` runs three.

A setting is a method name (``nuts``, ``mclmc``, ``svi``: the benchmark's defaults) or a bench
config (``bench/uci_mclmc_het.yaml``: ``model:`` and/or ``inference:``), named by its stem. Each
(data set, setting, repeat) runs in a fresh process, on one CPU device; its JSON lands in
``<out>/<data set>/<setting>.json`` (repeat 1) or ``<setting>.r<R>.json`` (a rerun skips those
done) and the table of all of them in ``bench/results/<out's name>.json``.

    python bench/uci_inner.py --datasets yacht bostonHousing --settings mclmc bench/uci_mclmc_het.yaml \
        --repeats 1 2 3
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import header, is_config, table, write_json

ROOT = Path(__file__).resolve().parents[1]


def name_of(setting: str) -> str:
    return Path(setting).stem if is_config(setting) else setting


def child(dataset: str, setting: str, repeat: int, data_dir: str) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from bnnppl.uci import fit_and_score, load_uci, settings

    data = load_uci(data_dir, dataset)
    x, y, _, _ = data.split(0)  # the test rows of split 0 are not used
    order = np.random.default_rng(repeat).permutation(len(y))
    train, validation = order[: int(round(0.8 * len(y)))], order[int(round(0.8 * len(y))) :]
    config = is_config(setting)
    spec, method = settings(data.n_hidden, None if config else setting, setting if config else None)
    _, scores = fit_and_score(spec, method, (x[train], y[train]), (x[validation], y[validation]))
    return {
        "dataset": dataset,
        "setting": name_of(setting),
        "repeat": repeat,
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
    parser.add_argument("--repeats", nargs="+", type=int, default=[1], help="permutation seeds (default: 1)")
    parser.add_argument("--out", default="bench/results/uci_inner")
    parser.add_argument("--child", nargs=3, metavar=("DATASET", "SETTING", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dataset, setting, repeat = args.child
        print(json.dumps(child(dataset, setting, int(repeat), args.data_dir)))
        return
    if not args.datasets or not args.settings:
        parser.error("--datasets and --settings: give at least one of each.")
    out = Path(args.out)
    for repeat in args.repeats:
        for dataset in args.datasets:
            for setting in args.settings:
                path = out / dataset / f"{name_of(setting)}{'' if repeat == 1 else f'.r{repeat}'}.json"
                if path.exists():
                    continue
                cmd = [sys.executable, __file__, "--data-dir", args.data_dir, "--child", dataset, setting,
                       str(repeat)]  # fmt: skip
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode:
                    print(f"{dataset} {setting} {repeat}: failed\n{done.stderr[-3000:]}", flush=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(done.stdout.strip().splitlines()[-1] + "\n")
                print(f"{dataset} {name_of(setting)} {repeat}: {path.read_text().strip()[:200]}", flush=True)
    rows = [{"repeat": 1} | json.loads(p.read_text()) for p in sorted(out.glob("*/*.json"))]
    choices = choose(rows)
    print(
        table(
            [(d, s, c["mean"], c["worst"], c["repeats"], "chosen" if c["chosen"] else "")
             for d, by in choices.items() for s, c in by.items()],
            ("data set", "setting", "mean validation LL", "worst", "repeats", ""),
        )
    )  # fmt: skip
    data = header(
        out.name,
        False,
        {"split": 0, "inner": "80/20 of the training rows, default_rng(repeat)", "settings": args.settings,
         "repeats": args.repeats, "choice": "highest mean validation LL over the repeats every setting has"},
    )  # fmt: skip
    data["choices"] = choices
    data["results"] = rows
    write_json(out.name, data)


def choose(rows: list[dict]) -> dict[str, dict[str, dict]]:
    """Per data set and setting: the mean and worst validation log-likelihood over the repeats that
    every setting of that data set has, how many, and whether it is the chosen one (highest mean).

    >>> runs = [("a", 1, -1.0), ("a", 2, -3.0), ("b", 1, -1.5), ("b", 2, -1.5), ("b", 3, 0.0)]
    >>> rows = [{"dataset": "d", "setting": s, "repeat": r, "log_likelihood": v} for s, r, v in runs]
    >>> choose(rows)["d"]["b"]
    {'mean': -1.5, 'worst': -1.5, 'repeats': 2, 'chosen': True}
    """
    out: dict[str, dict[str, dict]] = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        mine = [r for r in rows if r["dataset"] == dataset]
        settings = sorted({r["setting"] for r in mine})
        common = set.intersection(*({r["repeat"] for r in mine if r["setting"] == s} for s in settings))
        by = {}
        for s in settings:
            scores = [r["log_likelihood"] for r in mine if r["setting"] == s and r["repeat"] in common]
            by[s] = {"mean": float(np.mean(scores)), "worst": float(min(scores)), "repeats": len(scores)}
        best = max(by, key=lambda s: by[s]["mean"])
        out[dataset] = {s: v | {"chosen": s == best} for s, v in by.items()}
    return out


if __name__ == "__main__":
    main()
