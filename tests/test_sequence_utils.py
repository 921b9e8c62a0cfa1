"""pad_sequences and timeseries_dataset_from_array equal Keras 3's."""

import types

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastorch.utils import TimeseriesWindows, pad_sequences, timeseries_dataset_from_array

# -- pad_sequences -----------------------------------------------------------------------------

SIDES = st.sampled_from(["pre", "post"])
DTYPES = st.sampled_from(["int32", "int64", "float32", "float64"])
VALUES = st.one_of(st.integers(-3, 3), st.floats(-2.0, 2.0, allow_nan=False))
INT_SEQUENCES = st.lists(st.lists(st.integers(-50, 50), max_size=7), min_size=1, max_size=6)
FLOAT_SEQUENCES = st.lists(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), max_size=7), min_size=1, max_size=6
)


def assert_same_array(actual, expected):
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


@settings(max_examples=150, deadline=None)
@given(
    sequences=st.one_of(INT_SEQUENCES, FLOAT_SEQUENCES),
    maxlen=st.one_of(st.none(), st.integers(1, 9)),
    dtype=DTYPES,
    padding=SIDES,
    truncating=SIDES,
    value=VALUES,
)
def test_pad_sequences_matches_keras(keras, sequences, maxlen, dtype, padding, truncating, value):
    kwargs = {
        "maxlen": maxlen,
        "dtype": dtype,
        "padding": padding,
        "truncating": truncating,
        "value": value,
    }
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    assert_same_array(pad_sequences(sequences, **kwargs), expected)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    features=st.integers(1, 3),
    maxlen=st.one_of(st.none(), st.integers(1, 8)),
    padding=SIDES,
    truncating=SIDES,
    as_arrays=st.booleans(),
)
def test_pad_sequences_of_feature_vectors_matches_keras(
    keras, lengths, features, maxlen, padding, truncating, as_arrays
):
    rng = np.random.default_rng(sum(lengths) + features)
    sequences = [rng.normal(size=(n, features)).astype("float32") for n in lengths]
    if not as_arrays:
        sequences = [s.tolist() for s in sequences]
    kwargs = {"maxlen": maxlen, "dtype": "float32", "padding": padding, "truncating": truncating}
    expected = keras.utils.pad_sequences(sequences, value=-1.0, **kwargs)
    actual = pad_sequences(sequences, value=-1.0, **kwargs)
    assert_same_array(actual, expected)
    assert actual.shape[-1] == (features if any(lengths) else actual.shape[-1])


