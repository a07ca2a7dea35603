"""Linear tasks: the built-in data of each loss and your own arrays, checked in one line."""

from __future__ import annotations

import numpy as np
import pytest

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.experiments import make_seed_data
from wdtheory.numeric.tasks import TASKS, LinearTask, make_task


@pytest.mark.parametrize("loss", TASKS)
def test_a_built_in_task_has_one_data_set_per_seed(loss):
    task = make_task(loss, 3, seed=5)
    S, rows, d = task.X.shape
    assert S == 3 and task.y.shape == (3, rows) and 0 < task.n_train < rows
    assert task.init.shape == (3, task.outputs * (d + 1))
    assert (task.init[:, -task.outputs :] == 0).all()  # the bias starts at 0
    assert not np.array_equal(task.X[0], task.X[1])  # each seed its own draw
    again = make_task(loss, 3, seed=5)
    np.testing.assert_array_equal(again.X, task.X)
    if loss != "squared_error":
        labels = np.unique(task.y)
        np.testing.assert_array_equal(labels, np.arange(task.outputs if loss == "softmax" else 2))


def test_the_squared_error_task_is_the_seed_experiment():
    task, data = make_task("squared_error", 2), make_seed_data(2)
    np.testing.assert_array_equal(task.X_train, data.X_train)
    np.testing.assert_array_equal(task.y_val, data.y_val)
    np.testing.assert_array_equal(task.init[:, :-1], data.w0)


def test_your_arrays_are_shared_by_every_seed():
    rng = np.random.default_rng(0)
    X, Xv = rng.standard_normal((8, 3)), rng.standard_normal((4, 3))
    task = LinearTask.from_arrays("softmax", X, [0, 1, 2, 1, 0, 2, 1, 0], Xv, [2, 1, 0, 0], seeds=2)
    assert task.outputs == 3 and task.n_train == 8 and task.seeds == 2
    np.testing.assert_array_equal(task.X_val[1], Xv)
    assert not np.array_equal(task.init[0], task.init[1])  # the seeds differ in their start


@pytest.mark.parametrize(
    ("loss", "arrays", "fragment"),
    [
        ("hinge", None, "hinge"),
        ("squared_error", {"X": np.zeros(3)}, "X must be a non-empty 2-D"),
        ("squared_error", {"y": [1.0, np.nan, 0.0, 1.0]}, "y must be"),
        ("squared_error", {"y": [1.0, 2.0]}, "do not fit together"),
        ("squared_error", {"X_val": np.zeros((2, 5))}, "do not fit together"),
        ("logistic", {"y": [0.0, 1.0, 2.0, 1.0]}, "labels 0 and 1"),
        ("softmax", {"y": [0.0, 0.5, 1.0, 1.0]}, "class labels"),
        ("softmax", {"y": [0.0, -1.0, 1.0, 1.0]}, "class labels"),
    ],
)
def test_bad_arrays_are_one_line_errors(loss, arrays, fragment):
    given = {
        "X": np.zeros((4, 2)),
        "y": [0.0, 1.0, 1.0, 0.0],
        "X_val": np.zeros((2, 2)),
        "y_val": [1.0, 0.0],
    }
    given.update(arrays or {})
    with pytest.raises(WdtheoryError) as info:
        LinearTask.from_arrays(loss, given["X"], given["y"], given["X_val"], given["y_val"])
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_task_of_another_number_of_seeds_is_refused():
    with pytest.raises(WdtheoryError, match="3 seeds"):
        make_task(make_task("logistic", 3), 2)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"n_train": 120}, "n_train=120"),
        ({"n_train": 0}, "n_train=0"),
        ({"init": np.zeros((2, 200))}, "init must have shape"),
        ({"outputs": 0}, "outputs=0"),
        ({"X": np.zeros((2, 120, 200), dtype=np.float32)}, "X must be float64"),
    ],
)
def test_a_task_the_kernel_would_read_out_of_bounds_is_refused(change, fragment):
    import dataclasses

    with pytest.raises(WdtheoryError, match=fragment.replace("(", r"\(")):
        dataclasses.replace(make_task("squared_error", 2), **change)


def test_softmax_labels_past_the_outputs_are_refused():
    import dataclasses

    task = make_task("softmax", 1)
    with pytest.raises(WdtheoryError, match="past outputs=4"):
        dataclasses.replace(task, y=np.where(task.y == 3, 7.0, task.y))


@pytest.mark.parametrize(("name", "value"), [("seeds", 0), ("seeds", 2.5), ("seed", -1)])
def test_from_arrays_checks_its_counts(name, value):
    with pytest.raises(WdtheoryError, match=f"{name} must be an integer"):
        LinearTask.from_arrays(
            "squared_error",
            np.zeros((4, 2)),
            np.zeros(4),
            np.zeros((2, 2)),
            np.zeros(2),
            **{name: value},
        )


def test_a_huge_class_label_is_refused_before_anything_is_allocated():
    with pytest.raises(WdtheoryError, match="at most the number of rows"):
        LinearTask.from_arrays(
            "softmax", np.zeros((4, 2)), [0.0, 1.0, 1e9, 0.0], np.zeros((2, 2)), [0.0, 1.0]
        )
