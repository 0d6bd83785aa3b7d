"""Data files as users write them: encodings, delimiters, column names, bad rows named by file and
line, one-row and empty files, and NPZ files that are not what they claim; one line per mistake."""

import re
import zipfile

import numpy as np
import pytest

from bnnppl.runs.config import ConfigError, DataConfig, RunConfig, read_csv
from bnnppl.runs.runner import prepare

MODEL = {"network": {"hidden": [3]}, "likelihood": {"family": "gaussian", "noise": 0.1}}
INFERENCE = {"method": "svi", "steps": 10, "draws": 5}


def exactly(message, kind=ConfigError):
    """``pytest.raises`` of ``kind`` whose text is the whole ``message``."""
    return pytest.raises(kind, match="^" + re.escape(message) + "$")


def load(tmp_path, text, name="train.csv", **data):
    (tmp_path / name).write_text(text)
    return DataConfig(train=name, **data).load(tmp_path)


def prepared(tmp_path, data, likelihood=None):
    """``prepare`` of a config on the files in ``tmp_path``: the checks before any fitting."""
    model = MODEL | ({"likelihood": likelihood} if likelihood else {})
    return prepare(RunConfig.from_dict({"data": data, "model": model, "inference": INFERENCE}), tmp_path)


def test_a_byte_order_mark_is_dropped(tmp_path):
    (tmp_path / "train.csv").write_text("\ufeffa,t\n1,2\n3,4\n", encoding="utf-8")
    data = DataConfig(train="train.csv", test_fraction=0).load(tmp_path)
    assert data.columns == ["a"] and data.target == "t"
    assert read_csv(tmp_path / "train.csv", "--input")[0] == ["a", "t"]  # bnnppl predict --input


@pytest.mark.parametrize(
    "text",
    [
        "a,b,t\n1,2.5,3\n4,5,6\n",
        "a;b;t\n1;2.5;3\n4;5;6\n",
        "a\tb\tt\n1\t2.5\t3\n4\t5\t6\n",
        "a|b|t\n1|2.5|3\n4|5|6\n",
        "a; b ;t\r\n1;2.5;3\r\n\r\n4;5;6\r\n",
        '"a";"b";"t"\n"1";"2.5";"3"\n4;5;6\n',
    ],
    ids=["comma", "semicolon", "tab", "pipe", "spaces-crlf-blank", "quoted"],
)
def test_every_delimiter_reads_like_the_comma_file(tmp_path, text):
    data = load(tmp_path, text, test_fraction=0)
    assert data.columns == ["a", "b"] and data.target == "t"
    np.testing.assert_array_equal(data.x, [[1, 2.5], [4, 5]])
    np.testing.assert_array_equal(data.y, [3, 6])


def test_quoted_fields_may_hold_other_delimiters(tmp_path):
    data = load(
        tmp_path, 'name,a,t\n"Smith, J; and | co",1,2\n"Doe, K",3,4\n', x_columns=["a"], test_fraction=0
    )
    np.testing.assert_array_equal(data.x, [[1], [3]])
    data = load(tmp_path, '"price, in $";"rooms|beds";t\n100;2;1\n"150";3;0\n', test_fraction=0)
    assert data.columns == ["price, in $", "rooms|beds"]
    np.testing.assert_array_equal(data.x, [[100, 2], [150, 3]])


def test_a_single_column_file_is_read_with_commas(tmp_path):
    (tmp_path / "x.csv").write_text("x0\n0.5\n1.5\n")
    header, values = read_csv(tmp_path / "x.csv", "--input")
    assert header == ["x0"]
    np.testing.assert_array_equal(values, [[0.5], [1.5]])
    (tmp_path / "x.csv").write_text("x0\n0.5\n1,5\n")
    with exactly("--input: x.csv line 3: 2 values, the header has 1."):
        read_csv(tmp_path / "x.csv", "--input")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a;t\n1,5;2\n2;3\n", "data.train: train.csv line 2, column 'a': not a number: '1,5' (a decimal comma? write 1.5)."),
        ("a\tt\n2\t-0,25\n", "data.train: train.csv line 2, column 't': not a number: '-0,25' (a decimal comma? write -0.25)."),
        ("a;t\n1.000,5;2\n", "data.train: train.csv line 2, column 'a': not a number: '1.000,5'."),
        ("a,t\n1,5,2\n", "data.train: train.csv line 2: 3 values, the header has 2."),
    ],
)  # fmt: skip
def test_a_decimal_comma_gets_a_hint(tmp_path, text, message):
    with exactly(message):
        load(tmp_path, text)


