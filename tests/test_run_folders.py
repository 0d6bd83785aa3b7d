"""Nothing lost, nothing silent: run folders appear whole under a free name, leftovers of killed
processes are removed only when bnnppl marked them and their process has ended, a save of a
posterior killed between its renames is rolled back, and a damaged file in a run folder is one
line naming it (from the Python functions and from the ``bnnppl`` command, exit code 2)."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

import bnnppl as bp
from bnnppl import _io
from bnnppl.cli import main
from bnnppl.results import saving
from bnnppl.runs import reader as RD
from bnnppl.runs import runner as R
from bnnppl.runs.config import ConfigError, RunConfig, dump_config
from tiny_run import FILES, TINY

FIX = "re-run the config to remake the run folder."
CONFIG = TINY | {"name": "demo"}


@pytest.fixture(scope="module")
def dead_pid():
    """The id of a process that has ended (not reused by the next one in the few seconds of a test)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    return R.run(RunConfig.from_dict({**CONFIG, "output": str(out)}), report=False).run_dir


@pytest.fixture
def run_dir(fitted, tmp_path):
    """A copy of the fitted run folder to damage."""
    return shutil.copytree(fitted, tmp_path / fitted.name)


def mark(folder, pid, host=None):
    folder.mkdir()
    (folder / _io.MARKER).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname()}))
    (folder / "config.yaml").write_text("half")
    return folder


# ---------------------------------------------------------------- files and run folders (no fit)


def test_atomic_write_fsyncs_then_renames_and_removes_only_stale_tmp_files_of_ended_processes(
    tmp_path, dead_pid, monkeypatch
):
    out = tmp_path / "out.csv"
    stale = tmp_path / f".out.csv.{dead_pid}-0123456789ab.tmp"
    stale.write_text("half a file")
    kept = [
        tmp_path / f".out.csv.{os.getpid()}-0123456789ab.tmp",  # a live process (this one) writes it
        tmp_path / ".out.csv.0123456789ab.tmp",  # another pattern: not ours to judge
        tmp_path / f".other.csv.{dead_pid}-0123456789ab.tmp",  # another file's
        tmp_path / "notes.txt",
    ]
    for path in kept:
        path.write_text("keep")
    (tmp_path / f".out.csv.{dead_pid}-ba9876543210.tmp").mkdir()  # a folder: never a tmp file of ours
    synced = []
    monkeypatch.setattr(_io, "fsync", lambda p: synced.append((p.name, out.exists())))
    assert _io.atomic_write(out, lambda p: p.write_text("a,b\n")) == out
    assert out.read_text() == "a,b\n"
    assert re.fullmatch(rf"\.out\.csv\.{os.getpid()}-[0-9a-f]{{12}}\.tmp", synced[0][0])
    assert synced == [
        (synced[0][0], False),
        (tmp_path.name, True),
    ]  # the file before the rename, then the folder
    assert not stale.exists() and all(p.read_text() == "keep" for p in kept)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, f".out.csv.{dead_pid}-ba9876543210.tmp", *(p.name for p in kept)]
    )


def test_a_run_folder_is_published_under_the_first_free_name_and_replaces_nothing(tmp_path, monkeypatch):
    stamp = "20260102-030405"
    (tmp_path / f"demo-{stamp}").mkdir()  # empty: a plain rename would replace it
    (tmp_path / f"demo-{stamp}-2").write_text("a user's file")
    tmp = _io.start_run_dir(tmp_path, "demo")
    assert re.fullmatch(r"\.demo\.[0-9a-f]{8}\.partial", tmp.name)
    assert json.loads((tmp / _io.MARKER).read_text())["pid"] == os.getpid()
    (tmp / "config.yaml").write_text("x: 1\n")
    assert _io.free_run_name(tmp_path, "demo", stamp) == f"demo-{stamp}-3"
    assert _io.publish_run_dir(tmp, tmp_path, "demo", stamp) == tmp_path / f"demo-{stamp}-3"
    assert [p.name for p in (tmp_path / f"demo-{stamp}-3").iterdir()] == ["config.yaml"]  # no marker
    assert list((tmp_path / f"demo-{stamp}").iterdir()) == []
    assert (tmp_path / f"demo-{stamp}-2").read_text() == "a user's file"
    monkeypatch.setattr(_io, "_RENAMEAT2", None)  # kernels without RENAME_NOREPLACE: checked, then renamed
    tmp = _io.start_run_dir(tmp_path, "demo")
    assert _io.publish_run_dir(tmp, tmp_path, "demo", stamp) == tmp_path / f"demo-{stamp}-4"
    assert list((tmp_path / f"demo-{stamp}").iterdir()) == []
    with pytest.raises(FileExistsError):
        _io.rename_noreplace(tmp_path / f"demo-{stamp}-4", tmp_path / f"demo-{stamp}")


