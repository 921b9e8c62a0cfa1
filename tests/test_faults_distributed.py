"""Issue 14, item 8: processes of a torchrun job that hold different amounts of data fail at once,
on every process, with the sizes (they used to desynchronise and hang until the collective
timeout, 30 minutes by default, before an opaque gloo error; evaluate and predict gave wrong
values silently).

Two CPU processes with gloo on loopback, launched as tests/test_distributed.py launches them
(bounded: a short collective timeout, a deadline on the whole job, children always ended).
"""

from __future__ import annotations

import numpy as np

from kerastorch import distribute
from tests.test_distributed import (
    _arrays,
    _compiled,
    _dense_model,
    _initial_weights,
    _launch,
    _max_diff,
)

COLLECTIVE_TIMEOUT = 20.0  # a hang (the old behaviour) fails the job after this, not 30 minutes


def _uneven_worker(rank: int, folder: str, w0: list[np.ndarray]) -> dict:
    distribute.set_distribution(
        distribute.DataParallel(backend="gloo", timeout=COLLECTIVE_TIMEOUT, seed=0)
    )
    model = _compiled(_dense_model, w0)
    same_x, same_y = _arrays(64, 0)
    x, y = _arrays(64 if rank == 0 else 48, 0)  # e.g. each process read its own file
    out: dict = {}

    def attempt(name, call):
        try:
            call()
            out[name] = "no error"
        except ValueError as error:
            out[name] = str(error)

    attempt("fit", lambda: model.fit(x, y, batch_size=16, verbose=0))
    attempt(
        "validation",
        lambda: model.fit(same_x, same_y, batch_size=16, verbose=0, validation_data=(x, y)),
    )
    attempt("evaluate", lambda: model.evaluate(x, y, batch_size=16, verbose=0))
    attempt("predict", lambda: model.predict(x, batch_size=16, verbose=0))
    batch_size = 16 if rank == 0 else 32
    attempt("batch_size", lambda: model.fit(same_x, same_y, batch_size=batch_size, verbose=0))
    # The refusals left the processes in step, and the model as it was: the same data trains.
    history = model.fit(same_x, same_y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    out["loss"] = history.history["loss"]
    out["weights"] = model.get_weights()
    return out


def test_processes_holding_different_data_fail_at_once_with_the_sizes(tmp_path):
    w0 = _initial_weights(_dense_model, 11)
    results = _launch(_uneven_worker, tmp_path, w0, explicit=False)

    advice = "DataParallel(auto_shard_dataset=False)"
    expected = {
        "fit": "fit(x): the processes hold different amounts of data: samples [64, 48], "
        "batches [4, 3] (by rank).",
        "validation": "fit(validation_data): the processes hold different amounts of data: "
        "samples [64, 48], batches [4, 3] (by rank).",
        "evaluate": "evaluate(x): the processes hold different amounts of data: samples "
        "[64, 48], batches [4, 3] (by rank).",
        "predict": "predict(x): the processes hold different amounts of data: samples [64, 48], "
        "batches [4, 3] (by rank).",
        "batch_size": "fit(x): the processes hold different amounts of data: batches [4, 2], "
        "batch_size [16, 32] (by rank).",
    }
    for name, start in expected.items():
        for out in results:  # the same error on every process
            assert out[name].startswith(start), (name, out[name])
            assert advice in out[name]
        assert results[0][name] == results[1][name]

    # Then a fit on the same data everywhere is the one-process fit of the same global batches.
    reference = _compiled(_dense_model, w0)
    same_x, same_y = _arrays(64, 0)
    expected_loss = reference.fit(
        same_x, same_y, batch_size=16, epochs=2, shuffle=False, verbose=0
    ).history["loss"]
    for out in results:
        np.testing.assert_allclose(out["loss"], expected_loss, atol=1e-5, rtol=0)
        assert _max_diff(out["weights"], reference.get_weights()) <= 1e-5
