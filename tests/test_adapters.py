"""The two stages of training data: as_data() converts the input, adapt() creates the adapter
that serves it with its batch size, shuffling and order; and the one-process run."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

from kerastorch.training import data as data_module
from kerastorch.training.data import (
    ArrayData,
    BatchStreamData,
    IndexedAdapter,
    IterableDatasetData,
    RaggedData,
    StreamAdapter,
)
from kerastorch.training.run import Run, current_run
from kerastorch.utils import timeseries_dataset_from_array


class Samples(IterableDataset):
    def __iter__(self):
        return ((torch.tensor([float(i)]), torch.tensor([float(i)])) for i in range(10))


def test_each_input_gets_its_adapter_and_batch_size():
    x, y = np.arange(10.0)[:, None], np.arange(10.0)
    arrays = data_module.adapt(data_module.as_data(x, y), batch_size=4)
    assert isinstance(arrays, IndexedAdapter) and arrays.batch_size == 4
    assert [len(b.x) for b in arrays.batches()] == [4, 4, 2]

    loader = DataLoader(TensorDataset(torch.zeros(10, 1), torch.zeros(10)), batch_size=3)
    stream = data_module.adapt(data_module.as_data(loader), batch_size=4)
    assert isinstance(stream, StreamAdapter) and stream.batch_size is None  # the loader's own
    assert [len(b.x) for b in stream.batches()] == [3, 3, 3, 1]
    assert stream.num_batches() == 4

    samples = data_module.adapt(data_module.as_data(Samples()), batch_size=4)
    assert samples.batch_size == 4
    assert [b.x[:, 0].tolist() for b in samples.batches()] == [
        [0.0, 1.0, 2.0, 3.0],
        [4.0, 5.0, 6.0, 7.0],
        [8.0, 9.0],
    ]

    # A Pipeline (timeseries_dataset_from_array's) brings its batches and order; fit's
    # batch_size and shuffle do not apply.
    windows = timeseries_dataset_from_array(np.arange(20.0), None, sequence_length=3, batch_size=5)
    served = data_module.adapt(data_module.as_data(windows), batch_size=4, shuffle=True)
    assert isinstance(served, StreamAdapter) and served.num_batches() == 4
    assert next(served.batches()).x[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_order_shuffling_and_length_buckets():
    torch.manual_seed(0)
    data = ArrayData(np.arange(6.0)[:, None])
    ordered = IndexedAdapter(data, batch_size=4)
    assert ordered.batch_indices() == [slice(0, 4), slice(4, 6)]
    shuffled = IndexedAdapter(data, batch_size=4, shuffle=True)
    rows = [b.x[:, 0].tolist() for b in shuffled.batches()]
    assert sorted(v for batch in rows for v in batch) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    # predict's order is never shuffled.
    assert [index for index, _ in shuffled.indexed_batches()] == [slice(0, 4), slice(4, 6)]

    ragged = RaggedData([np.zeros((n, 1)) for n in (5, 1, 4, 2, 3)])
    by_length = data_module.adapt(ragged, batch_size=2, keep_order=False)
    assert [i.tolist() for i in by_length.batch_indices()] == [[1, 3], [4, 2], [0]]
    in_order = data_module.adapt(ragged, batch_size=2, keep_order=True)
    assert in_order.batch_indices() == [slice(0, 2), slice(2, 4), slice(4, 5)]
    # Arrays have no lengths to group by: keep_order=False leaves them in input order.
    assert data_module.adapt(data, batch_size=4, keep_order=False).batch_indices() == [
        slice(0, 4),
        slice(4, 6),
    ]


def test_adapters_refuse_options_they_cannot_honour():
    with pytest.raises(ValueError, match="by_length=True groups sequences by length, but arrays"):
        IndexedAdapter(ArrayData(np.zeros((4, 2))), batch_size=2, by_length=True)
    loader = DataLoader(TensorDataset(torch.zeros(4, 1)), batch_size=2)
    with pytest.raises(ValueError, match="yields batches, which take no batch_size; received"):
        StreamAdapter(BatchStreamData(loader), batch_size=2)
    with pytest.raises(ValueError, match="yields samples, which need batch_size; received"):
        StreamAdapter(IterableDatasetData(Samples()))


def test_class_weight_makes_new_data_and_keeps_the_input():
    data = ArrayData(np.zeros((4, 1)), np.array([0, 1, 1, 2]))
    adapter = data_module.adapt(data, batch_size=4, class_weight={1: 3.0, 2: 0.5})
    assert next(adapter.batches()).sample_weight.tolist() == [1.0, 3.0, 3.0, 0.5]
    assert data.sample_weight is None  # the validation part of a split keeps no weights
    weighted = ArrayData(np.zeros((4, 1)), np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match="You cannot `class_weight` and `sample_weight`"):
        data_module.adapt(weighted, batch_size=4, class_weight={0: 2.0})


def test_one_process_run_leaves_everything_as_it_is():
    run = current_run()
    assert type(run) is Run and not run.distributed
    data = data_module.adapt(ArrayData(np.zeros((4, 1))), batch_size=2)
    assert run.shard(data, training=True) is data
    assert run.any(True) and not run.any(False)
    results = [(slice(0, 2), torch.zeros(2, 1), None)]
    assert run.gather_predictions(results, data) is results
    assert not run.syncs_batch_stops([])
