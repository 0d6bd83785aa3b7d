"""Run configs: YAML -> RunConfig -> YAML round trips, strict keys, field paths, data files."""

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from bnnppl import MCLMC, NUTS, SVI, datasets
from bnnppl.runs.config import ConfigError, DataConfig, RunConfig, apply_overrides, dump_config, load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if p.name != "example_model.yaml")

TINY = {
    "data": {"name": "sine", "params": {"n": 20}},
    "model": {"network": {"hidden": [3]}, "likelihood": {"family": "gaussian", "noise": 0.1}},
    "inference": {"method": "svi", "steps": 10, "draws": 5},
}


def write(tmp_path, data, name="c.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def test_there_is_one_config_per_seed_experiment():
    assert [p.stem for p in CONFIGS] == [
        "box_hmc", "heteroscedastic", "heteroscedastic_last_layer", "heteroscedastic_lv", "langevin_curve",
        "moons_advi", "moons_minibatch_advi", "sine_csv", "sine_last_layer_nuts", "sine_mclmc", "sine_nuts",
        "sine_nuts_ensemble", "sine_sgld", "sine_smc_data", "sine_smc_tempering", "sine_svi", "spiral_svi",
    ]  # fmt: skip


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_round_trips_and_loads_its_data(path, tmp_path):
    config = load_config(path)
    assert config.name == path.stem
    again = load_config(write(tmp_path, dump_config(config)))
    assert again == config  # the written name is kept, not replaced by the new file's stem
    data = config.data.load(path.parent)
    assert data.x.shape[0] == len(data.y)
    assert data.x.dtype == (np.float32 if config.data.name else np.float64)  # built-in sets, or files as read


def test_seed_experiments_use_the_methods_they_name():
    by_name = {p.stem: load_config(p) for p in CONFIGS}
    assert by_name["sine_nuts"].inference == NUTS(chains=2, warmup=1000, samples=1000, target_accept=0.95)
    assert isinstance(by_name["sine_svi"].inference, SVI)
    hmc = by_name["box_hmc"].inference
    assert (hmc.step_size, hmc.num_steps) == (0.05, 4)
    assert by_name["moons_minibatch_advi"].inference.subsample_size == 50
    assert by_name["box_hmc"].data.params == (("n", 80), ("seed", 0))
    assert by_name["sine_mclmc"].inference == MCLMC(chains=8, warmup=1000, samples=500, init_steps=2000)
    ensemble = by_name["sine_nuts_ensemble"].inference
    assert (ensemble.chains, ensemble.init, ensemble.init_holdout) == (8, "ensemble", 0.1)
    assert by_name["spiral_svi"].task == "classification" and by_name["sine_nuts"].task == "regression"


def test_defaults_are_written_out_and_read_back():
    config = RunConfig.from_dict(TINY)
    out = config.to_dict()
    assert out["seed"] == 0 and out["output"] == "runs"
    assert out["data"] == {
        "name": "sine", "params": {"n": 20}, "test_fraction": 0.25, "split_seed": 0, "scale": True,
    }  # fmt: skip
    assert out["inference"]["method"] == "svi" and out["inference"]["learning_rate"] == 0.01
    assert RunConfig.from_dict(yaml.safe_load(dump_config(config))) == config


@pytest.mark.parametrize(
    "change, message",
    [
        ({"modle": {}}, "modle: unknown key. Did you mean 'model'? Valid keys: 'data', 'inference', 'model', 'name', 'output', 'seed'."),
        ({"model": None}, "model: is required."),
        ({"seed": -1}, "seed: must be >= 0, got -1."),
        ({"seed": 1.5}, "seed: must be an integer, got 1.5."),
        ({"output": ""}, "output: must be a non-empty string, got ''."),
        ({"name": "a/b"}, "name: must be a plain folder name (no '/' or '\\', not starting with '.'), got 'a/b'."),
        ({"model": {**TINY["model"], "prior": {"scale": -1}}}, "model.prior.scale: must be > 0, got -1."),
        ({"model": {**TINY["model"], "network": {"hiden": [3]}}}, "model.network.hiden: unknown key. Did you mean 'hidden'?"),
        ({"inference": {"method": "nust"}}, "inference.method: unknown inference method 'nust'. Did you mean 'nuts'?"),
        ({"inference": {"method": "svi", "steps": 0}}, "inference.steps: must be >= 1, got 0."),
        ({"data": {"name": "moon"}}, "data.name: unknown data set 'moon'. Did you mean 'moons'?"),
        ({"data": {"name": "moons", "params": {"nosie": 0.1}}}, "data.params.nosie: unknown key. Did you mean 'noise'? Valid keys: 'n', 'noise', 'scaled', 'seed'."),
        ({"data": {"name": "sine", "train": "a.csv"}}, "data: give either name (a built-in data set) or train (a file), not both."),
        ({"data": {"test_fraction": 0.2}}, "data: give either name (a built-in data set) or train (a file), got neither."),
        ({"data": {"name": "sine", "test_fraction": 1}}, "data.test_fraction: must be in [0, 1), got 1."),
        ({"data": {"name": "sine", "x_columns": ["a"]}}, "data.x_columns: is for data files; a built-in data set has none."),
        ({"data": {"train": "a.txt"}}, "data.train: must be a .csv or .npz file path, got 'a.txt'."),
        ({"data": {"train": "a.npz", "y_column": "t"}}, "data.x_columns: is for CSV files; an NPZ file holds arrays x and y."),
        ({"data": {"train": "a.csv", "test": "b.csv", "test_fraction": 0.1}}, "data.test_fraction: has no use with a test file; drop one of them."),
    ],
)  # fmt: skip
def test_bad_fields_name_their_full_path(change, message):
    data = {**TINY, **change}
    if change.get("model", 1) is None:
        del data["model"]
    with pytest.raises((ValueError, TypeError), match="^" + re.escape(message)):
        RunConfig.from_dict(data)


def test_data_parameter_values_are_checked_when_the_data_load():
    config = RunConfig.from_dict({**TINY, "data": {"name": "moons", "params": {"noise": -1}}})
    with pytest.raises(ValueError, match=re.escape("data.params.noise: must be >= 0, got -1.")):
        config.data.load()


def test_malformed_yaml_gives_file_line_and_column(tmp_path):
    path = write(tmp_path, "data:\n  name: sine\nmodel: [1, 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}:4:1: malformed YAML: expected ',' or ']', but got '<stream end>'."


def test_duplicate_keys_are_refused(tmp_path):
    path = write(tmp_path, "seed: 1\nseed: 2\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:2:1: malformed YAML: duplicate key 'seed'.")):
        load_config(path)


def test_missing_file_and_non_mapping_documents(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(f"{tmp_path / 'nope.yaml'}: no such file.")):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=re.escape(": must hold a mapping with data, model and inference; got [1, 2].")):
        load_config(write(tmp_path, "[1, 2]\n"))


