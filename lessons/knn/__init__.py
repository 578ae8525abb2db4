"""Lesson 1: k-nearest neighbours, the baseline every image classifier has to beat."""

from workbench.errors import BadInput
from workbench.params import Param
from workbench.registry import Lesson, read_notes



def _check(values: dict) -> None:
    if values["folds"] == 1:
        raise BadInput("folds must be 0 (no cross-validation) or 2..10; got 1")


LESSON = Lesson(
    id="knn",
    title="k-nearest neighbours",
    summary="L1/L2 distances three ways, k by cross-validation, the classifier as a Keras model.",
    params=(
        Param("k", int, 5, "neighbours that vote on each image (at most the training-set size)", low=1),
        Param("metric", str, "l2", "distance between images: l1 (Manhattan) or l2 (Euclidean)",
              choices=("l1", "l2")),
        Param("folds", int, 5, "cross-validation folds over the training split (0 = skip)",
              low=0, high=10),
        Param("k_choices", int, (1, 3, 5, 8, 10, 12, 15, 20), "values of k cross-validation compares",
              low=1, many=True),
        Param("max_train", int, 5000, "use at most this many training images (memory grows with it)",
              low=1),
        Param("max_test", int, 1000, "score at most this many validation and test images", low=1),
    ),
    notes=read_notes(__name__),
    entry="lessons.knn.lesson:run",
    keras_modules=("lessons.knn.model",),
    check=_check,
    trains=False,
)
