"""Property-based checks of the one rule for user mistakes (hypothesis, derandomized: the same
cases every run). Whatever is generated, a bad config, CSV or spec argument gives one line naming
the field, from bnnppl's own code: the command exits 2 with ``bnnppl: error: ...`` on one line and
writes nothing, and Python raises ``ValueError`` / ``TypeError`` raised inside bnnppl. Nothing is
fitted here: ``validate`` and ``run`` stop at the first mistake, before any fit.

The counts of generated cases are the ``max_examples`` below (pytest's
``--hypothesis-show-statistics`` prints them per test).
"""

import dataclasses
import re
import tempfile
import traceback
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import bnnppl as bp
import bnnppl.spec as specs
from bnnppl.cli import main
from tiny_run import TINY

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BASE = TINY | {"name": "demo"}
LEAVES = [
    ("data", "name"), ("data", "params", "n"), ("data", "params", "noise"), ("data", "params", "seed"),
    ("data", "test_fraction"), ("data", "split_seed"), ("data", "scale"), ("data", "train"),
    ("model", "network", "hidden"), ("model", "network", "activation"), ("model", "network", "type"),
    ("model", "prior", "scale"), ("model", "prior", "family"), ("model", "prior", "fan_in"),
    ("model", "likelihood", "family"), ("model", "likelihood", "noise"), ("model", "likelihood", "classes"),
    ("inference", "method"), ("inference", "steps"), ("inference", "draws"), ("inference", "learning_rate"),
    ("inference", "guide"), ("inference", "subsample_size"), ("seed",), ("output",), ("name",),
    ("modle",), ("inference", "stpes"),
]  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["nuts", "svi", "relu", "normal", "bernoulli", "a.csv", "a.npz", "", ".", "/", "x\x00"]),
    st.lists(st.integers(-3, 40), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
ONE_LINE = re.compile(r"bnnppl: error: [^\n]+\n")


def _outcome(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse
        code = exit_.code
    return code, capsys.readouterr().err


def _assert_one_line_and_nothing_written(folder: Path, config: Path, capsys) -> str:
    """``validate``: 0, or 2 with one line; then ``run`` of a refused config: the same line, and
    the folder holds only the config (and the data file)."""
    before = sorted(p.name for p in folder.iterdir())
    code, err = _outcome(["validate", str(config)], capsys)
    assert code in (0, 2), err
    if code == 0:
        return "valid"
    assert ONE_LINE.fullmatch(err), err
    assert "Traceback" not in err
    run_code, run_err = _outcome(["run", str(config)], capsys)
    assert (run_code, run_err) == (2, err)
    assert sorted(p.name for p in folder.iterdir()) == before
    return "refused"


@SETTINGS
@given(path=st.sampled_from(LEAVES), value=VALUES)
def test_any_config_value_is_valid_or_one_line(path, value, capsys):
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            return
    node[path[-1]] = value
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        data["output"] = str(folder / "runs") if path != ("output",) else str(folder / str(value))
        config = folder / "demo.yaml"
        config.write_text(yaml.safe_dump(data))
        event(_assert_one_line_and_nothing_written(folder, config, capsys))


CELLS = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "x", "1,5", '"2"', "nan", "1e999", "\ufeff", "0x1"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=4),
)


@SETTINGS
@given(
    header=st.lists(st.sampled_from(["a", "b", "t", "a ", "\ufeffa", ""]), min_size=1, max_size=4),
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=5),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    bom=st.booleans(),
    x_columns=st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "t", "z"]), max_size=3)),
    y_column=st.one_of(st.none(), st.sampled_from(["a", "t", "z"])),
    aligned=st.lists(st.integers(-5, 5), min_size=4, max_size=4),
)
def test_any_csv_is_read_or_refused_in_one_line(
    header, rows, delimiter, bom, x_columns, y_column, aligned, capsys
):
    if aligned[0] > 0:  # rows as wide as the header, numbers but for a few generated ones
        header = list(dict.fromkeys(header))
        rows = [[str(v + i) for v in aligned[: len(header)]] for i in range(3)] + rows[:1]
    text = ("\ufeff" if bom else "") + "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["data"] = {"train": "train.csv", "test_fraction": 0}
    if x_columns is not None:
        data["data"]["x_columns"] = x_columns
    if y_column is not None:
        data["data"]["y_column"] = y_column
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "train.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        data["output"] = str(folder / "runs")
        config = folder / "demo.yaml"
        config.write_text(yaml.safe_dump(data))
        event(_assert_one_line_and_nothing_written(folder, config, capsys))