def test_two_run_folders_published_in_one_second_get_two_names(tmp_path):
    stamp = _io.run_stamp()
    first = _io.publish_run_dir(_io.start_run_dir(tmp_path, "example"), tmp_path, "example", stamp)
    second = _io.publish_run_dir(_io.start_run_dir(tmp_path, "example"), tmp_path, "example", stamp)
    assert re.fullmatch(r"example-\d{8}-\d{6}", first.name) and first.is_dir()
    assert second == tmp_path / f"{first.name}-2" and second.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, second.name]  # no marker, no leftover


def test_only_marked_partial_folders_of_ended_processes_on_this_host_are_removed(tmp_path, dead_pid):
    stale = mark(tmp_path / ".demo.0123abcd.partial", dead_pid)
    kept = [
        mark(tmp_path / ".demo.live.partial", os.getpid()),
        mark(tmp_path / ".demo.away.partial", dead_pid, host="another-host"),
        tmp_path / ".demo.mine.partial",  # no marker: not bnnppl's to judge
        tmp_path / "demo-20260101-000000.partial",  # visible: never touched
    ]
    kept[2].mkdir()
    (kept[2] / "data.npz").write_bytes(b"user data")
    mark(kept[3], dead_pid)
    broken = tmp_path / ".demo.broken.partial"
    broken.mkdir()
    (broken / _io.MARKER).write_text("{not json")
    (tmp_path / ".demo.file.partial").write_text("a file")
    tmp = _io.start_run_dir(tmp_path, "demo")
    assert not stale.exists()
    assert all(p.is_dir() for p in kept) and (kept[2] / "data.npz").read_bytes() == b"user data"
    assert broken.is_dir() and (tmp_path / ".demo.file.partial").read_text() == "a file"
    assert _io.remove_stale_partials(tmp_path) == []  # the new one is this live process's
    assert tmp.is_dir()


# ---------------------------------------------------------------- a killed posterior save


def hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.slow
def test_a_save_killed_between_its_renames_is_rolled_back_by_load_and_by_the_next_save(
    fitted, tmp_path, dead_pid
):
    posterior = bp.load(fitted / "posterior")
    path = posterior.save(tmp_path / "fit")
    before = (path / "manifest.json").read_text()
    # the state a kill between the renames leaves: the old posterior hidden, the new one unpublished
    old = tmp_path / f".fit.{dead_pid}-0123456789ab.old"
    path.rename(old)
    new = shutil.copytree(old, tmp_path / f".fit.{dead_pid}-0123456789ab.tmp")
    (new / "manifest.json").unlink()  # incomplete
    assert bp.load(path).num_draws == posterior.num_draws  # the previous posterior, back in place
    assert (path / "manifest.json").read_text() == before and hidden(tmp_path) == [new.name]
    path.rename(old)
    with pytest.raises(FileExistsError, match=re.escape(f"path: {str(path)!r} exists; choose a new folder")):
        posterior.save(path)  # rolled back first: the folder exists, as before the killed save
    assert hidden(tmp_path) == []  # the unfinished save's folder removed
    # a kill while removing the replaced posterior: its .trash folder goes; an .old beside a
    # posterior may be the only copy of one: kept
    trash = shutil.copytree(path, tmp_path / f".fit.{dead_pid}-0123456789ab.trash")
    (trash / "posterior.nc").unlink()
    shutil.copytree(path, old)
    live = shutil.copytree(path, tmp_path / f".fit.{os.getpid()}-0123456789ab.tmp")  # a save under way
    assert posterior.save(path, overwrite=True) == path
    assert hidden(tmp_path) == sorted([old.name, live.name])


