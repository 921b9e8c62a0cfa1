"""Multi-process training (kerastorch.distribute): 2 CPU processes with gloo on loopback.

The multi-process tests start 2 processes with ``torch.multiprocessing`` (spawn), as ``torchrun``
would (RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, a free MASTER_PORT), and compare what they did
with a one-process run of the same global batches. Every launch is bounded: a short timeout on
the collectives, a deadline on the whole job, and the children are always terminated.

The other tests check the sharding and the helpers in this process, without a process group.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import socket
import sys
import time
import traceback

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from kerastorch import Input, Sequential, distribute
from kerastorch.callbacks import (
    BackupAndRestore,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
)
from kerastorch.layers import LSTM, Dense
from kerastorch.optimizers import SGD
from kerastorch.training.data import (
    ArrayData,
    BatchStreamData,
    RaggedData,
    ShardedAdapter,
    adapt,
    check_global_batch_size,
)

WORLD = 2
SEED = 1234  # the shared shuffling seed of the distributed runs
JOB_DEADLINE = 150.0  # seconds for a whole 2-process job (normally ~10 s)
COLLECTIVE_TIMEOUT = 60.0
# fork starts the processes at once (spawn re-imports torch in each, many seconds on a busy
# machine); torch re-creates its thread pools in forked children.
START_METHOD = "fork" if "fork" in mp.get_all_start_methods() else "spawn"


# -- launching ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _entry(rank: int, worker, port: int, folder: str, explicit: bool, args: tuple) -> None:
    """What each child runs: the launcher's environment, then the worker; its result (or its
    error) is written to ``folder/rank{rank}.pkl`` / ``.error``."""
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(WORLD),
    )
    torch.set_num_threads(1)  # 2 processes on 2 cores
    if explicit:
        distribute.set_distribution(
            distribute.DataParallel(backend="gloo", timeout=COLLECTIVE_TIMEOUT, seed=SEED)
        )
    try:
        result = worker(rank, folder, *args)
    except BaseException:
        with open(os.path.join(folder, f"rank{rank}.error"), "w") as handle:
            handle.write(traceback.format_exc())
        raise
    with open(os.path.join(folder, f"rank{rank}.pkl"), "wb") as handle:
        pickle.dump(result, handle)


def _launch(worker, folder, *args, explicit: bool = True) -> list:
    """Run ``worker(rank, folder, *args)`` in 2 processes; return their results by rank."""
    # The first optimizer imports torch._dynamo (seconds): once here, not in every process.
    import torch._dynamo  # noqa: F401

    context = mp.start_processes(
        _entry,
        args=(worker, _free_port(), str(folder), explicit, args),
        nprocs=WORLD,
        join=False,
        start_method=START_METHOD,
    )
    deadline = time.monotonic() + JOB_DEADLINE
    try:
        while not context.join(timeout=0.5):  # raises when a process failed
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {WORLD}-process job did not end in {JOB_DEADLINE} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.terminate()
        for process in context.processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
    results = []
    for rank in range(WORLD):
        with open(os.path.join(folder, f"rank{rank}.pkl"), "rb") as handle:
            results.append(pickle.load(handle))
    return results


# -- models and data shared by the workers and the one-process references -------------------------


def _dense_model() -> Sequential:
    return Sequential([Input((4,)), Dense(8, activation="tanh"), Dense(1)])


def _lstm_model() -> Sequential:
    return Sequential([Input((None, 2)), LSTM(3), Dense(1)])


def _arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]]) + 0.1 * rng.normal(size=(n, 1))).astype(
        "float32"
    )
    return x, y


def _ragged(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    sequences = [rng.normal(size=(int(rng.integers(2, 7)), 2)).astype("float32") for _ in range(n)]
    y = np.array([[s[:, 0].sum()] for s in sequences], dtype="float32")
    return sequences, y


def _initial_weights(factory, seed: int) -> list[np.ndarray]:
    torch.manual_seed(seed)
    return factory().get_weights()


def _compiled(factory, weights, metrics=("mae",)) -> Sequential:
    model = factory()
    model.set_weights(weights)
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse", metrics=list(metrics))
    return model


def _max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(
        float(np.abs(np.asarray(u) - np.asarray(v)).max()) for u, v in zip(a, b, strict=True)
    )


# -- the workers (each runs in both processes) ----------------------------------------------------


def _training_worker(rank: int, folder: str, data: dict) -> dict:
    out: dict = {}
    # Different initial weights on purpose: DDP starts every process from process 0's.
    torch.manual_seed(100 + rank)
    model = _dense_model()
    if rank == 0:
        model.set_weights(data["w0"])
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    saves: list[int] = []
    save_weights = model.save_weights

    def counting_save(path, **kwargs):
        saves.append(rank)
        save_weights(path, **kwargs)

    model.save_weights = counting_save
    checkpoint = ModelCheckpoint(
        os.path.join(folder, "ckpt-{epoch}.weights.pt"), save_weights_only=True
    )
    csv_logger = CSVLogger(os.path.join(folder, "log.csv"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = model.fit(
            data["x"],
            data["y"],
            batch_size=16,
            epochs=2,
            validation_data=(data["xv"], data["yv"]),
            callbacks=[checkpoint, csv_logger],
            verbose=2,
        )
    out["history"] = history.history
    out["weights"] = model.get_weights()
    out["saves"] = saves
    out["printed"] = printed.getvalue()

    # evaluate / predict on every sample (an odd count: the shares differ by one).
    out["evaluate"] = model.evaluate(
        data["xe"], data["ye"], batch_size=16, verbose=0, return_dict=True
    )
    loader = DataLoader(TensorDataset(torch.tensor(data["xe"]), torch.tensor(data["ye"])), 8)
    out["evaluate_loader"] = model.evaluate(loader, verbose=0, return_dict=True)
    dataset = TensorDataset(torch.tensor(data["xe"]), torch.tensor(data["ye"]))
    out["evaluate_dataset"] = model.evaluate(dataset, batch_size=10, verbose=0, return_dict=True)
    out["predict"] = model.predict(data["xe"], batch_size=16, verbose=0)

    # A stop decided on one process only stops both: at a batch, and at an epoch end.
    def stop_at_batch(batch, logs):
        if rank == 1 and batch == 1:
            model.stop_training = True

    def stop_at_epoch_end(epoch, logs):
        if rank == 1:
            model.stop_training = True

    x, y = data["x"], data["y"]
    batch_stop = model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        verbose=0,
        callbacks=[LambdaCallback(on_train_batch_end=stop_at_batch)],
    )
    epoch_stop = model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        verbose=0,
        callbacks=[LambdaCallback(on_epoch_end=stop_at_epoch_end)],
    )
    # min_delta so large that no epoch improves: EarlyStopping stops after epoch 2.
    early = EarlyStopping(monitor="val_loss", min_delta=1e9, patience=1)
    early_stop = model.fit(
        x,
        y,
        batch_size=16,
        epochs=6,
        verbose=0,
        validation_data=(data["xv"], data["yv"]),
        callbacks=[early],
    )
    out["stopped_epochs"] = [len(h.history["loss"]) for h in (batch_stop, epoch_stop, early_stop)]
    out["weights_after_stops"] = model.get_weights()

    # Ragged sequences through an LSTM: DDP on the masked path, predictions in input order.
    torch.manual_seed(200 + rank)
    lstm = _lstm_model()
    if rank == 0:
        lstm.set_weights(data["lstm_w0"])
    lstm.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    lstm.fit(data["seqs"], data["seq_y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    out["lstm_weights"] = lstm.get_weights()
    out["lstm_predict"] = lstm.predict(data["seqs"], batch_size=4, verbose=0)

    # Data sharded by the user: a DistributedSampler is used as given (and told the epoch).
    dataset = TensorDataset(torch.tensor(data["x"]), torch.tensor(data["y"]))
    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    model.fit(DataLoader(dataset, batch_size=8, sampler=sampler), epochs=2, verbose=0)
    out["sampler_epoch"] = sampler.epoch
    out["weights_after_sampler"] = model.get_weights()
    # ... and inputs that give the processes different numbers of batches are refused.
    distribute.set_distribution(
        distribute.DataParallel(timeout=COLLECTIVE_TIMEOUT, auto_shard_dataset=False)
    )
    rows = 32 if rank == 0 else 24
    try:
        model.fit(data["x"][:rows], data["y"][:rows], batch_size=8, verbose=0)
    except ValueError as error:
        out["uneven_error"] = str(error)
    return out


def _fail_on_purpose(epoch, logs):
    if epoch == 2 and distribute.rank() == 1:
        raise RuntimeError("rank 1 failed on purpose at epoch 3")


def _resumable_worker(rank: int, folder: str, data: dict, fail: bool) -> dict:
    model = _compiled(_dense_model, data["w0"])
    callbacks = [BackupAndRestore(os.path.join(folder, "backup"))]
    if fail:
        callbacks.append(LambdaCallback(on_epoch_begin=_fail_on_purpose))
    history = model.fit(
        data["x"], data["y"], batch_size=16, epochs=4, shuffle=False, verbose=0, callbacks=callbacks
    )
    return {
        "epochs": history.epoch,
        "weights": model.get_weights(),
        "world": distribute.world_size(),
    }


# -- the multi-process tests ----------------------------------------------------------------------


def _training_data() -> dict:
    x, y = _arrays(71, 0)  # 71 = 35 + 35 + 1: one sample of the last batch is dropped
    xv, yv = _arrays(13, 1)
    xe, ye = _arrays(37, 2)
    seqs, seq_y = _ragged(10, 3)
    return {
        "x": x,
        "y": y,
        "xv": xv,
        "yv": yv,
        "xe": xe,
        "ye": ye,
        "seqs": seqs,
        "seq_y": seq_y,
        "w0": _initial_weights(_dense_model, 7),
        "lstm_w0": _initial_weights(_lstm_model, 8),
    }


def _reference_fit(data: dict) -> tuple[Sequential, dict]:
    """One process, the same global batches: each epoch's shared permutation without the one
    sample that does not split over 2 processes, in order, with the same validation."""
    model = _compiled(_dense_model, data["w0"])
    history: dict[str, list[float]] = {}
    n = len(data["x"])
    for epoch in range(2):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(SEED + epoch))
        kept = order[: n - n % WORLD].numpy()
        epoch_history = model.fit(
            data["x"][kept],
            data["y"][kept],
            batch_size=16,
            epochs=1,
            shuffle=False,
            verbose=0,
            validation_data=(data["xv"], data["yv"]),
        )
        for key, values in epoch_history.history.items():
            history.setdefault(key, []).extend(values)
    return model, history


def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path):
    data = _training_data()
    results = _launch(_training_worker, tmp_path, data)
    reference, reference_history = _reference_fit(data)

    # Weights after one fit (2 shuffled epochs, SGD) equal the one-process run's, on both.
    for out in results:
        assert _max_diff(out["weights"], reference.get_weights()) <= 1e-5
    # The History (loss, mae, val_loss, val_mae) is the same on both, and the one-process one.
    assert results[0]["history"].keys() == reference_history.keys()
    for key, values in reference_history.items():
        for out in results:
            np.testing.assert_allclose(out["history"][key], values, atol=1e-5, rtol=0)

    # Only process 0 printed and wrote the checkpoints and the CSV log.
    assert results[0]["saves"] == [0, 0] and results[1]["saves"] == []
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == [
        "ckpt-1.weights.pt",
        "ckpt-2.weights.pt",
    ]
    checkpoint = _dense_model()
    checkpoint.load_weights(tmp_path / "ckpt-2.weights.pt")
    assert _max_diff(checkpoint.get_weights(), reference.get_weights()) <= 1e-5
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,mae,val_loss,val_mae" and len(rows) == 3
    assert "Epoch 1/2" in results[0]["printed"] and "Epoch 2/2" in results[0]["printed"]
    assert results[1]["printed"] == ""

    # evaluate sums the states of both shares: the whole data's values, on both processes.
    expected = reference.evaluate(data["xe"], data["ye"], verbose=0, return_dict=True)
    for out in results:
        for key in ("evaluate", "evaluate_loader", "evaluate_dataset"):
            assert out[key].keys() == expected.keys()
            for name, value in expected.items():
                assert abs(out[key][name] - value) <= 1e-5, (key, name)
    # predict: every sample, in input order, on both processes.
    expected_predictions = reference.predict(data["xe"], verbose=0)
    for out in results:
        assert out["predict"].shape == expected_predictions.shape
        np.testing.assert_allclose(out["predict"], expected_predictions, atol=1e-5, rtol=0)

    # A stop on process 1 only (at a batch, at an epoch end) and EarlyStopping stop both at once.
    for out in results:
        assert out["stopped_epochs"] == [1, 1, 2]
    assert _max_diff(results[0]["weights_after_stops"], results[1]["weights_after_stops"]) == 0

    # A user's DistributedSampler: used as given, set_epoch called by fit.
    for out in results:
        assert out["sampler_epoch"] == 1
    assert _max_diff(results[0]["weights_after_sampler"], results[1]["weights_after_sampler"]) == 0
    for out in results:
        assert (
            "the processes have different numbers of batches per epoch ([4, 3], by rank)"
            in (out["uneven_error"])
        )

    # Ragged sequences (masked LSTM, batches in input order): the one-process weights.
    lstm = _compiled(_lstm_model, data["lstm_w0"], metrics=())
    lstm.fit(data["seqs"], data["seq_y"], batch_size=4, epochs=1, shuffle=False, verbose=0)
    lstm_predictions = lstm.predict(data["seqs"], batch_size=4, verbose=0)
    for out in results:
        assert _max_diff(out["lstm_weights"], lstm.get_weights()) <= 1e-5
        np.testing.assert_allclose(out["lstm_predict"], lstm_predictions, atol=1e-5, rtol=0)


def test_a_failing_process_ends_the_job_and_backup_and_restore_resumes_it(tmp_path):
    x, y = _arrays(64, 4)
    data = {"x": x, "y": y, "w0": _initial_weights(_dense_model, 9)}

    # 1. Process 1 raises at the start of epoch 3: the job ends (no hang) with its error.
    start = time.monotonic()
    with pytest.raises((mp.ProcessRaisedException, mp.ProcessExitedException)):
        _launch(_resumable_worker, tmp_path, data, True)
    assert time.monotonic() - start < JOB_DEADLINE
    assert "rank 1 failed on purpose at epoch 3" in (tmp_path / "rank1.error").read_text()
    assert (tmp_path / "backup" / "latest.backup.pt").exists()  # written after epoch 2

    # 2. The same script again (the launcher's environment alone, no set_distribution):
    # both processes resume at epoch 3 and end with the uninterrupted run's weights.
    results = _launch(_resumable_worker, tmp_path, data, False, explicit=False)
    reference = _compiled(_dense_model, data["w0"])
    reference.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    for out in results:
        assert out["world"] == WORLD
        assert out["epochs"] == [2, 3]
        assert _max_diff(out["weights"], reference.get_weights()) <= 1e-5
    assert not (tmp_path / "backup").exists()  # deleted by process 0 once training completed


# -- sharding and helpers, in this process --------------------------------------------------------


def _rows(batches) -> list[list[float]]:
    return [batch.x[:, 0].tolist() for batch in batches]


def _shares(data, world, batch_size, *, even, seed=0, **options):
    """Every process's ShardedAdapter of ``data`` (an InputData) served ``batch_size`` at a time
    with ``options`` (shuffle, keep_order)."""
    adapter = adapt(data, batch_size=batch_size, **options)
    return [ShardedAdapter(adapter, rank, world, even=even, seed=seed) for rank in range(world)]


def test_training_shares_are_equal_parts_of_the_global_batches():
    data = ArrayData(torch.arange(11.0)[:, None], torch.zeros(11))
    shares = _shares(data, 2, 4, even=True, seed=5)
    assert _rows(shares[0].batches()) == [[0, 1], [4, 5], [8]]
    assert _rows(shares[1].batches()) == [[2, 3], [6, 7], [9]]  # 10 dropped
    assert shares[0].num_batches() == 3
    # Shuffled: the same permutation on every process (seed + pass), a new one every pass.
    shares = _shares(data, 2, 4, even=True, seed=5, shuffle=True)  # pass 0
    first = [_rows(share.batches()) for share in shares]
    order = torch.randperm(11, generator=torch.Generator().manual_seed(5)).tolist()
    assert [a + b for a, b in zip(*first, strict=True)] == [order[0:4], order[4:8], order[8:10]]
    second = [_rows(share.batches()) for share in shares]
    assert second != first
    seen = sorted(v for part in second for batch in part for v in batch)
    assert len(seen) == 10 and len(set(seen)) == 10


def test_evaluation_shares_keep_every_sample_with_their_positions():
    data = ArrayData(torch.arange(7.0)[:, None], torch.zeros(7))
    shares = _shares(data, 3, 4, even=False)
    indexed = [list(share.indexed_batches()) for share in shares]
    positions = sorted(int(i) for part in indexed for index, _ in part for i in index)
    assert positions == list(range(7))
    for part in indexed:
        for index, batch in part:
            assert batch.x[:, 0].tolist() == [float(i) for i in index]
    # Global batches (0, 1, 2, 3) and (4, 5, 6): parts of sizes differing by at most one.
    assert _rows(shares[0].batches()) == [[0, 1], [4]]
    assert _rows(shares[2].batches()) == [[3], [6]]


def test_stream_batches_are_split_by_rows():
    def stream():
        for start in (0, 4, 8):
            yield (
                np.arange(start, start + (4 if start < 8 else 3), dtype="float32")[:, None],
                (np.zeros(4 if start < 8 else 3, dtype="float32")),
            )

    share = _shares(BatchStreamData(stream()), 2, 32, even=True)[1]
    assert _rows(share.batches()) == [[2, 3], [6, 7], [9]]
    share = _shares(BatchStreamData(stream()), 2, 32, even=False)[1]
    indexed = list(share.indexed_batches())
    assert [(i.start, i.stop) for i, _ in indexed] == [(2, 4), (6, 8), (10, 11)]

    def odd_stream():
        yield np.zeros((3, 1), dtype="float32"), np.zeros(3, dtype="float32")

    with pytest.raises(ValueError, match="yields batches of 3 samples and there are 2 processes"):
        list(_shares(BatchStreamData(odd_stream()), 2, 32, even=True)[0].batches())


def test_ragged_shares_use_the_same_length_buckets_on_every_process():
    sequences = [
        np.ones((length, 2), dtype="float32") * i
        for i, length in enumerate([3, 5, 2, 7, 4, 6, 3, 2, 5])
    ]
    data = RaggedData(sequences, np.zeros(9))
    shares = _shares(data, 2, 4, even=True, seed=3, shuffle=True, keep_order=False)
    batches = [list(share.batches()) for share in shares]
    # Global batches of 4, 4 and 1: the last one is too small to share and is dropped.
    assert len(batches[0]) == len(batches[1]) == 2
    ids = [int(b.x[row, 0, 0]) for part in batches for b in part for row in range(len(b.x))]
    assert len(ids) == 8 and len(set(ids)) == 8
    for a, b in zip(*batches, strict=True):
        assert len(a.x) == len(b.x)


def test_batch_size_must_divide_over_the_processes():
    check_global_batch_size(32, 4)
    with pytest.raises(
        ValueError,
        match=r"Global batch size must be divisible by the number of processes. "
        r"`batch_size`=30 and `num_processes`=4. .* use e.g. batch_size=32.",
    ):
        check_global_batch_size(30, 4)


def test_one_process_is_not_distributed(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distribute.active_distribution() is None
    assert distribute.world_size() == 1 and distribute.rank() == 0
    assert distribute.is_main_process() and not distribute.is_distributed()
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distribute.active_distribution() is None
    # A DataParallel set for a script that runs alone changes nothing either.
    distribute.set_distribution(distribute.DataParallel())
    try:
        assert distribute.active_distribution() is None
        model = _compiled(_dense_model, _initial_weights(_dense_model, 0))
        x, y = _arrays(8, 0)
        assert len(model.fit(x, y, batch_size=3, epochs=2, verbose=0).history["loss"]) == 2
    finally:
        distribute.set_distribution(None)


def test_set_distribution_checks_its_argument():
    with pytest.raises(TypeError, match="expects a kerastorch.distribute.DataParallel"):
        distribute.set_distribution("ddp")
    with pytest.raises(ValueError, match="expected timeout to be a positive number"):
        distribute.DataParallel(timeout=0)
    with pytest.raises(ValueError, match='expected backend to be None, "gloo"'):
        distribute.DataParallel(backend="tcp")
    strategy = distribute.DataParallel(seed=3)
    distribute.set_distribution(strategy)
    try:
        assert distribute.distribution() is strategy
    finally:
        distribute.set_distribution(None)


def test_initialize_without_a_launcher_says_how_to_start_one(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="torchrun --nproc_per_node=2"):
        distribute.initialize()


def test_metric_states_go_through_one_reduction():
    model = _compiled(_dense_model, _initial_weights(_dense_model, 0))
    x, y = _arrays(10, 0)
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    seen = []

    def double(flat):
        seen.append(flat.dtype)
        return flat * 2

    model.compiled.reduce_metric_states(double)
    # Totals and counts doubled together (as the sum over 2 identical shares): same means.
    assert seen == [torch.float64]
    assert model.compiled.loss_tracker.count.item() == 20
    after = model.compiled.results()
    for name, value in before.items():
        assert abs(after[name] - value) <= 1e-6


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
