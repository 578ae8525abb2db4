"""Lesson 1: k-nearest neighbours, the baseline every image classifier has to beat."""

from dataclasses import dataclass

from lessons.knn.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, knob, Lesson, Settings


@dataclass(frozen=True)
class KnnSettings(Settings):
    k: int = knob(5, "neighbours that vote on each image (at most the training-set size)", low=1)
    metric: str = knob("l2", "distance between images: l1 (Manhattan) or l2 (Euclidean)",
                       choices=("l1", "l2"))
    folds: int = knob(5, "cross-validation folds over the training split (0 = skip)", low=0, high=10,
                      words="0 or 2..10")
    k_choices: tuple[int, ...] = knob((1, 3, 5, 8, 10, 12, 15, 20),
                                      "values of k cross-validation compares", low=1)
    max_train: int = knob(5000, "use at most this many training images (memory grows with it)", low=1)
    max_test: int = knob(1000, "score at most this many validation and test images", low=1)

    def check(self) -> None:
        if self.folds == 1:
            raise BadInput("folds must be 0 (no cross-validation) or 2..10; got 1")

    def mine_uses(self) -> tuple[str, ...]:
        return ("compute_distances_no_loops", "predict_labels")


LESSON = Lesson(
    id="knn",
    title="k-nearest neighbours",
    summary="L1/L2 distances three ways, k by cross-validation, the classifier as a Keras model.",
    position=2,  # the notes' section 2, image classification
    settings=KnnSettings,
    keras_modules=("lessons.knn.model",),
    trains=False,
    highlights=HIGHLIGHTS,
)
