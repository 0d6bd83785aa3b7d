"""The saved-posterior folder: what ``Posterior.save`` writes and ``bnnppl.load`` reads.

A folder holds ``posterior.nc`` (the samples, netCDF through ArviZ), ``arrays.npz`` (the training
data, the method's statistics, deterministic layers, ensemble members and the scaling), ``model.yaml``,
``method.yaml``, ``meta.json`` (shapes, seed, library versions) and, written last,
``manifest.json``: each file's size and SHA-256. The manifest says the folder is bnnppl's own
(``write`` replaces no other folder) and lets ``read_folder`` name a damaged file. ``write_folder``
fills a folder from a posterior's fields; ``read_folder`` returns the fields ``Posterior`` is
built from, so this module needs no ``Posterior``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bnnppl.model.bnn import BNN
from bnnppl.results.scaling import Scaling
from bnnppl.spec.methods import method_from_dict
from bnnppl.spec.model import ModelSpec
from bnnppl.spec.priors import Prior

FORMAT = 1
_FILES = ("meta.json", "model.yaml", "method.yaml", "posterior.nc", "arrays.npz")
MANIFEST = "manifest.json"


def _model_dict(bnn: BNN) -> dict[str, Any]:
    if bnn.spec is not None:
        return {"spec": bnn.spec.to_dict()}
    return {
        "module": type(bnn.module).__name__,
        "prior": bnn.prior.to_dict() if isinstance(bnn.prior, Prior) else repr(bnn.prior),
        "likelihood": bnn.likelihood.to_dict(),
    }


def write_folder(posterior: Any, folder: Path) -> None:
    import arviz as az
    import yaml

    meta = {
        "format": FORMAT,
        "versions": _versions(),
        "n_points": int(posterior.x.shape[0]),
        "n_features": int(posterior.x.shape[1]),
        "chains": posterior.num_chains,
        "draws": posterior.num_draws,
        "seed": posterior.seed,
        "seconds": posterior.seconds,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    (folder / "model.yaml").write_text(yaml.safe_dump(_model_dict(posterior.bnn), sort_keys=False))
    (folder / "method.yaml").write_text(yaml.safe_dump(posterior.method.to_dict(), sort_keys=False))
    az.from_dict({"posterior": dict(posterior.samples)}).to_netcdf(folder / "posterior.nc", engine="h5netcdf")
    arrays = {"x": posterior.x, "y": posterior.y}
    arrays |= {f"stats/{k}": v for k, v in posterior.stats.items()}
    arrays |= {f"fixed/{k}": v for k, v in posterior.fixed.items()}
    arrays |= {f"members/{k}": v for k, v in posterior.members.items()}
    if posterior.scaling is not None:
        arrays |= {f"scaling/{k}": v for k, v in posterior.scaling.to_arrays().items()}
    np.savez(folder / "arrays.npz", **arrays)
    files = {name: _fingerprint(folder / name) for name in _FILES}
    (folder / MANIFEST).write_text(json.dumps({"format": FORMAT, "files": files}, indent=2))
    for name in (*_FILES, MANIFEST):
        _fsync(folder / name)


def _fingerprint(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _owned(path: Path) -> None:
    """Raise unless ``path`` is a posterior folder bnnppl saved, holding nothing else."""
    where = f"path: {str(path)!r}"
    if not path.is_dir():
        raise FileExistsError(f"{where} is a file, not a saved posterior; bnnppl replaces only a "
                              "posterior folder it saved. Choose another path.")  # fmt: skip
    names = {p.name for p in path.iterdir()}
    try:
        owned = set(json.loads((path / MANIFEST).read_text())["files"]) | {MANIFEST}
    except (OSError, ValueError, KeyError, TypeError):
        owned = set(_FILES)  # saved before manifests: the five files and nothing more
    foreign = sorted(names - owned)
    if foreign or not set(_FILES) <= names:
        held = f"it holds {', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}" if foreign else (
            f"it lacks {', '.join(sorted(set(_FILES) - names))}")  # fmt: skip
        raise FileExistsError(
            f"{where} is not a posterior folder bnnppl saved ({held}); overwrite=True replaces only "
            "such a folder. Choose another path."
        )


def _check_manifest(path: Path) -> None:
    """Each file against ``manifest.json`` (folders saved before manifests are read unchecked)."""
    if not (path / MANIFEST).is_file():
        return
    try:
        files = json.loads((path / MANIFEST).read_text())["files"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"path: {MANIFEST} in {str(path)!r} is damaged; re-save the posterior or restore it."
        ) from None
    for name in _FILES:
        expected, got = files.get(name, {}), _fingerprint(path / name)
        if got["bytes"] != expected.get("bytes"):
            raise ValueError(
                f"path: {name} in {str(path)!r} is damaged ({got['bytes']} bytes, "
                f"{expected.get('bytes')} saved: truncated?); re-save the posterior or restore it."
            )
        if got["sha256"] != expected.get("sha256"):
            raise ValueError(
                f"path: {name} in {str(path)!r} is damaged (its checksum differs from the saved "
                "one); re-save the posterior or restore it."
            )


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("bnnppl", "jax", "numpyro", "flax", "arviz")}


def write(posterior: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``posterior`` to the folder ``path``, whole or not at all (filled under a hidden
    name, then renamed into place); returns the folder."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"path: {str(path)!r} exists; choose a new folder or pass overwrite=True.")
    if path.exists():
        _owned(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    tmp.mkdir()
    try:
        write_folder(posterior, tmp)
        _fsync(tmp)
        if path.exists():
            old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_bnn_fits(bnn: BNN, samples: Mapping[str, np.ndarray], n_features: int) -> None:
    shapes = bnn.param_shapes(n_features)
    for name, value in samples.items():
        if name.startswith("net."):
            path = name[len("net.") :]
            if path not in shapes or tuple(value.shape[2:]) != shapes[path]:
                got = shapes.get(path, "no such parameter")
                raise ValueError(
                    f"bnn: does not match the saved posterior: site {name!r} has shape "
                    f"{tuple(value.shape[2:])} in the file but {got} in this model."
                )


def read_folder(path: Path, bnn: BNN | None) -> dict[str, Any]:
    """The fields of the posterior saved in ``path`` (``Posterior(**fields)``); ``bnn``: the model
    to attach, or ``None`` to rebuild it from the saved spec."""
    import xarray as xr
    import yaml

    missing = [name for name in _FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"path: {str(path)!r} is not a saved bnnppl posterior (missing {', '.join(missing)})."
        )
    _check_manifest(path)
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"path: format {meta.get('format')!r} is not one this bnnppl reads ({FORMAT}).")
    bnn = _saved_bnn(yaml.safe_load((path / "model.yaml").read_text())) if bnn is None else bnn
    with xr.open_datatree(path / "posterior.nc", engine="h5netcdf") as tree:
        samples = {k: v.values.copy() for k, v in tree["posterior"].to_dataset().data_vars.items()}
    with np.load(path / "arrays.npz") as arrays:
        data = {k: arrays[k] for k in arrays.files}
    _check_bnn_fits(bnn, samples, int(meta["n_features"]))
    return {
        "bnn": bnn,
        "method": method_from_dict(yaml.safe_load((path / "method.yaml").read_text()), "method"),
        "samples": samples,
        "stats": _group(data, "stats"),
        "x": data["x"],
        "y": data["y"],
        "fixed": _group(data, "fixed"),
        "members": _group(data, "members"),
        "scaling": Scaling.from_arrays(scaling) if (scaling := _group(data, "scaling")) else None,
        "seed": int(meta["seed"]),
        "seconds": float(meta["seconds"]),
    }


def _group(data: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays saved as ``prefix/name``, by name."""
    return {k.split("/", 1)[1]: v for k, v in data.items() if k.startswith(f"{prefix}/")}


def _saved_bnn(model: dict[str, Any]) -> BNN:
    if "spec" not in model:
        raise ValueError(
            f"bnn: this posterior was fitted with your own flax module ({model['module']!r}), which a "
            "spec cannot describe; pass the same model: load(path, bnn=BNN.from_module(module, "
            "prior=..., likelihood=...))."
        )
    return BNN(ModelSpec.from_dict(model["spec"], "model"))