def test_pad_sequences_documented_examples_and_sides(keras):
    sequences = [[1], [2, 3], [4, 5, 6]]
    assert pad_sequences(sequences).tolist() == [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
    assert pad_sequences(sequences, padding="post").tolist() == [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
    # truncating="pre" keeps the end of a long sequence; "post" keeps its start.
    assert pad_sequences(sequences, maxlen=2).tolist() == [[0, 1], [2, 3], [5, 6]]
    assert pad_sequences(sequences, maxlen=2, truncating="post").tolist() == [
        [0, 1],
        [2, 3],
        [4, 5],
    ]
    for kwargs in ({}, {"maxlen": 5, "value": -1}, {"maxlen": 1, "truncating": "post"}):
        assert_same_array(
            pad_sequences(sequences, **kwargs), keras.utils.pad_sequences(sequences, **kwargs)
        )


def test_pad_sequences_edge_cases_match_keras(keras):
    cases = [
        ([[], [1, 2], []], {}),
        ([[], []], {}),  # every sequence empty: shape (2, 0)
        ([[], []], {"maxlen": 3, "value": 7}),
        ([[1.7, -2.5, 3.2]], {}),  # floats truncated into int32
        ([[1.7, -2.5, 3.2]], {"dtype": "float32", "maxlen": 5, "value": 0.5}),
        ([np.arange(4), np.arange(2)], {"maxlen": np.int64(3)}),
        (np.array([[1, 2, 3], [4, 5, 6]]), {"maxlen": 2, "padding": "post"}),
        ([["a", "b"], ["c"]], {"dtype": object, "value": "<pad>"}),
        ([["a", "b"], ["c"]], {"dtype": "<U5", "value": "?"}),
        ([], {"maxlen": 4}),
    ]
    for sequences, kwargs in cases:
        expected = keras.utils.pad_sequences(sequences, **kwargs)
        assert_same_array(pad_sequences(sequences, **kwargs), expected)
    # Where Keras fails (np.max of no lengths; a mismatched slice for maxlen=0) kerastorch
    # returns the empty result.
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)


@pytest.mark.parametrize(
    ("sequences", "kwargs", "message"),
    [
        (
            [[1, 2]],
            {"padding": "left"},
            r'expected padding="pre" or "post", received padding=\'left',
        ),
        ([[1, 2]], {"truncating": "end"}, r'expected truncating="pre" or "post"'),
        ([[1, 2], 3], {}, r"every sequence must be a list or array, received int 3 at position 1"),
        ([[[1, 2]], [[1, 2, 3]]], {}, r"every step must have the shape \(2,\)"),
        ([[1, 2]], {"value": "pad"}, r"dtype int32 cannot hold the string value='pad'"),
    ],
    ids=["padding", "truncating", "non-iterable", "step-shape", "string-value"],
)
def test_pad_sequences_errors_match_keras(keras, sequences, kwargs, message):
    with pytest.raises(ValueError):
        keras.utils.pad_sequences(sequences, **kwargs)
    with pytest.raises(ValueError, match=message):
        pad_sequences(sequences, **kwargs)


def test_pad_sequences_checks_sides_and_input_even_without_padding_work():
    # Keras only notices a bad padding value when some sequence needs it; kerastorch always does.
    with pytest.raises(ValueError, match="padding="):
        pad_sequences([[], []], padding="middle")
    with pytest.raises(ValueError, match="sized collection"):
        pad_sequences(iter([[1], [2]]))
    with pytest.raises(
        ValueError, match=r"maxlen to be an integer >= 0 or None, received maxlen=-1"
    ):
        pad_sequences([[1]], maxlen=-1)


# -- timeseries_dataset_from_array -------------------------------------------------------------


class _GrainSource:
    """Just enough of grain's MapDataset for Keras's grain path with batch_size=None."""

    def __init__(self, items):
        self.items = list(items)

    def to_iter_dataset(self):
        return self

    def shuffle(self, seed):  # Keras's own permutation comes before; grain's is left out
        return self

    def __iter__(self):
        return iter(self.items)


@pytest.fixture
def keras_windows(keras, monkeypatch):
    """Keras's own windows and targets, as two numpy arrays.

    Keras's default format="tf" needs TensorFlow, which the test environment does not install.
    Its format="grain" path runs the same argument checks and index arithmetic in numpy
    (``np.arange(pos, pos + sequence_length * sampling_rate, sampling_rate)`` over
    ``data[start_index:end_index]``, target ``targets[start_index:][pos]``), and only hands the
    resulting list of windows to Grain: a stub for that last step lets Keras's code run here.
    """
    from keras.src.utils import timeseries_dataset_utils

    grain = types.SimpleNamespace(
        MapDataset=types.SimpleNamespace(source=_GrainSource),
        experimental=types.SimpleNamespace(
            ZipMapDataset=lambda parts: _GrainSource(zip(*(p.items for p in parts), strict=True))
        ),
    )
    monkeypatch.setattr(timeseries_dataset_utils, "grain", grain)

    def windows(data, targets, sequence_length, **kwargs):
        """Keras's windows; with shuffle=True, in Keras's order before its shuffle buffer."""
        items = list(
            keras.utils.timeseries_dataset_from_array(
                data, targets, sequence_length, batch_size=None, format="grain", **kwargs
            )
        )
        if targets is None:
            return np.array(items).reshape(len(items), sequence_length, *np.shape(data)[1:]), None
        x = np.array([w for w, _ in items]).reshape(len(items), sequence_length, *data.shape[1:])
        y = np.array([t for _, t in items]).reshape(len(items), *np.shape(targets)[1:])
        return x, y

    return windows


TIMESERIES_CASES = [
    {"sequence_length": 10},
    {"sequence_length": 10, "sequence_stride": 3, "sampling_rate": 2},
    {"sequence_length": 5, "sequence_stride": 4},
    {"sequence_length": 7, "sampling_rate": 3},
    {"sequence_length": 6, "start_index": 10},
    {"sequence_length": 6, "end_index": 60},
    {"sequence_length": 4, "sequence_stride": 2, "sampling_rate": 3, "start_index": 5},
    {"sequence_length": 4, "sequence_stride": 5, "start_index": 7, "end_index": 50},
    {"sequence_length": 1},
    {"sequence_length": 99},  # exactly one window
    {"sequence_length": 120},  # longer than the data: no window
]


def _case_id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("kwargs", TIMESERIES_CASES, ids=_case_id)
@pytest.mark.parametrize("feature_shape", [(), (3,), (2, 2)], ids=["1d", "features", "2x2"])
def test_timeseries_windows_match_keras(keras_windows, kwargs, feature_shape):
    data = np.random.randn(99, *feature_shape).astype("float32")
    targets = np.arange(99) * 10
    expected_x, expected_y = keras_windows(data, targets, **kwargs)
    dataset = timeseries_dataset_from_array(data, targets, batch_size=7, **kwargs)
    windows = dataset.windows
    x, y = windows.arrays()
    assert len(windows) == len(expected_x)
    assert x.shape == expected_x.shape and x.dtype == data.dtype
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    # The dataset's batches: 7 windows each in time order, the last one shorter, as Keras's.
    batches = list(dataset.as_numpy_iterator())
    assert len(dataset) == len(batches) == -(-len(expected_x) // 7)
    assert all(len(bx) == len(by) == 7 for bx, by in batches[:-1])
    if batches:
        np.testing.assert_array_equal(np.concatenate([bx for bx, _ in batches]), expected_x)
        np.testing.assert_array_equal(np.concatenate([by for _, by in batches]), expected_y)
    # No targets: windows alone, the same ones; batches of x alone.
    expected_x, _ = keras_windows(data, None, **kwargs)
    alone = timeseries_dataset_from_array(data, None, batch_size=7, **kwargs)
    x, y = alone.windows.arrays()
    assert y is None
    np.testing.assert_array_equal(x, expected_x)
    batches = list(alone.as_numpy_iterator())
    if batches:
        np.testing.assert_array_equal(np.concatenate(batches), expected_x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence_length": 5, "batch_size": 4},
        {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 2, "batch_size": 3},
        {"sequence_length": 4, "start_index": 7, "end_index": 180, "batch_size": 16},
        {"sequence_length": 6, "batch_size": None},
    ],
    ids=_case_id,
)
def test_timeseries_shuffle_follows_keras_order_and_buffer(keras_windows, kwargs):
    """Keras permutes the windows once with np.random.RandomState(seed) (reproduced exactly),
    then draws them through a shuffle buffer of 8 * batch_size (1024 without batches): every
    pass holds Keras's windows, and the window at output position p is at most buffer - 1
    places later in Keras's permuted order (a buffer only ever holds the next few)."""
    data = np.arange(200, dtype="float32")[:, None] * np.ones((1, 2), "float32")
    targets = np.arange(200)  # a window's target names its first row
    batch_size = kwargs.pop("batch_size")
    buffer = 1024 if batch_size is None else 8 * batch_size
    _, keras_order = keras_windows(data, targets, shuffle=True, seed=11, **kwargs)
    dataset = timeseries_dataset_from_array(
        data, targets, batch_size=batch_size, shuffle=True, seed=11, **kwargs
    )
    passes = []
    for _ in range(2):
        if batch_size is None:
            rows = list(dataset)
            x = torch.stack([w for w, _ in rows]).numpy()
            y = torch.stack([t for _, t in rows]).numpy()
        else:
            batches = list(dataset)
            assert len(batches) == len(dataset) == -(-len(keras_order) // batch_size)
            assert all(len(b[1]) == batch_size for b in batches[:-1])
            x = torch.cat([b[0] for b in batches]).numpy()
            y = torch.cat([b[1] for b in batches]).numpy()
        np.testing.assert_array_equal(x[:, 0, 0], y)  # each window still has its own target
        assert sorted(y.tolist()) == sorted(keras_order.tolist())
        place = {int(t): q for q, t in enumerate(keras_order)}
        assert all(place[int(t)] <= p + buffer - 1 for p, t in enumerate(y))
        passes.append(y)
    assert not np.array_equal(passes[0], passes[1])  # reshuffled every pass


def test_timeseries_targets_of_other_shapes_and_lengths_match_keras(keras_windows):
    data = np.random.randn(40, 2)
    for targets in (np.random.randn(40, 3), np.random.randn(25), np.arange(40)[:, None]):
        for kwargs in ({"sequence_length": 5}, {"sequence_length": 5, "sequence_stride": 3}):
            expected_x, expected_y = keras_windows(data, targets, **kwargs)
            x, y = timeseries_dataset_from_array(data, targets, **kwargs).windows.arrays()
            np.testing.assert_array_equal(x, expected_x)
            np.testing.assert_array_equal(y, expected_y)


def test_timeseries_keras_documented_examples():
    # Example 1: indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3.
    x, _ = timeseries_dataset_from_array(
        np.arange(99), None, sequence_length=10, sampling_rate=2, sequence_stride=3
    ).windows.arrays()
    assert x[0].tolist() == list(range(0, 20, 2))
    assert x[1].tolist() == list(range(3, 23, 2))
    assert x[2].tolist() == list(range(6, 26, 2))
    assert x[-1].tolist() == list(range(78, 98, 2))
    # Example 2: the 10 steps before t predict step t; targets[i] goes with the window
    # starting at i.
    data = np.random.randn(50)
    windows = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10).windows
    for i in (0, 7, len(windows) - 1):
        window, target = windows[i]
        np.testing.assert_array_equal(window.numpy(), data[i : i + 10])
        assert float(target) == data[i + 10]
    assert len(windows) == 31


def test_getitems_equals_stacked_getitem():
    data = torch.randn(80, 4)
    targets = torch.randn(80, 2)
    windows = timeseries_dataset_from_array(
        data, targets, sequence_length=6, sequence_stride=2, sampling_rate=3, start_index=3
    ).windows
    indices = [5, 0, len(windows) - 1, 5, -1, -len(windows)]
    x, y = windows.__getitems__(indices)
    items = [windows[i] for i in indices]
    assert torch.equal(x, torch.stack([w for w, _ in items]))
    assert torch.equal(y, torch.stack([t for _, t in items]))
    assert x.shape == (len(indices), 6, 4) and y.shape == (len(indices), 2)
    # Without targets, a window alone.
    alone = timeseries_dataset_from_array(data, None, sequence_length=6).windows
    assert torch.equal(alone.__getitems__([2, 9]), torch.stack([alone[2], alone[9]]))
    empty_x, empty_y = windows.__getitems__([])
    assert empty_x.shape == (0, 6, 4) and empty_y.shape == (0, 2)


def test_windows_index_errors():
    windows = timeseries_dataset_from_array(np.arange(20.0), np.arange(20), 5).windows
    assert len(windows) == 16
    with pytest.raises(IndexError, match="index 16 is out of range for 16 windows"):
        windows[16]
    with pytest.raises(IndexError, match="index -17 is out of range for 16 windows"):
        windows[-17]
    with pytest.raises(IndexError, match="index 16 is out of range for 16 windows"):
        windows.__getitems__([0, 16])
    with pytest.raises(IndexError, match="index -17 is out of range"):
        windows.__getitems__([-17])
    with pytest.raises(TypeError, match="expected an integer index"):
        windows[1.5]
    assert torch.equal(windows[torch.tensor(3)][0], windows[np.int64(3)][0])


def test_windows_are_not_copied():
    data = np.random.randn(10_000, 8).astype("float32")
    targets = np.random.randn(10_000).astype("float32")
    windows = timeseries_dataset_from_array(
        data, targets, sequence_length=50, batch_size=32
    ).windows
    # The dataset holds views of the arrays it was given, and no other tensor of any size.
    assert windows.data.data_ptr() == data.ctypes.data
    assert windows.data.untyped_storage().nbytes() == data.nbytes
    assert windows.targets.data_ptr() == targets.ctypes.data
    storages = {data.ctypes.data: data.nbytes, targets.ctypes.data: targets.nbytes}
    for value in vars(windows).values():
        assert not isinstance(value, np.ndarray)
        if torch.is_tensor(value):
            storage = value.untyped_storage()
            assert storages.get(storage.data_ptr()) == storage.nbytes()
    # A tensor is used as it is; a read-only array too (without a warning).
    tensor = torch.randn(100, 3)
    assert timeseries_dataset_from_array(tensor, None, sequence_length=4).windows.data is tensor
    data.flags.writeable = False
    read_only = timeseries_dataset_from_array(data, None, sequence_length=4).windows
    assert read_only.data.data_ptr() == data.ctypes.data
    # A batch is gathered from the view: a change to the data shows in the next batch.
    mutable = np.zeros((30, 2), "float32")
    dataset = timeseries_dataset_from_array(mutable, None, sequence_length=3)
    mutable[4, 1] = 9.0
    assert dataset.windows.__getitems__([2])[0, 2, 1] == 9.0
    assert next(iter(dataset))[2, 2, 1] == 9.0


def test_windows_work_with_a_dataloader():
    data = np.arange(60, dtype="float32").reshape(30, 2)
    windows = timeseries_dataset_from_array(data, np.arange(30), sequence_length=4).windows
    assert isinstance(windows, TimeseriesWindows) and isinstance(windows, torch.utils.data.Dataset)
    assert "27 windows" in repr(windows)
    # Indexing is chronological; DataLoader batches come from __getitems__ in one gather.
    loader = torch.utils.data.DataLoader(windows, batch_size=8, collate_fn=lambda batch: batch)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [8, 8, 8, 3]
    x_all, y_all = windows.arrays()
    np.testing.assert_array_equal(torch.cat([x for x, _ in batches]).numpy(), x_all)
    np.testing.assert_array_equal(torch.cat([y for _, y in batches]).numpy(), y_all)


def test_windows_of_strided_and_reversed_data():
    """Windows read the right rows whatever the layout of the array they view."""
    base = np.random.randn(60, 6)
    for data in (base[::2], base[:, ::2], base.T.copy().T, base[::-1], base[5:40]):
        kwargs = {"sequence_length": 4, "sequence_stride": 3, "sampling_rate": 2, "start_index": 1}
        windows = timeseries_dataset_from_array(data, np.arange(len(data)), **kwargs).windows
        x, y = windows.arrays()
        expected = np.stack([data[s : s + 7 : 2] for s in range(1, len(data) - 6, 3)])
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(y, np.arange(1, len(data) - 6, 3))
    with pytest.raises(ValueError, match="data must be an array with time on axis 0"):
        timeseries_dataset_from_array(torch.tensor(1.0), None, 1)


TIMESERIES_ERRORS = [
    ({"start_index": -1}, r"start_index must be 0 or greater, received start_index=-1"),
    ({"start_index": 50}, r"start_index must be lower than the length of the data"),
    ({"start_index": 10, "end_index": 10}, r"end_index must be higher than start_index"),
    ({"end_index": 50}, r"end_index must be lower than the length of the data"),
    ({"end_index": -3}, r"end_index must be higher than 0"),
    ({"sampling_rate": 0}, r"expected sampling_rate to be a positive integer"),
    ({"sampling_rate": 50}, r"sampling_rate must be lower than the length of the data"),
    ({"sequence_stride": -2}, r"expected sequence_stride to be a positive integer"),
    ({"sequence_stride": 50}, r"sequence_stride must be lower than the length"),
]


@pytest.mark.parametrize(
    ("kwargs", "message"), TIMESERIES_ERRORS, ids=[_case_id(k) for k, _ in TIMESERIES_ERRORS]
)
def test_timeseries_argument_errors_match_keras(keras, kwargs, message):
    data = np.arange(50.0)
    with pytest.raises(ValueError):
        keras.utils.timeseries_dataset_from_array(data, None, 5, format="grain", **kwargs)
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(data, None, 5, **kwargs)


def test_timeseries_arguments_keras_does_not_check():
    with pytest.raises(ValueError, match="expected sequence_length to be a positive integer"):
        timeseries_dataset_from_array(np.arange(10), None, 0)
    with pytest.raises(ValueError, match="expected batch_size to be a positive integer"):
        timeseries_dataset_from_array(np.arange(10), None, 3, batch_size=0)
    # Targets that run out before the windows do: the windows without a target are dropped
    # (Keras fails while iterating when start_index > 0).
    windows = timeseries_dataset_from_array(np.arange(30), np.arange(12), 3, start_index=5).windows
    assert len(windows) == 7
    assert windows[-1][1] == 11