@pytest.mark.parametrize(
    "text, columns, message",
    [
        ("a,b,a,t\n1,2,3,4\n", {}, "data.train: train.csv has 2 columns named 'a' (columns 1 and 3); rename one of them."),
        ("t,a,t\n1,2,3\n", {}, "data.train: train.csv has 2 columns named 't' (columns 1 and 3); rename one of them."),
        ("b,a,b,b,t\n1,2,3,4,5\n", {"x_columns": ["a", "b"]}, "data.train: train.csv has 3 columns named 'b' (columns 1, 3 and 4); rename one of them."),
        ("a,t,t\n1,2,3\n", {"x_columns": ["a"], "y_column": "t"}, "data.train: train.csv has 2 columns named 't' (columns 2 and 3); rename one of them."),
    ],
)  # fmt: skip
def test_a_duplicated_column_name_in_use_is_an_error(tmp_path, text, columns, message):
    with exactly(message):
        load(tmp_path, text, **columns)


def test_duplicated_names_of_unused_columns_are_fine(tmp_path):
    data = load(tmp_path, "id,id,a,t\nu,v,1,2\nw,z,3,4\n", x_columns=["a"], test_fraction=0)
    np.testing.assert_array_equal(data.x, [[1], [3]])
    (tmp_path / "in.csv").write_text("a,a\n1,2\n")
    with exactly("--input: in.csv has 2 columns named 'a' (columns 1 and 2); rename one of them."):
        read_csv(tmp_path / "in.csv", "--input")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"train": "train.csv", "x_columns": ["a", "t"], "y_column": "t"}, "data.x_columns: includes 't', the target (y_column); an input cannot be the target."),
        ({"train": "train.csv", "x_columns": ["a", "a"]}, "data.x_columns: names 'a' twice; list each input once."),
    ],
)  # fmt: skip
def test_the_target_is_not_an_input_checked_before_any_file_is_read(data, message):
    # a ValueError like every config field's (load_config and the command line make it a ConfigError)
    with exactly(message, ValueError):
        RunConfig.from_dict({"data": data, "model": MODEL, "inference": INFERENCE})


def test_the_implicit_target_is_not_an_input(tmp_path):
    message = "data.x_columns: includes 't', the target (the last column of train.csv); drop it, or name another target in data.y_column."
    with exactly(message):
        load(tmp_path, "a,t\n1,2\n", x_columns=["a", "t"])


def write_labels(tmp_path, bad_line, value, n=30, name="train.csv"):
    """A CSV file of ``n`` rows with labels 0/1, but ``value`` on file line ``bad_line``."""
    labels = [str(i % 2) for i in range(n)]
    labels[bad_line - 2] = value
    (tmp_path / name).write_text("a,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(labels)))


@pytest.mark.parametrize(
    "likelihood, value, problem",
    [
        ({"family": "bernoulli"}, "2", "Bernoulli labels must be 0 or 1, got 2."),
        ({"family": "categorical", "classes": 3}, "7", "Categorical labels must be integers in 0..2 (classes=3), got 7."),
        ({"family": "categorical", "classes": 3}, "1.5", "Categorical labels must be integers in 0..2 (classes=3), got 1.5."),
        ({"family": "poisson"}, "-1", "Poisson counts must be non-negative integers, got -1."),
    ],
)  # fmt: skip
@pytest.mark.parametrize(
    "bad_line", [2, 23, 31]
)  # with split_seed 0, line 23 is a test row, 31 a training row
def test_a_bad_label_names_its_file_line_and_column(tmp_path, likelihood, value, problem, bad_line):
    write_labels(tmp_path, bad_line, value)
    with exactly(f"data.train: train.csv line {bad_line}, column 'label': {problem}"):
        prepared(tmp_path, {"train": "train.csv"}, likelihood)


def test_the_split_rows_keep_their_lines(tmp_path):
    write_labels(tmp_path, 2, "0")
    data = DataConfig(train="train.csv").load(tmp_path)
    assert data.rows.path == data.test_rows.path == "data.train"
    lines = np.concatenate([data.rows.number, data.test_rows.number])
    np.testing.assert_array_equal(np.sort(lines), np.arange(2, 32))
    np.testing.assert_array_equal(data.test_rows.number - 2, data.x_test[:, 0])  # column a is the row's index
    assert 23 in data.test_rows.number and 31 in data.rows.number


def test_a_bad_label_in_the_test_file_names_that_file(tmp_path):
    write_labels(tmp_path, 2, "0")
    write_labels(tmp_path, 5, "2", n=6, name="test.csv")
    with exactly("data.test: test.csv line 5, column 'label': Bernoulli labels must be 0 or 1, got 2."):
        prepared(tmp_path, {"train": "train.csv", "test": "test.csv"}, {"family": "bernoulli"})


def test_a_value_too_large_for_float32_names_its_line(tmp_path):
    (tmp_path / "train.csv").write_text("a,b,t\n1,2,3\n\n4,1e39,6\n")
    message = "data.train: train.csv line 4, column 'b': too large for float32: 1e+39; rescale the column before fitting."
    with exactly(message):
        prepared(tmp_path, {"train": "train.csv", "test_fraction": 0})


def test_npz_rows_are_named_by_their_index(tmp_path):
    x, y = np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 2, 0])
    np.savez(tmp_path / "train.npz", x=x, y=y)
    with exactly("data.train: train.npz row 4 of y: Bernoulli labels must be 0 or 1, got 2."):
        prepared(tmp_path, {"train": "train.npz", "test_fraction": 0.5}, {"family": "bernoulli"})
    x[3, 1] = np.nan
    np.savez(tmp_path / "train.npz", x=x, y=np.zeros(6))
    with exactly(
        "data.train: train.npz row 3, column 1 of x: not finite: nan; remove or impute it before fitting."
    ):
        prepared(tmp_path, {"train": "train.npz"})


