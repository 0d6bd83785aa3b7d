"""Processes killed (SIGKILL) or interrupted (SIGINT) at several moments lose nothing and leave
nothing that looks finished: ``bnnppl run`` leaves complete run folders or no visible folder,
``bnnppl predict`` no output file, ``Posterior.save(path, overwrite=True)`` the old or the new
posterior, complete; the next run, predict or load cleans up or rolls back what the dead left.

The children start together (each imports JAX, seconds) and each is stopped by its own trigger:
a hidden folder appearing, or a flag file that a hook in the child writes at a chosen moment.
"""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

import bnnppl as bp
from bnnppl import _io
from bnnppl.cli import main
from bnnppl.runs import reader as RD
from bnnppl.runs import runner as R
from bnnppl.runs.config import RunConfig
from tiny_run import FILES, TINY

pytestmark = pytest.mark.slow

CONFIG = TINY | {"inference": {**TINY["inference"], "steps": 300, "draws": 20}}
NEW_SEED = 4242  # the posterior a killed save was writing: the old one has seed 0

# A child: installs the hook named by argv[2] (it writes argv[1], the flag file, when its moment
# comes, then waits to be killed), then runs the ``bnnppl`` command or a posterior save.
DRIVER = r"""
import dataclasses, os, pathlib, shutil, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even if started with it ignored
flag, hook, argv = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]

def reached():
    flag.write_text(hook)
    time.sleep(300)

def then_pause(function):
    def paused(*args, **kwargs):
        result = function(*args, **kwargs)
        reached()
        return result
    return paused

import bnnppl as bp
import bnnppl.results.saving as S
import bnnppl.runs.runner as R

if hook == "fitting":
    fit = R.fit
    def fitting(*args, **kwargs):
        flag.write_text(hook)
        return fit(*args, **kwargs)
    R.fit = fitting
elif hook == "writing":
    R._save_predictions = then_pause(R._save_predictions)
elif hook == "predict-writing":  # the CSV written to its temporary file, not yet renamed
    import bnnppl.runs.predicting as P
    atomic = P.atomic_write
    P.atomic_write = lambda path, write: atomic(path, then_pause(write))
elif hook == "filled":
    S.write_folder = then_pause(S.write_folder)
elif hook == "between-renames":
    rename = os.rename
    def between(src, dst):
        rename(src, dst)
        if str(dst).endswith(".old"):
            reached()
    os.rename = between
elif hook == "removing-old":
    rmtree = shutil.rmtree
    def removing(path, *args, **kwargs):
        if str(path).endswith(".trash"):
            reached()
        return rmtree(path, *args, **kwargs)
    shutil.rmtree = removing
if argv[0] == "save":
    dataclasses.replace(bp.load(argv[1]), seed=int(argv[3])).save(argv[2], overwrite=True)
else:
    from bnnppl.cli import main
    sys.exit(main(argv))
"""


