"""Mistakes found before any fitting or tracing, with one line naming the field, the bad value and
what is allowed: run names, seeds, minibatch sizes larger than the data, an output folder that is
a file, absurd data-set sizes, the command's own options, and YAML merge keys (valid, accepted)."""

import re
import textwrap

import numpy as np
import pytest
import yaml

import bnnppl as bp
from bnnppl.cli import main
from bnnppl.results import log_likelihood
from bnnppl.runs.config import ConfigError, RunConfig, check_output, load_config
from compile_events import EVENTS, TRACE
from tiny_run import TINY

BASE = TINY | {"name": "demo"}


def _config(tmp_path, **changes):
    data = yaml.safe_load(yaml.safe_dump(BASE)) | {"output": str(tmp_path / "runs")}
    for key, value in changes.items():
        node, *path = key.split("__")
        target = data
        for part in [node, *path][:-1]:
            target = target.setdefault(part, {})
        target[[node, *path][-1]] = value
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "a" * 300}, "name: must be at most 200 bytes long (the run folder adds a time stamp), got "
         "'aaaaaaaaaaaaaaaaaaaa'... (300 bytes)."),
        ({"name": "é" * 101}, "name: must be at most 200 bytes long (the run folder adds a time stamp), got "
         "'éééééééééééééééééééé'... (202 bytes)."),
        ({"name": "a\x00b"}, "name: must not hold control characters, got 'a\\x00b'."),
        ({"name": "a\\b"}, "name: must be a plain folder name (no '/' or '\\', not starting with '.'), "
         "got 'a\\\\b'."),
        ({"name": ".hidden"}, "name: must be a plain folder name (no '/' or '\\', not starting with '.'), "
         "got '.hidden'."),
        ({"output": "runs\nx"}, "output: must not hold control characters, got 'runs\\nx'."),
        ({"seed": 2**32}, "seed: must be <= 4294967295, got 4294967296."),
        ({"seed": -1}, "seed: must be >= 0, got -1."),
        ({"seed": 1.5}, "seed: must be an integer, got 1.5."),
        # the data's own parameters are checked as the data load, still before any fit
        ({"data__params__n": 10**12}, "data.params.n: must be <= 1000000, got 1000000000000."),
        ({"data__params__seed": 2**40}, "data.params.seed: must be <= 4294967295, got 1099511627776."),
    ],
)  # fmt: skip
def test_config_values_checked_before_anything_runs(change, message, tmp_path, capsys):
    path = _config(tmp_path, **change)
    if not message.startswith("data."):
        message = f"{path}: {message}"
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"bnnppl: error: {message}\n"
    assert main(["run", str(path)]) == 2
    assert capsys.readouterr().err == f"bnnppl: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.yaml"]  # nothing written


@pytest.mark.parametrize(
    ("inference", "message"),
    [
        ({"method": "svi", "steps": 5, "subsample_size": 100, "elbo": "alpha", "num_particles": 2},
         "inference.subsample_size: is 100 but the data have 18 rows; use at most that many."),
        ({"method": "sgld", "batch_size": 19, "samples": 5, "burnin": 5},
         "inference.batch_size: is 19 but the data have 18 rows; use at most that many."),
        ({"method": "sghmc", "batch_size": 50, "samples": 5, "burnin": 5},
         "inference.batch_size: is 50 but the data have 18 rows; use at most that many."),
        ({"method": "nuts", "init": "ensemble", "init_holdout": 0.01, "chains": 2},
         "inference.init_holdout: 0.01 of 18 rows holds out 0; it must leave at least one row on each "
         "side: use a larger fraction, or 0 for no hold-out."),
    ],
)  # fmt: skip
def test_sizes_that_depend_on_the_data_are_checked_by_validate(inference, message, tmp_path, capsys):
    path = _config(tmp_path, inference=inference)
    assert main(["validate", str(path)]) == 2, "validate runs every check run makes before fitting"
    assert capsys.readouterr().err == f"bnnppl: error: {message}\n"
    assert main(["run", str(path)]) == 2
    assert capsys.readouterr().err == f"bnnppl: error: {message}\n"
    assert not (tmp_path / "runs").exists()


def test_an_output_folder_that_is_a_file_is_refused_before_the_fit(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    for output, what in [
        ("notes.txt", "is a file"),
        ("notes.txt/runs", f"lies inside {str(tmp_path / 'notes.txt')!r}, which is a file"),
    ]:
        path = _config(tmp_path, output=str(tmp_path / output))
        for command in ("validate", "run"):
            assert main([command, str(path)]) == 2
            assert capsys.readouterr().err == (
                f"bnnppl: error: output: {str(tmp_path / output)!r} {what}; name a folder for the run "
                "folders (made if missing).\n"
            )
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert check_output(tmp_path / "new" / "runs") == tmp_path / "new" / "runs"
    assert not (tmp_path / "new").exists()  # checking makes nothing


def test_seeds_of_the_python_functions_are_checked_before_tracing(xy):
    x, y = xy
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)), likelihood=bp.Gaussian(noise=0.1)))
    method = bp.SVI(steps=5, draws=4)
    cases = [
        (2**32, ValueError, "seed: must be <= 4294967295, got 4294967296."),
        (-3, ValueError, "seed: must be >= 0, got -3."),
        (1.0, TypeError, "seed: must be an integer, got 1.0."),
        ("0", TypeError, "seed: must be an integer, got '0'."),
    ]
    for seed, kind, message in cases:

        def bad_fit(seed=seed, kind=kind, message=message):
            with pytest.raises(kind, match=f"^{re.escape(message)}$"):
                bp.fit(bnn, x, y, method, seed=seed)

        assert EVENTS.count(bad_fit)[TRACE] == 0
    posterior = bp.fit(bnn, x, y, method, seed=np.int64(2**32 - 1))  # NumPy integers are seeds too
    for seed, kind, message in cases:
        with pytest.raises(kind, match=f"^{re.escape(message)}$"):
            bp.predict(posterior, x, seed=seed)
        with pytest.raises(kind, match=f"^{re.escape(message)}$"):
            log_likelihood(posterior, x, y, seed=seed)


