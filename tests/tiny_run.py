"""The tiny run the run-folder, kill and user-mistake tests share: a 24-point sine regression, a
3-unit network with a fixed noise, a few SVI steps; and the files a run folder holds."""

TINY = {
    "data": {"name": "sine", "params": {"n": 24}},
    "model": {"network": {"hidden": [3]}, "likelihood": {"family": "gaussian", "noise": 0.1}},
    "inference": {"method": "svi", "steps": 20, "draws": 10},
}
FILES = sorted(
    [
        "config.yaml",
        "data.npz",
        "diagnostics.json",
        "metrics.json",
        "posterior",
        "predictions.npz",
        "run.json",
        "summary.csv",
    ]
)
"""A run folder made with ``report=False`` (``--no-report``): it adds ``report.html`` otherwise."""