SPECS = [
    specs.NUTS, specs.HMC, specs.SVI, specs.SMC, specs.MCLMC, specs.SGLD, specs.SGHMC, specs.Langevin,
    specs.MLP, specs.Prior, specs.ScalePrior, specs.Gaussian, specs.Bernoulli, specs.Categorical,
    specs.Poisson, specs.HeteroscedasticGaussian, specs.LatentInput, specs.ModelSpec,
]  # fmt: skip
REQUIRED = {"num_steps": 10, "step_size": 0.01}  # HMC's arguments without a default
FIELDS = [(cls, f.name) for cls in SPECS for f in dataclasses.fields(cls) if not f.name.startswith("_")]


@SETTINGS
@given(target=st.sampled_from(FIELDS), value=VALUES)
def test_any_spec_argument_is_accepted_or_one_line_from_bnnppl(target, value):
    cls, name = target
    required = {f.name: REQUIRED[f.name] for f in dataclasses.fields(cls) if f.name in REQUIRED}
    try:
        cls(**required | {name: value})
        event("accepted")
    except (ValueError, TypeError) as err:
        event("refused")
        text = str(err)
        assert "\n" not in text and re.match(r"[A-Za-z_][\w.\[\]]*: ", text), text
        assert text.split(":")[0].split(".")[0] in {c.__name__ for c in SPECS} | {name}, text
        frame = traceback.extract_tb(err.__traceback__)[-1]
        assert "/bnnppl/" in frame.filename, f"raised outside bnnppl: {frame.filename}"


@pytest.mark.parametrize("argv", [["validate"], ["predict"], ["bench", "uci"], ["report"]])
def test_missing_arguments_are_one_line(argv, capsys):
    code, err = _outcome(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"bnnppl {' '.join(argv)}: error: ")


ARRAYS = st.one_of(
    VALUES,
    st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3)), max_size=4),
    st.lists(st.lists(st.floats(-1e40, 1e40), min_size=0, max_size=3), max_size=4),
)
BNNS = [
    bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(2,)), likelihood=likelihood))
    for likelihood in (bp.Gaussian(), bp.Bernoulli(), bp.Categorical(classes=3), bp.Poisson())
]


PAIRS = st.integers(1, 5).flatmap(  # rows of x and y that agree in number: their values decide
    lambda n: st.tuples(
        st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=2),
                 min_size=n, max_size=n),
        st.lists(st.one_of(st.integers(-1, 3), st.floats(-2, 4)), min_size=n, max_size=n),
    )
)  # fmt: skip


@SETTINGS
@given(bnn=st.sampled_from(BNNS), data=st.one_of(st.tuples(ARRAYS, st.one_of(st.none(), ARRAYS)), PAIRS))
def test_any_data_given_to_fit_or_predict_is_accepted_or_one_line_from_bnnppl(bnn, data):
    """``BNN.check_data``, the gate of ``fit``, ``predict`` and ``log_likelihood`` before tracing."""
    x, y = data
    try:
        bnn.check_data(x, y)
        event("accepted")
    except (ValueError, TypeError) as err:
        event("refused")
        text = str(err)
        assert "\n" not in text and re.match(r"[xy]: ", text), text
        frame = traceback.extract_tb(err.__traceback__)[-1]
        assert "/bnnppl/" in frame.filename, f"raised outside bnnppl: {frame.filename}: {text}"
