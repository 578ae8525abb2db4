"""Lesson: transfer learning (course section 7)."""

from dataclasses import dataclass

from lessons.transfer.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, knob, Lesson, Settings

STAGES = ("stage1", "stage2", "stage3")
BACKBONES = ("resnet8", "mobilenetv2")


@dataclass(frozen=True)
class TransferSettings(Settings):
    backbone: str = knob("resnet8", "resnet8, pretrained here on classes 0-4; or mobilenetv2, "
                         "pretrained on ImageNet (weights via Keras' cache; for cifar10)",
                         choices=BACKBONES)
    shots: tuple[int, ...] = knob((2, 5, 10, 20), "labelled images per new class: one point of "
                                  "the curve each", low=1, high=50)
    compare_at: int = knob(10, "the number of images per class (one of shots) where the three "
                           "modes are compared", low=1, high=50)
    repeats: int = knob(2, "draws of the few labelled images per point of the curve (the mean "
                        "is plotted: one draw is noisy)", low=1, high=20)
    cut: str = knob("stage1", "where the backbone ends: after stage1 (general strokes), "
                    "stage2 or stage3 (features made for the source classes)", choices=STAGES)
    source_images: int = knob(5000, "images of the source task to pretrain on, at most (0 = "
                              "all; the digits have about 540)", low=0)
    pretrain_epochs: int = knob(15, "passes over the source task (classes 0-4)", low=1, high=1000)
    pretrain_rate: float = knob(2e-3, "Adam's step while pretraining", above=0.0, high=1.0)
    epochs: int = knob(40, "passes over the few labelled images of the new task (classes 5-9)",
                       low=1, high=10_000)
    learning_rate: float = knob(3e-3, "Adam's step for the new head, and for training from "
                                "scratch", above=0.0, high=1.0)
    finetune_epochs: int = knob(20, "fine-tuning passes after the frozen run", low=1, high=10_000)
    finetune_rate: float = knob(3e-4, "Adam's step when fine-tuning: small, not to wreck what "
                                "the backbone learnt", above=0.0, high=1.0)
    width: float = knob(1.0, "the ResNet-8's width (1 = the CIFAR design's 16/32/64 filters)",
                        above=0.0, high=4.0)

    def check(self) -> None:
        if len(self.shots) < 2:
            raise BadInput(f"shots needs at least two sizes for a curve (e.g. 2,5,10); got "
                           f"{len(self.shots)}")
        if list(self.shots) != sorted(set(self.shots)):
            raise BadInput(f"shots must rise without repeats, e.g. 2,5,10,20; got "
                           f"{','.join(map(str, self.shots))}")
        if self.compare_at not in self.shots:
            raise BadInput(f"compare_at must be one of shots ({','.join(map(str, self.shots))}); "
                           f"got {self.compare_at}")


LESSON = Lesson(
    id="transfer",
    title="Transfer learning",
    summary="Reuse a network trained on one task for another with a handful of labels: frozen "
            "backbone, extracted features, fine-tuning, against training from scratch.",
    position=9.7,  # section 7's transfer learning, taught here once ResNet is known
    settings=TransferSettings,
    # Each splits into classes 0-4 to learn from and 5-9 to reuse it on. The claim that
    # transfer beats training from scratch needs more than the digits (the path says why).
    datasets=("digits", "fashion_mnist", "mnist", "cifar10"),
    highlights=HIGHLIGHTS,
)
