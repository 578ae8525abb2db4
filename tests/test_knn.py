"""The kNN lesson against independent references: SciPy distances, scikit-learn's classifier."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.neighbors import KNeighborsClassifier

import workbench
from lessons.knn import distances
from lessons.knn import KnnSettings
from lessons.knn.lesson import cross_validate, timing_rows, vote
from workbench.errors import BadInput
from workbench.running import events
from workbench.running.data import load_images
from workbench.running.quiet import import_tensorflow
from tests.conftest import kept_files, recorded_outcomes

import_tensorflow()
import keras  # noqa: E402

from lessons.knn.model import build_knn, predict_batch_size  # noqa: E402

SCIPY_NAME = {"l1": "cityblock", "l2": "euclidean"}
SKLEARN_NAME = {"l1": "manhattan", "l2": "euclidean"}


@pytest.mark.parametrize("metric", ["l1", "l2"])
@pytest.mark.parametrize("name", list(distances.IMPLEMENTATIONS))
def test_each_distance_implementation_matches_scipy(name, metric):
    rng = np.random.default_rng(1)
    test, train = rng.normal(size=(7, 12)), rng.normal(size=(30, 12))
    got = distances.IMPLEMENTATIONS[name](test, train, metric)
    np.testing.assert_allclose(got, cdist(test, train, SCIPY_NAME[metric]), rtol=1e-10, atol=1e-10)


def test_l1_no_loops_chunks_give_the_same_matrix():
    rng = np.random.default_rng(2)
    test, train = rng.normal(size=(300, 200)), rng.normal(size=(400, 200))  # > one chunk
    np.testing.assert_allclose(distances.no_loops(test, train, "l1"), cdist(test, train, "cityblock"))


def test_vote_breaks_ties_towards_the_smallest_class():
    labels = np.array([[2, 1, 1, 2], [3, 0, 3, 0], [4, 4, 4, 1]])
    assert vote(labels, 5).tolist() == [1, 0, 4]


def keras_knn_predict(x_train, y_train, x_test, k, metric, classes):
    model = build_knn(x_train.shape[1:], classes, len(x_train), k, metric)
    model.get_layer("knn").remember(x_train.reshape(len(x_train), -1), y_train)
    batch = predict_batch_size(len(x_train), x_train[0].size, metric)
    return np.argmax(model.predict(x_test, batch_size=batch, verbose=0), axis=1)


@pytest.mark.parametrize("metric", ["l1", "l2"])
@pytest.mark.parametrize("k", [1, 4, 7])
def test_keras_knn_equals_sklearn_brute_force_on_continuous_data(k, metric):
    rng = np.random.default_rng(k)
    x_train, x_test = rng.random((300, 20)).astype("float32"), rng.random((120, 20)).astype("float32")
    y_train = rng.integers(0, 5, 300)
    ours = keras_knn_predict(x_train, y_train, x_test, k, metric, 5)
    reference = KNeighborsClassifier(k, algorithm="brute", metric=SKLEARN_NAME[metric])
    np.testing.assert_array_equal(ours, reference.fit(x_train, y_train).predict(x_test))


@pytest.mark.parametrize("metric", ["l1", "l2"])
def test_keras_knn_equals_sklearn_on_digits_except_distance_ties(metric):
    """Digit pixels are integers, so neighbours at exactly equal distance are common. Where
    the k-th and (k+1)-th nearest tie, either choice is right; everywhere else we must agree."""
    data, k = load_images("digits"), 5
    x_train, x_test = data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1)
    ours = keras_knn_predict(data.x_train, data.y_train, data.x_test, k, metric, 10)
    theirs = KNeighborsClassifier(k, algorithm="brute", metric=SKLEARN_NAME[metric]) \
        .fit(x_train, data.y_train).predict(x_test)
    d = np.sort(cdist(x_test.astype("float64"), x_train.astype("float64"), SCIPY_NAME[metric]), axis=1)
    tied = np.isclose(d[:, k - 1], d[:, k])
    assert np.mean(ours == theirs) > 0.99
    assert np.all((ours == theirs) | tied)


def test_cross_validation_matches_sklearn_on_the_same_folds():
    data = load_images("digits")
    x = data.x_train.reshape(len(data.x_train), -1).astype("float64")
    params = KnnSettings(folds=4, k_choices=(1, 3, 9), metric="l2", k=3)
    collected = {}

    class Ctx:
        seed = 7

        def metric(self, name, value):
            collected[name] = value

        stage = progress = log = lambda self, *a, **kw: None

    cross_validate(Ctx(), x, data.y_train, params, 10)
    order = np.random.default_rng(7).permutation(len(x))
    for k in (1, 3, 9):
        scores = []
        for held in np.array_split(order, 4):
            kept = np.setdiff1d(order, held)
            model = KNeighborsClassifier(k, algorithm="brute").fit(x[kept], data.y_train[kept])
            scores.append(model.score(x[held], data.y_train[held]))
        assert collected["cv_accuracy"][str(k)]["mean"] == pytest.approx(np.mean(scores), abs=0.01)
    best = max((1, 3, 9), key=lambda k: collected["cv_accuracy"][str(k)]["mean"])
    assert collected["cv_best_k"] == best


def test_default_run_reaches_097_and_reloads_with_plain_keras(models_dir):
    seen = []
    result = workbench.run("knn", seed=0, on_event=seen.append)
    m = result.metrics
    assert m["test_accuracy"] >= 0.97
    assert 0 <= m["val_accuracy"] <= 1 and 0 <= m["train_accuracy"] <= 1
    assert set(m["distance_seconds"]) == {"two_loops", "one_loop", "no_loops"}
    assert m["distance_difference"] < 1e-9
    assert set(m["cv_accuracy"]) == {"1", "3", "5", "8", "10", "12", "15", "20"}
    assert result.model_path == str(models_dir / "knn.h5") and result.device == "CPU"

    model = keras.models.load_model(result.model_path)
    data = load_images("digits")
    predicted = np.argmax(model.predict(data.x_test, verbose=0), axis=1)
    assert np.mean(predicted == data.y_test) == pytest.approx(m["test_accuracy"])
    kinds = {type(e) for e in seen}
    assert {events.Stage, events.Progress, events.Metric, events.Log, events.Picture, events.Artifact} <= kinds
    picture = next(e for e in seen if isinstance(e, events.Picture))
    assert len(picture.images) == 4 * 6 and len(picture.images[0]) == 8
    # The fourth row is the first test image the vote got wrong, captioned with its mistake.
    first_wrong = int(np.flatnonzero(predicted != data.y_test)[0])
    assert first_wrong > 2 and picture.captions[0::6] == ["test", "test", "test",
                                                          f"as {predicted[first_wrong]}"]
    np.testing.assert_allclose(picture.images[18], data.x_test[first_wrong, ..., 0], atol=1e-6)


def test_same_seed_same_metrics_other_seed_other_folds(models_dir):
    def stable(r):  # what does not depend on the machine's speed
        return {k: v for k, v in r.metrics.items()
                if not k.endswith("seconds") and k != "distance_timing_rows"}

    first = workbench.run("knn", seed=3, folds=3)
    again = workbench.run("knn", seed=3, folds=3)
    other = workbench.run("knn", seed=4, folds=3)
    assert stable(first) == stable(again)
    assert first.metrics["cv_accuracy"] != other.metrics["cv_accuracy"]


def test_l1_run_and_no_cross_validation(models_dir):
    result = workbench.run("knn", metric="l1", k=1, folds=0, out=str(models_dir / "l1.h5"))
    assert "cv_accuracy" not in result.metrics
    assert result.metrics["train_accuracy"] == 1.0  # every image is its own nearest neighbour
    assert result.metrics["test_accuracy"] >= 0.95


@pytest.mark.parametrize("params, message", [
    ({"k": 5000}, "k must be in 1..1078 (the training-set size); got 5000"),
    ({"k": 0}, "k must be >= 1; got 0"),
    ({"folds": 1}, "folds must be 0 (no cross-validation) or 2..10; got 1"),
    ({"metric": "cosine"}, "metric must be one of l1, l2; got 'cosine'"),
])
def test_bad_parameters_are_refused_and_nothing_is_saved(models_dir, params, message):
    with pytest.raises(BadInput) as err:
        workbench.run("knn", **params)
    assert str(err.value) == message
    assert kept_files(models_dir) == []


def test_cancel_stops_the_run_and_saves_nothing(models_dir):
    import threading

    from workbench.errors import Cancelled

    cancel = threading.Event()

    def cancel_at_cross_validation(event):
        if isinstance(event, events.Stage) and event.name == "cross-validation":
            cancel.set()

    with pytest.raises(Cancelled):
        workbench.run("knn", on_event=cancel_at_cross_validation, cancel=cancel)
    assert kept_files(models_dir) == []
    assert recorded_outcomes(models_dir) == [("knn", "cancelled", None)]


class Clock:
    """A stand-in for time.perf_counter: each two-loop row costs `per_pair` seconds per
    training image, whatever the machine, so the rows chosen follow from the budget alone."""

    def __init__(self, per_pair: float):
        self.now, self.per_pair = 0.0, per_pair

    def perf_counter(self) -> float:
        return self.now

    def two_loops(self, test, train, metric):
        self.now += self.per_pair * len(test) * len(train)
        return np.zeros((len(test), len(train)))


@pytest.mark.parametrize("per_pair", [1e-8, 2e-5, 1e-4, 4e-4, 1e-3, 1e-2])
def test_the_two_loop_timing_takes_as_many_rows_as_the_budget_allows(monkeypatch, per_pair):
    from lessons.knn import lesson

    clock = Clock(per_pair)
    monkeypatch.setattr(lesson.time, "perf_counter", clock.perf_counter)
    monkeypatch.setattr(lesson.distances, "two_loops", clock.two_loops)
    test, train = np.zeros((200, 4)), np.zeros((1_000, 4))
    rows = timing_rows(test, train, "l2")
    per_row = per_pair * len(train)
    expected = max(1, min(lesson.TIMING_ROWS, len(test), int(lesson.TIMING_BUDGET_S // per_row)))
    assert rows == expected
    assert rows == 1 or rows * per_row <= lesson.TIMING_BUDGET_S  # the budget respected


def test_the_two_loop_timing_takes_fewer_rows_when_each_costs_more():
    # On the real clock: a row over 600 times more training images never gets more rows,
    # however fast the machine (how many exactly is the budget's business, above).
    rng = np.random.default_rng(0)
    test = rng.random((200, 64))
    small, large = rng.random((100, 64)), rng.random((60_000, 64))
    few, many = timing_rows(test, large, "l2"), timing_rows(test, small, "l2")
    assert 1 <= few <= many


def test_a_knn_model_saved_before_the_norms_were_kept_is_named_as_such(tmp_path):
    """knn.h5 files saved before the layer kept ||m||^2 (two weights): the metadata still
    reads, and loading says why it cannot, in one line."""
    import h5py

    from tests.conftest import one_line_error, run_cli

    proc = run_cli("run", "knn", "--set", "folds=0", "--set", "max_train=200", "--quiet",
                   "--models-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    with h5py.File(tmp_path / "knn.h5", "r+") as f:  # as the earlier version wrote it
        layer = f["model_weights/knn"]
        del layer["knn/squared_norms"]
        layer.attrs["weight_names"] = [n for n in layer.attrs["weight_names"]
                                       if n != "knn/squared_norms"]
    assert run_cli("inspect", str(tmp_path / "knn.h5")).returncode == 0
    proc = run_cli("anatomy", str(tmp_path / "knn.h5"))
    assert proc.returncode == 2
    assert one_line_error(proc) == (
        f"workbench: error: '{tmp_path / 'knn.h5'}' was saved by an earlier version of the 'knn' "
        "lesson, whose model kept other weights; its metadata still reads (workbench inspect), "
        "and 'workbench run knn' saves a model this version loads")