def test_load_config_prefixes_the_file(tmp_path):
    path = write(tmp_path, {**TINY, "seed": -3})
    with pytest.raises(ConfigError, match=re.escape(f"{path}: seed: must be >= 0, got -3.")):
        load_config(path)


def test_overrides_set_nested_values_read_as_yaml(tmp_path):
    path = write(tmp_path, TINY)
    config = load_config(path, ["inference.steps=500", "model.network.hidden=[4, 4]", "data.params.noise=0.3"])
    assert config.inference.steps == 500
    assert config.model.network.hidden == (4, 4)
    assert dict(config.data.params)["noise"] == 0.3
    assert TINY["inference"]["steps"] == 10  # the input is not changed


@pytest.mark.parametrize(
    "item, message",
    [
        ("inference.steps", "--set 'inference.steps': expected key.path=value, e.g. inference.steps=500."),
        ("inference..steps=1", "--set 'inference..steps=1': expected key.path=value, e.g. inference.steps=500."),
        ("seed.x=1", "--set 'seed.x=1': seed is not a mapping (it is 0)."),
        ("seed=[1", "--set 'seed=[1': the value is not valid YAML."),
    ],
)
def test_bad_overrides(item, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        apply_overrides({**TINY, "seed": 0}, [item])


def test_an_override_to_an_unknown_key_is_caught_by_the_config(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("inference.stpes: unknown key. Did you mean 'steps'?")):
        load_config(write(tmp_path, TINY), ["inference.stpes=5"])


def test_split_is_seeded_disjoint_and_complete():
    cfg = DataConfig(name="sine", params={"n": 40}, test_fraction=0.25, split_seed=3)
    data = cfg.load()
    x, y = datasets.sine_regression(n=40)
    assert data.x.shape == (30, 1) and data.x_test.shape == (10, 1)
    rows = np.concatenate([data.x[:, 0], data.x_test[:, 0]])
    np.testing.assert_array_equal(np.sort(rows), np.sort(x[:, 0]))
    np.testing.assert_array_equal(cfg.load().x_test, data.x_test)
    assert not np.array_equal(DataConfig(name="sine", params={"n": 40}, split_seed=4).load().x_test, data.x_test)
    assert DataConfig(name="sine", params={"n": 40}, test_fraction=0).load().x_test is None
    with pytest.raises(ValueError, match=re.escape("data.test_fraction: leaves 0 of 3 rows for testing; need at least 1 and at most 2.")):
        DataConfig(name="sine", params={"n": 3}, test_fraction=0.1).load()


def test_csv_files_with_named_columns(tmp_path):
    (tmp_path / "train.csv").write_text("a,b,t\n1,2,0.5\n3,4,1.5\n5,6,2.5\n")
    (tmp_path / "test.csv").write_text("a,b,t\n7,8,3.5\n")
    data = DataConfig(train="train.csv", test="test.csv").load(tmp_path)
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(data.y, [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(data.x_test, [[7, 8]])
    assert data.columns == ["a", "b"] and data.target == "t"
    picked = DataConfig(train="train.csv", x_columns=["b"], y_column="a", test_fraction=0).load(tmp_path)
    np.testing.assert_array_equal(picked.x, [[2], [4], [6]])
    np.testing.assert_array_equal(picked.y, [1, 3, 5])


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,t\n1,2\n3,\n", "data.train: train.csv line 3, column 't': missing value."),
        ("a,t\n1,2\nx,3\n", "data.train: train.csv line 3, column 'a': not a number: 'x'."),
        ("a,t\n1,2\n3,nan\n", "data.train: train.csv line 3, column 't': not finite: 'nan'."),
        ("a,t\n1,2,3\n", "data.train: train.csv line 2: 3 values, the header has 2."),
        ("a,t\n", "data.train: train.csv has a header but no data rows."),
        ("", "data.train: train.csv is empty; it needs a header row and data rows."),
    ],
)
def test_bad_csv_files(tmp_path, text, message):
    (tmp_path / "train.csv").write_text(text)
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        DataConfig(train="train.csv").load(tmp_path)


def test_missing_files_and_columns(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(f"data.train: no such file: '{tmp_path / 'train.csv'}'.")):
        DataConfig(train="train.csv").load(tmp_path)
    (tmp_path / "train.csv").write_text("a,t\n1,2\n3,4\n")
    with pytest.raises(ValueError, match=re.escape("data.train: has no column 'z' (data.y_column); its columns: a, t.")):
        DataConfig(train="train.csv", y_column="z").load(tmp_path)
    (tmp_path / "test.csv").write_text("b,t\n1,2\n")
    with pytest.raises(ValueError, match=re.escape("data.test: has input columns ['b'], the train file ['a'].")):
        DataConfig(train="train.csv", test="test.csv").load(tmp_path)


def test_npz_files(tmp_path):
    x, y = np.arange(8.0).reshape(4, 2), np.arange(4.0)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    data = DataConfig(train="d.npz", test_fraction=0).load(tmp_path)
    np.testing.assert_array_equal(data.x, x)
    assert data.columns == ["x0", "x1"]
    np.savez(tmp_path / "bad.npz", x=x)
    with pytest.raises(ValueError, match=re.escape("data.train: needs arrays 'x' and 'y'; ")):
        DataConfig(train="bad.npz").load(tmp_path)


def test_csv_columns_not_used_may_hold_text(tmp_path):
    (tmp_path / "train.csv").write_text("id,a,t\nfirst,1,2\nsecond,3,4\n")
    data = DataConfig(train="train.csv", x_columns=["a"], test_fraction=0).load(tmp_path)
    np.testing.assert_array_equal(data.x, [[1], [3]])
    np.testing.assert_array_equal(data.y, [2, 4])
    with pytest.raises(ConfigError, match=re.escape("data.train: train.csv line 2, column 'id': not a number: 'first'.")):
        DataConfig(train="train.csv", test_fraction=0).load(tmp_path)  # by default every other column is an input
