"""The saved-posterior folder: what ``Posterior.save`` writes and ``bnnppl.load`` reads.

A folder holds ``posterior.nc`` (the whole ArviZ ``DataTree`` of ``Posterior.to_arviz()`` as netCDF,
or with ``pointwise=False`` only its groups that do not grow with draws x rows: ``xarray.open_datatree``
or ``arviz.from_netcdf`` read it without bnnppl), ``arrays.npz`` (the training
data, the method's statistics, deterministic layers, ensemble members and the scaling), ``model.yaml``,
``method.yaml``, ``meta.json`` (shapes, seed, library versions) and, written last,
``manifest.json``: each file's size and SHA-256. The manifest says the folder is bnnppl's own
(``write`` replaces no other folder) and lets ``read_folder`` name a damaged file. ``write_folder``
fills a folder from a posterior's fields; ``read_folder`` returns the fields ``Posterior`` is
built from, so this module needs no ``Posterior``.

``write`` fills a hidden ``.{name}.{pid}-{hex}.tmp`` folder beside ``path`` and renames it into
place. Replacing a posterior takes two renames: the old folder to a hidden ``.{name}.{pid}-{hex}.old``,
then the new one to ``path``. A process killed between the two leaves ``path`` missing and the
previous posterior, complete, under the ``.old`` name: the next ``read_folder`` (``bnnppl.load``)
or ``write`` of ``path`` renames it back first (rolling the interrupted save back, as if it had
never started), and ``write`` removes the ``.tmp`` (and ``.trash``) folders of saves to ``path``
whose process on this host has ended. An ``.old`` folder beside an existing ``path`` is left
alone: it may be the only copy of a posterior.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bnnppl._io import fsync, own_sibling, rename_noreplace, stale_siblings
from bnnppl.model.bnn import BNN
from bnnppl.model.sites import F
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


def write_folder(posterior: Any, folder: Path, *, pointwise: bool = True) -> None:
    import yaml

    meta = {
        "format": FORMAT,
        "versions": versions(),
        "n_points": int(posterior.x.shape[0]),
        "n_features": int(posterior.x.shape[1]),
        "chains": posterior.num_chains,
        "draws": posterior.num_draws,
        "seed": posterior.seed,
        "seconds": posterior.seconds,
        "pointwise": pointwise,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    (folder / "model.yaml").write_text(yaml.safe_dump(_model_dict(posterior.bnn), sort_keys=False))
    (folder / "method.yaml").write_text(yaml.safe_dump(posterior.method.to_dict(), sort_keys=False))
    groups = {} if pointwise else dict(function=False, log_likelihood=False, predictive=False, prior=False)
    posterior.to_arviz(**groups).to_netcdf(folder / "posterior.nc", engine="h5netcdf")
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
        fsync(folder / name)


def _fingerprint(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _damaged(folder: Path, name: str, detail: str = "") -> ValueError:
    """The one-line error for a damaged file; ``file`` and ``problem`` let a caller reword it."""
    problem = f"is damaged{detail}"
    err = ValueError(f"path: {name} in {str(folder)!r} {problem}; re-save the posterior or restore it.")
    err.file, err.problem = folder / name, problem  # type: ignore[attr-defined]
    return err


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
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _damaged(path, MANIFEST) from None
    for name in _FILES:
        expected, got = files.get(name, {}), _fingerprint(path / name)
        if got["bytes"] != expected.get("bytes"):
            raise _damaged(path, name, f" ({got['bytes']} bytes, {expected.get('bytes')} saved: truncated?)")
        if got["sha256"] != expected.get("sha256"):
            raise _damaged(path, name, " (its checksum differs from the saved one)")


LIBRARIES = ("bnnppl", "jax", "numpyro", "flax", "arviz")


def versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """The installed version of each library in ``names`` (bnnppl's own stack by default).

    >>> sorted(versions())
    ['arviz', 'bnnppl', 'flax', 'jax', 'numpyro']
    """
    from importlib.metadata import version

    return {name: version(name) for name in names}


def write(posterior: Any, path: str | Path, *, overwrite: bool = False, pointwise: bool = True) -> Path:
    """Write ``posterior`` to the folder ``path``, whole or not at all (filled under a hidden
    name, fsynced, then renamed into place); returns the folder. A save to ``path`` that was killed
    is first rolled back and its leftovers removed (see the module docstring)."""
    path = folder_path(path)
    for name, value in (("overwrite", overwrite), ("pointwise", pointwise)):
        if not isinstance(value, bool):
            raise TypeError(f"{name}: must be True or False, got {value!r}.")
    recover(path)
    _remove_stale(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"path: {str(path)!r} exists; choose a new folder or pass overwrite=True.")
    if path.exists():
        _owned(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = own_sibling(path, "tmp")
    old = tmp.with_suffix(".old")
    tmp.mkdir()
    try:
        write_folder(posterior, tmp, pointwise=pointwise)
        fsync(tmp)
        if path.exists():
            os.rename(path, old)
        rename_noreplace(tmp, path)
    except BaseException:
        if os.path.lexists(old) and not os.path.lexists(path):
            os.rename(old, path)  # interrupted between the renames: the previous posterior stays
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if os.path.lexists(old):
        # garbage now; renamed first, so a kill while removing it leaves a .trash folder, not an .old one
        trash = tmp.with_suffix(".trash")
        os.rename(old, trash)
        shutil.rmtree(trash)
    fsync(path.parent)
    return path


def recover(path: Path) -> Path | None:
    """Roll back a save to ``path`` killed between its two renames: when ``path`` is missing and
    one ``.old`` folder of an ended process waits beside it, rename it back; returns that folder."""
    if os.path.lexists(path):
        return None
    old = stale_siblings(path, "old", folders=True)
    if len(old) != 1:
        return None
    try:
        rename_noreplace(old[0], path)
    except OSError:
        return None  # restored by another process meanwhile
    fsync(path.parent)
    return old[0]


def _remove_stale(path: Path) -> None:
    """Remove the unfinished (``.tmp``) and retired (``.trash``) folders of killed saves to ``path``."""
    for folder in (*stale_siblings(path, "tmp", folders=True), *stale_siblings(path, "trash", folders=True)):
        shutil.rmtree(folder, ignore_errors=True)


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


def folder_path(path: Any) -> Path:
    """``path`` (a ``str`` or ``os.PathLike``) as a ``Path``; anything else is a ``TypeError``.

    >>> folder_path(3)
    Traceback (most recent call last):
    ...
    TypeError: path: must be a folder path (str or os.PathLike), got 3.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise TypeError(f"path: must be a folder path (str or os.PathLike), got {path!r}.")
    return Path(path)


def read_folder(path: str | Path, bnn: BNN | None) -> dict[str, Any]:
    """The fields of the posterior saved in ``path`` (``Posterior(**fields)``); ``bnn``: the model
    to attach, or ``None`` to rebuild it from the saved spec. A missing ``path`` whose save was
    killed between its renames gets its previous posterior back first (``recover``). A missing or
    damaged file is a ``FileNotFoundError`` or ``ValueError`` naming it (attributes ``file``, the
    file's path, and ``problem``, e.g. ``"is missing"``)."""
    import xarray as xr

    path = folder_path(path)
    recover(path)
    if not path.is_dir():
        problem = "is a file, not a saved posterior folder" if path.exists() else "does not exist"
        err = FileNotFoundError(f"path: {str(path)!r} {problem}.")
        err.file, err.problem = path, problem  # type: ignore[attr-defined]
        raise err
    missing = [name for name in _FILES if not (path / name).is_file()]
    if missing:
        err = FileNotFoundError(
            f"path: {str(path)!r} is not a saved bnnppl posterior (missing {', '.join(missing)})."
        )
        err.file, err.problem = (path / missing[0], "is missing") if len(missing) == 1 else (  # type: ignore[attr-defined]
            path, f"is not a saved bnnppl posterior (missing {', '.join(missing)})")  # fmt: skip
        raise err
    _check_manifest(path)
    meta = _parse(path, "meta.json", lambda p: dict(json.loads(p.read_text())))
    if meta.get("format") != FORMAT:
        raise ValueError(f"path: format {meta.get('format')!r} is not one this bnnppl reads ({FORMAT}).")
    model = _parse(path, "model.yaml", _read_yaml)
    bnn = _saved_bnn(model) if bnn is None else bnn

    def read_samples(p: Path) -> dict[str, np.ndarray]:
        # only the posterior group: the other groups are for ArviZ (opening them all as a tree
        # took 0.4 s of a report's build); the network output f is drawn again from the weights
        with xr.open_dataset(p, engine="h5netcdf", group="posterior") as posterior:
            return {k: v.values.copy() for k, v in posterior.data_vars.items() if k != F}

    def read_arrays(p: Path) -> dict[str, np.ndarray]:
        with p.open("rb") as file, np.load(file) as arrays:  # closed on any error
            return {k: arrays[k] for k in arrays.files}

    samples, data = _parse(path, "posterior.nc", read_samples), _parse(path, "arrays.npz", read_arrays)
    _check_bnn_fits(bnn, samples, int(meta["n_features"]))
    return {
        "bnn": bnn,
        "method": method_from_dict(_parse(path, "method.yaml", _read_yaml), "method"),
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


def _parse(folder: Path, name: str, read: Any) -> Any:
    """``read(folder / name)``; a file that cannot be parsed (saved before manifests, or damaged
    the same way twice) is a ``ValueError`` naming it."""
    try:
        return read(folder / name)
    except Exception as err:  # noqa: BLE001 - netCDF, NPZ, JSON and YAML readers raise many kinds
        text = " ".join(str(err).split()) or type(err).__name__
        raise _damaged(folder, name, f" (cannot be read: {text})") from None


def _read_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text())


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