def wait_for(condition, timeout=60.0, poll=0.003):
    """Poll ``condition()`` until it is true; ``False`` after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(poll)
    return False


def in_partial(out: Path, name: str, file: str):
    """Trigger: the hidden ``.partial`` folder of the run ``name`` in ``out`` holds ``file``."""
    return lambda s: any(out.glob(f".{name}.*.partial/{file}"))


class Scenario:
    """One child, stopped with ``sig`` when ``trigger(child)`` holds (or at once if it exited)."""

    def __init__(self, name, hook, argv, sig, trigger, tmp):
        self.name, self.sig, self.trigger = name, sig, trigger
        self.flag = tmp / f"flag-{name}"
        env = {**os.environ, "PYTHONHASHSEED": "0", "JAX_PLATFORMS": "cpu"}
        self.log = (tmp / f"log-{name}.txt").open("w")
        command = [sys.executable, "-c", DRIVER, str(self.flag), hook, *map(str, argv)]
        self.child = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.fired, self.start = False, time.monotonic()

    def play(self):
        # generous: eleven children import JAX at once, beside the other tests on two cores
        self.fired = wait_for(lambda: self.child.poll() is not None or self.trigger(self), timeout=400)
        self.fired = self.fired and self.child.poll() is None
        self.seconds = time.monotonic() - self.start
        if self.fired:
            self.child.send_signal(self.sig)
        try:
            self.child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        self.log.close()
        return self


def flagged(delay=0.0):
    return lambda s: s.flag.exists() and time.sleep(delay) is None


def after(seconds):
    start = time.monotonic()
    return lambda s: time.monotonic() - start > seconds


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fitted")
    return R.run(tiny(out, "fitted"), report=False).run_dir


def tiny(out, name):
    """The tiny config with 20 SVI steps (a second's fit in this process, compiled once)."""
    return RunConfig.from_dict(
        {**CONFIG, "inference": {**CONFIG["inference"], "steps": 20}, "output": str(out), "name": name}
    )


@pytest.fixture(scope="module")
def played(fitted, tmp_path_factory):
    """Every scenario, played at once; returns (scenarios by name, the folders they wrote to)."""
    tmp = tmp_path_factory.mktemp("kill")
    config = tmp / "tiny.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    out, pred, saves = tmp / "runs", tmp / "pred", tmp / "saves"
    pred.mkdir()
    saves.mkdir()
    (tmp / "in.csv").write_text("x0\n-0.5\n0.0\n0.5\n")
    old = bp.load(fitted / "posterior")
    run = ["run", config, "--out", out, "--no-report"]
    long = ["--set", "inference.steps=200000"]  # fitting lasts until the signal comes
    predict = ["predict", fitted, "--input", tmp / "in.csv", "--output"]
    specs = [
        ("run-kill-early", "none", run + ["--set", "name=early"], signal.SIGKILL, after(1.0)),
        ("run-kill-fitting", "fitting", run + long + ["--set", "name=fitk"], signal.SIGKILL, flagged(0.3)),
        ("run-kill-writing", "writing", run + ["--set", "name=writek"], signal.SIGKILL, flagged()),
        ("run-int-writing", "writing", run + ["--set", "name=writei"], signal.SIGINT, flagged()),
        ("run-kill-report", "none", ["run", config, "--out", out, "--set", "name=report"], signal.SIGKILL,
         in_partial(out, "report", "summary.csv")),  # the real command, killed as it starts the report
        ("predict-kill-early", "none", predict + [pred / "early.csv"], signal.SIGKILL, after(1.5)),
        ("predict-kill-writing", "predict-writing", predict + [pred / "k.csv"], signal.SIGKILL, flagged()),
        ("predict-int-writing", "predict-writing", predict + [pred / "i.csv"], signal.SIGINT, flagged()),
    ]  # fmt: skip
    for hook in ("filled", "between-renames", "removing-old"):  # SIGINT between them: test_run_folders.py
        path = old.save(saves / f"save-kill-{hook}")
        specs.append(
            (path.name, hook, ["save", fitted / "posterior", path, NEW_SEED], signal.SIGKILL, flagged())
        )
    scenarios = [Scenario(name, hook, argv, sig, trigger, tmp) for name, hook, argv, sig, trigger in specs]
    with ThreadPoolExecutor(len(scenarios)) as pool:
        done = {s.name: s for s in pool.map(Scenario.play, scenarios)}
    print({name: f"{s.seconds:.1f} s, exit {s.child.returncode}" for name, s in done.items()})
    return done, out, pred, saves, tmp


def test_every_scenario_was_stopped_by_its_signal(played):
    done = played[0]
    assert len(done) == 11
    for name, s in done.items():
        if name == "run-kill-report" and s.child.returncode == 0:
            continue  # the report was written between two polls: checked as a finished run
        log = Path(s.log.name).read_text()
        assert s.fired, f"{name}: exited with {s.child.returncode} before its signal:\n{log[-2000:]}"
        if s.sig == signal.SIGKILL:
            assert s.child.returncode == -signal.SIGKILL, f"{name}:\n{log[-2000:]}"
        else:  # KeyboardInterrupt: the traceback, then the exit by SIGINT
            assert s.child.returncode in (1, -signal.SIGINT) and "KeyboardInterrupt" in log, (
                f"{name}:\n{log[-2000:]}"
            )


def test_killed_runs_leave_complete_run_folders_or_none_and_the_next_run_cleans_up(played):
    out = played[1]
    if out.exists():
        for folder in out.iterdir():
            if folder.name.startswith("."):
                assert folder.name.endswith(".partial") and (folder / _io.MARKER).is_file(), folder
                continue
            expected = FILES + ["report.html"] if folder.name.startswith("report-") else FILES
            assert sorted(p.name for p in folder.iterdir()) == sorted(expected), folder
            assert folder.name.startswith("report-"), folder  # finished before its kill
            RD.open_run(folder)  # loads, and the manifest holds for every posterior file
        stale = list(out.glob(".*.partial"))
        assert any(p.name.startswith(".writek.") for p in stale)  # SIGKILL mid-write runs no cleanup
        assert not [p for p in stale if p.name.startswith(".writei.")]  # SIGINT cleans up
    result = R.run(tiny(out, "next"), report=False)
    assert sorted(p.name for p in result.run_dir.iterdir()) == FILES
    assert not list(out.glob(".*")), "a stale hidden folder of a killed run is left"


def test_a_killed_predict_leaves_no_output_and_the_next_one_removes_its_tmp(played, fitted, capsys):
    pred, tmp = played[2], played[4]
    assert not [p for p in pred.iterdir() if not p.name.startswith(".")]  # no visible output file
    assert [p.name.split(".")[1] for p in pred.iterdir()] == ["k"]  # SIGKILL mid-write: its hidden tmp
    for name in ("early", "k", "i"):
        output = pred / f"{name}.csv"
        assert main(["predict", str(fitted), "--input", str(tmp / "in.csv"), "--output", str(output)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in pred.iterdir()) == ["early.csv", "i.csv", "k.csv"]
    assert (pred / "k.csv").read_text().startswith("x0,mean,std,")


def test_a_killed_save_keeps_the_old_or_the_new_posterior_complete(played):
    saves = played[3]
    seeds = {}
    for path in sorted(p for p in saves.iterdir() if not p.name.startswith(".")) + [
        saves / "save-kill-between-renames"
    ]:
        seeds[path.name] = bp.load(path).seed  # rolls back a save killed between its renames
    assert seeds == {
        "save-kill-filled": 0,  # killed before replacing: the old one
        "save-kill-between-renames": 0,  # rolled back by load
        "save-kill-removing-old": NEW_SEED,  # replaced; the old one was being removed
    }
    fitted = bp.load(saves / "save-kill-filled")
    for name in seeds:  # the next save there removes the leftovers of the dead
        fitted.save(saves / name, overwrite=True)
    assert sorted(p.name for p in saves.iterdir()) == sorted(seeds)