@pytest.mark.slow
def test_a_save_interrupted_between_its_renames_puts_the_old_posterior_back(fitted, tmp_path, monkeypatch):
    posterior = bp.load(fitted / "posterior")
    path = posterior.save(tmp_path / "fit")
    before = (path / "manifest.json").read_text()

    def interrupt(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(saving, "rename_noreplace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        posterior.save(path, overwrite=True)
    assert (path / "manifest.json").read_text() == before and hidden(tmp_path) == []


# ---------------------------------------------------------------- a run, and damaged run folders


@pytest.mark.slow
def test_run_publishes_a_free_name_and_removes_only_its_own_stale_leftovers(tmp_path, monkeypatch, dead_pid):
    monkeypatch.setattr(_io, "run_stamp", lambda: "20260102-030405")
    (tmp_path / "demo-20260102-030405").mkdir()
    stale = mark(tmp_path / ".demo.0123abcd.partial", dead_pid)
    unmarked = tmp_path / ".demo.mine.partial"
    unmarked.mkdir()
    result = R.run(RunConfig.from_dict({**CONFIG, "output": str(tmp_path)}), report=False)
    assert result.run_dir == tmp_path / "demo-20260102-030405-2"
    assert sorted(p.name for p in result.run_dir.iterdir()) == FILES
    assert list((tmp_path / "demo-20260102-030405").iterdir()) == []
    assert not stale.exists() and unmarked.is_dir()


def truncate(path):
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    return size // 2, size


def other_model(run):
    config = RD.read_config(run)
    model = config.model.to_dict()
    model["network"]["hidden"] = [4]
    (run / "config.yaml").write_text(dump_config(RunConfig.from_dict({**config.to_dict(), "model": model})))


DAMAGED = {
    # name: (damage(run) -> format arguments, function, message with {run} and the damage's values)
    "posterior.nc-truncated": (lambda r: truncate(r / "posterior" / "posterior.nc"), RD.open_run,
        "{run}/posterior/posterior.nc is damaged ({0} bytes, {1} saved: truncated?); " + FIX),
    "posterior.nc-missing": (lambda r: (r / "posterior" / "posterior.nc").unlink(), RD.open_run,
        "{run}/posterior/posterior.nc is missing; " + FIX),
    "arrays.npz-truncated": (lambda r: truncate(r / "posterior" / "arrays.npz"), RD.open_run,
        "{run}/posterior/arrays.npz is damaged ({0} bytes, {1} saved: truncated?); " + FIX),
    "arrays.npz-truncated-no-manifest": (
        lambda r: ((r / "posterior" / "manifest.json").unlink(), truncate(r / "posterior" / "arrays.npz")),
        RD.open_run, "{run}/posterior/arrays.npz is damaged (cannot be read: File is not a zip file); " + FIX),
    "meta.json-truncated": (lambda r: truncate(r / "posterior" / "meta.json"), RD.open_run,
        "{run}/posterior/meta.json is damaged ({0} bytes, {1} saved: truncated?); " + FIX),
    "meta.json-missing": (lambda r: (r / "posterior" / "meta.json").unlink(), RD.open_run,
        "{run}/posterior/meta.json is missing; " + FIX),
    "posterior-empty": (lambda r: [p.unlink() for p in (r / "posterior").iterdir()], RD.open_run,
        "{run}/posterior is not a saved bnnppl posterior (missing meta.json, model.yaml, method.yaml, "
        "posterior.nc, arrays.npz); " + FIX),
    "config.yaml-syntax": (lambda r: (r / "config.yaml").write_text("data: [sine\n"), RD.read_config,
        "{run}/config.yaml is damaged (malformed YAML at line 2, column 1: expected ',' or ']', but got "
        "'<stream end>'); " + FIX),
    "config.yaml-empty": (lambda r: (r / "config.yaml").write_text(""), RD.open_run,
        "{run}/config.yaml is damaged (empty); " + FIX),
    "config.yaml-list": (lambda r: (r / "config.yaml").write_text("- data\n"), RD.read_config,
        "{run}/config.yaml is damaged (not a mapping of config fields); " + FIX),
    "config.yaml-field": (lambda r: (r / "config.yaml").write_text(
        re.sub("(?m)^seed: 0$", "seed: -1", (r / "config.yaml").read_text())), RD.read_config,
        "{run}/config.yaml is damaged (seed: must be >= 0, got -1); " + FIX),
    "data.npz-truncated": (lambda r: truncate(r / "data.npz"), RD.load_data,
        "{run}/data.npz is damaged (not a readable NPZ: File is not a zip file); " + FIX),
    "data.npz-missing": (lambda r: (r / "data.npz").unlink(), RD.load_data, "{run}/data.npz is missing; " + FIX),
    "diagnostics.json-broken": (lambda r: (r / "diagnostics.json").write_text('{"final": '), RD.read_check,
        "{run}/diagnostics.json is damaged (not valid JSON: Expecting value: line 1 column 11 (char 10)); " + FIX),
    "diagnostics.json-value": (lambda r: (r / "diagnostics.json").write_text('{"final": "low", "change": 0}'),
        RD.read_check, "{run}/diagnostics.json is damaged (final is 'low', not a number); " + FIX),
    "metrics.json-empty": (lambda r: (r / "metrics.json").write_text(""), RD.read_metrics,
        "{run}/metrics.json is damaged (not valid JSON: Expecting value: line 1 column 1 (char 0)); " + FIX),
    "metrics.json-list": (lambda r: (r / "metrics.json").write_text("[]"), RD.read_metrics,
        "{run}/metrics.json is damaged (not a JSON object); " + FIX),
    "metrics.json-no-train": (lambda r: (r / "metrics.json").write_text('{"test": {}}'), RD.read_metrics,
        "{run}/metrics.json is damaged (no train metrics); " + FIX),
    "other-model": (other_model, RD.open_run,
        "{run}/posterior: was saved from a different model than {run}/config.yaml describes; put the "
        "run's own posterior back or " + FIX),
}  # fmt: skip


def damage(run, name):
    values = DAMAGED[name][0](run)
    return DAMAGED[name][2].format(
        *(values if isinstance(values, tuple) and len(values) == 2 else ()), run=run
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_run_folder_file_is_one_line_naming_it(run_dir, name):
    message = damage(run_dir, name)
    assert "\n" not in message
    with pytest.raises(ConfigError) as err:
        DAMAGED[name][1](run_dir)
    assert str(err.value) == message


CLI_CASES = [
    ("report", "posterior.nc-truncated"),
    ("predict", "posterior.nc-truncated"),
    ("predict", "arrays.npz-truncated-no-manifest"),
    ("report", "meta.json-missing"),
    ("report", "config.yaml-syntax"),
    ("predict", "config.yaml-list"),
    ("predict", "data.npz-truncated"),
    ("report", "diagnostics.json-broken"),
    ("report", "metrics.json-no-train"),
    ("predict", "other-model"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "name"), CLI_CASES)
def test_the_command_says_which_run_folder_file_is_damaged_and_writes_nothing(
    run_dir, tmp_path, capsys, command, name
):
    (tmp_path / "in.csv").write_text("x0\n0.5\n")
    out = tmp_path / "out.csv"
    message = damage(run_dir, name)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    argv = ["report", str(run_dir)] if command == "report" else (
        ["predict", str(run_dir), "--input", str(tmp_path / "in.csv"), "--output", str(out)])  # fmt: skip
    assert main(argv) == 2
    assert capsys.readouterr() == ("", f"bnnppl: error: {message}\n")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.slow
def test_an_intact_run_folder_reads_back(fitted):
    config, posterior, data = RD.open_run(fitted)
    assert posterior.bnn.spec == config.model and np.array_equal(posterior.x, data.x)
    assert set(RD.read_metrics(fitted)) == {"train", "test", "fit_seconds"}