def test_built_in_data_keep_their_row_index(tmp_path):
    with pytest.raises(ConfigError, match="^" + re.escape("data: y: Bernoulli labels must be 0 or 1, got ")):
        prepared(tmp_path, {"name": "sine", "params": {"n": 20}}, {"family": "bernoulli"})


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,t\n1,2\n", "data.test_fraction: train.csv has 1 row; a random test split needs at least 2 (or set data.test_fraction: 0, or give data.test)."),
        ("a,t\n1,2\n3,4\n", "data.test_fraction: leaves 0 of 2 rows for testing; need at least 1 and at most 1."),
    ],
)  # fmt: skip
def test_too_few_rows_to_split(tmp_path, text, message):
    with exactly(message, ValueError):
        load(tmp_path, text)
    data = load(tmp_path, text, test_fraction=0)
    assert data.x_test is None and len(data.x) == len(text.splitlines()) - 1


def test_files_without_rows(tmp_path):
    np.savez(tmp_path / "train.npz", x=np.zeros((0, 2)), y=np.zeros(0))
    with exactly("data.train: train.npz has no rows: x has shape (0, 2)."):
        DataConfig(train="train.npz").load(tmp_path)
    np.savez(tmp_path / "wide.npz", x=np.zeros((3, 0)), y=np.zeros(3))
    with exactly("data.train: wide.npz has no input columns: x has shape (3, 0)."):
        DataConfig(train="wide.npz").load(tmp_path)
    (tmp_path / "train.csv").write_text("a,t\n1,2\n3,4\n")
    np.savez(tmp_path / "test.npz", x=np.zeros((0, 1)), y=np.zeros(0))
    with exactly("data.test: test.npz has no rows: x has shape (0, 1)."):
        DataConfig(train="train.csv", test="test.npz").load(tmp_path)
    (tmp_path / "test.csv").write_text("a,t\n\n")
    with exactly("data.test: test.csv has a header but no data rows."):
        DataConfig(train="train.csv", test="test.csv").load(tmp_path)


def npz_cases(tmp_path):
    """(file name, exact message) for NPZ files that are not what they claim."""
    (tmp_path / "text.npz").write_text("a,t\n1,2\n")
    (tmp_path / "noise.npz").write_bytes(bytes(range(256)) * 4)
    np.savez(tmp_path / "good.npz", x=np.ones((4, 2)), y=np.zeros(4))
    whole = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(whole[: len(whole) // 2])
    with zipfile.ZipFile(tmp_path / "good.npz") as archive:
        info = archive.getinfo("x.npy")
    extra = int.from_bytes(
        whole[info.header_offset + 28 : info.header_offset + 30], "little"
    )  # local header's
    flipped = bytearray(whole)
    flipped[info.header_offset + 30 + len(info.filename) + extra + info.compress_size - 1] ^= (
        1  # x's last byte
    )
    (tmp_path / "crc.npz").write_bytes(bytes(flipped))
    np.savez(tmp_path / "objects.npz", x=np.array([[1], ["a"]], dtype=object), y=np.zeros(2))
    np.savez(tmp_path / "strings.npz", x=np.ones((2, 1)), y=np.array(["yes", "no"]))
    np.savez(tmp_path / "other.npz", inputs=np.ones((2, 1)), y=np.zeros(2))
    return [
        ("text.npz", "data.train: text.npz is not an NPZ file (a zip archive of .npy arrays); save one with numpy.savez(path, x=..., y=...)."),
        ("noise.npz", "data.train: noise.npz is not an NPZ file (a zip archive of .npy arrays); save one with numpy.savez(path, x=..., y=...)."),
        ("cut.npz", "data.train: cut.npz is damaged or truncated; save it again with numpy.savez(path, x=..., y=...)."),
        ("crc.npz", "data.train: crc.npz is damaged (Bad CRC-32 for file 'x.npy'); save it again."),
        ("objects.npz", "data.train: array 'x' of objects.npz holds Python objects (saved with pickle); bnnppl reads only numeric arrays: save x with a number dtype, e.g. numpy.asarray(x, dtype=float)."),
        ("strings.npz", "data.train: array 'y' of strings.npz has dtype <U3; bnnppl reads only numeric arrays (floats, integers or booleans)."),
        ("other.npz", f"data.train: needs arrays 'x' and 'y'; {str(tmp_path / 'other.npz')!r} has inputs, y."),
    ]  # fmt: skip


def test_npz_files_that_are_not_what_they_claim(tmp_path):
    for name, message in npz_cases(tmp_path):
        with exactly(message):
            DataConfig(train=name).load(tmp_path)
            pytest.fail(f"{name} was read")