def test_minibatch_larger_than_the_data_is_refused_by_fit_before_tracing(xy):
    x, y = xy
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)), likelihood=bp.Gaussian(noise=0.1)))

    def bad():
        with pytest.raises(ValueError, match=re.escape(
            f"SGHMC.batch_size: is {len(x) + 1} but the data have {len(x)} rows; use at most that many."
        )):  # fmt: skip
            bp.fit(bnn, x, y, bp.SGHMC(batch_size=len(x) + 1, samples=5, burnin=5))

    assert EVENTS.count(bad)[TRACE] == 0


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["example", "--seed", "-1"],
         "bnnppl example: error: argument --seed: must be from 0 to 4294967295, got -1 "
         "(see bnnppl example --help)"),
        (["example", "--seed", "1e3"],
         "bnnppl example: error: argument --seed: must be a whole number, got '1e3' (see bnnppl example --help)"),
        (["predict", "run", "--input", "a.csv", "--output", "b.csv", "--seed", "4294967296"],
         "bnnppl predict: error: argument --seed: must be from 0 to 4294967295, got 4294967296 "
         "(see bnnppl predict --help)"),
        (["bench", "uci", "--data-dir", "d", "--seed", "x"],
         "bnnppl bench uci: error: argument --seed: must be a whole number, got 'x' (see bnnppl bench uci --help)"),
        (["run"], "bnnppl run: error: the following arguments are required: config (see bnnppl run --help)"),
        (["validate", "--set", "seed=1", "a=2"],
         "bnnppl validate: error: the following arguments are required: config (see bnnppl validate --help)"),
        (["predict", "run"], "bnnppl predict: error: the following arguments are required: --input, --output "
         "(see bnnppl predict --help)"),
        (["validate", "a.yaml", "--frob"], "bnnppl: error: unrecognized arguments: --frob (see bnnppl --help)"),
    ],
)  # fmt: skip
def test_the_commands_own_options_fail_in_one_line(args, line, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == line + "\n"


def test_example_refuses_an_output_that_is_a_file_before_fitting(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["example", "--out", str(tmp_path / "notes.txt")]) == 2
    assert capsys.readouterr().err == (
        f"bnnppl: error: --out: {str(tmp_path / 'notes.txt')!r} is a file; name a folder for the run "
        "folders (made if missing).\n"
    )
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_yaml_merge_keys_are_read_and_duplicates_still_refused(tmp_path):
    merged = tmp_path / "merged.yaml"
    merged.write_text(
        textwrap.dedent("""\
        data: {name: sine, params: &small {n: 24, noise: 0.2}}
        model:
          network: &net {hidden: [3], activation: relu}
          likelihood: {family: gaussian, noise: 0.1}
        inference:
          <<: {method: svi, steps: 50, draws: 10}
          steps: 20
        name: demo
    """)
    )
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(
        BASE | {"data": {"name": "sine", "params": {"n": 24, "noise": 0.2}},
                "model": {"network": {"hidden": [3], "activation": "relu"},
                          "likelihood": {"family": "gaussian", "noise": 0.1}}}
    ))  # fmt: skip
    config = load_config(merged)
    assert config == RunConfig.from_dict(yaml.safe_load(plain.read_text()))
    assert config.inference.steps == 20  # the mapping's own key wins over the merged one

    twice = tmp_path / "twice.yaml"
    twice.write_text("seed: 1\nseed: 2\n")
    with pytest.raises(ConfigError, match=re.escape(f"{twice}:2:1: malformed YAML: duplicate key 'seed'.")):
        load_config(twice)


def test_save_load_and_predict_arguments_are_checked_by_bnnppl(xy, tmp_path):
    x, y = xy
    bnn = bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)), likelihood=bp.Gaussian(noise=0.1)))
    posterior = bp.fit(bnn, x, y, bp.SVI(steps=5, draws=4))
    (tmp_path / "notes.txt").write_text("mine")
    cases = [
        (lambda: bp.load(123), TypeError, "path: must be a folder path (str or os.PathLike), got 123."),
        (lambda: posterior.save(None), TypeError, "path: must be a folder path (str or os.PathLike), got None."),
        (lambda: posterior.save(tmp_path / "p", overwrite="yes"), TypeError,
         "overwrite: must be True or False, got 'yes'."),
        (lambda: bp.load(tmp_path / "nothing"), FileNotFoundError,
         f"path: {str(tmp_path / 'nothing')!r} does not exist."),
        (lambda: bp.load(tmp_path / "notes.txt"), FileNotFoundError,
         f"path: {str(tmp_path / 'notes.txt')!r} is a file, not a saved posterior folder."),
        (lambda: bp.predict(posterior, x, keep_samples="yes"), TypeError,
         "keep_samples: must be True, False or None, got 'yes'."),
    ]  # fmt: skip
    for call, kind, message in cases:
        with pytest.raises(kind, match=f"^{re.escape(message)}$"):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written
