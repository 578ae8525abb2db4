"""The guided path through transfer learning: the three ways to reuse a pretrained backbone
on one draw of ten images per new digit, then the backbone cut later. Each run pretrains
for 8 epochs and compares the modes at 2 and 10 images per digit, one draw each: about a
minute on 2 CPU cores.

On the embedded digits transfer does not beat training from scratch at 10 images per digit
(the notes say why), so that claim is checked on Fashion-MNIST, the last experiment: it
needs the dataset (the network, or its four files in Keras' cache) and takes about two
minutes: a bigger source task, 10,000 images pretrained for 3 epochs."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, finite,
    MissingMetric, number, ordered, Predict, Read, scalar, value)

QUICK = {"shots": (2, 10), "compare_at": 10, "repeats": 1, "pretrain_epochs": 8, "epochs": 25,
         "finetune_epochs": 10}
# Fashion-MNIST: clothes 0-4 (t-shirt, trouser, pullover, dress, coat) teach the backbone,
# 5-9 (sandal, shirt, sneaker, bag, ankle boot) are the new task. Cut after stage 2: the
# clothes share more than strokes, and the 28x28 maps are still 14x14 there.
FASHION = {"shots": (2, 10), "compare_at": 10, "repeats": 3, "cut": "stage2",
           "source_images": 10_000, "pretrain_epochs": 3, "finetune_epochs": 10}
AGREEMENT = 0.02  # (1) frozen and (2) features: the same updates, within 2 points


def _entry(metrics, name: str, key: str) -> float:
    """metrics[name][key]: one mode's count or timing, one stage's accuracy."""
    found = value(metrics, name)
    if not isinstance(found, dict) or found.get(key) is None:
        raise MissingMetric(f"{name}.{key}")
    return finite(f"{name}.{key}", found[key])


def frozen_agrees_with_features(metrics):
    frozen = scalar(metrics, "frozen_test_accuracy")
    features = scalar(metrics, "features_test_accuracy")
    off = abs(frozen - features)
    return off <= AGREEMENT, (f"(1) frozen {number(frozen)}, (2) features {number(features)}: "
                              f"{number(off)} apart (at most {number(AGREEMENT)})")


def head_alone_trains(metrics):
    frozen = _entry(metrics, "trainable_weights", "(1) frozen")
    features = _entry(metrics, "trainable_weights", "(2) features")
    scratch = _entry(metrics, "trainable_weights", "from scratch")
    holds = frozen == features < scratch
    return holds, (f"trainable weights: (1) frozen {number(int(frozen))}, (2) features "
                   f"{number(int(features))}, from scratch {number(int(scratch))}")


def features_epochs_faster(metrics):
    frozen = _entry(metrics, "seconds_per_epoch", "(1) frozen")
    features = _entry(metrics, "seconds_per_epoch", "(2) features")
    speedup = frozen / max(features, 1e-9)
    return speedup > 1.0, (f"an epoch of (1) frozen {number(frozen)} s, of (2) features "
                           f"{number(features)} s: {speedup:.1f}x faster")


def later_cut_scores_lower(metrics):
    here = scalar(metrics, "features_test_accuracy")
    stage1 = _entry(metrics, "accuracy_by_cut", "stage1")
    return here < stage1, (f"head on the features of this cut {number(here)} < head on stage1's "
                           f"{number(stage1)} (same images)")


STEPS = (
    Read("The two tasks", "The two tasks"),
    Read("Three ways to reuse a network", "Three ways to reuse a network"),
    Predict(
        "Frozen backbone or stored features",
        "(1) trains a new head through the frozen backbone, running every image through it "
        "each epoch; (2) runs the backbone once, stores the feature vectors and trains the same "
        "head on them, from the same starting weights. How will their test accuracies compare?",
        ("(1) higher: it sees the images, not stored copies", "The same, within a couple of "
         "points", "(2) higher: nothing runs between it and the data"),
        1,
        "A frozen backbone in inference mode computes the same function every epoch, so the head "
        "receives exactly the inputs it would get from the stored features: the same updates, "
        "the same head. (2) only saves running the backbone each epoch, at the price of no data "
        "augmentation.",
        settled_by=4,
    ),
    Experiment(
        "The three ways, backbone cut after stage 1",
        QUICK,
        (
            Claim("(1) frozen backbone and (2) extracted features agree within 2 points of test "
                  "accuracy",
                  frozen_agrees_with_features,
                  "The two heads no longer start from the same weights or see the same batches, "
                  "or a BatchNormalization layer of the backbone was left trainable (its statistics "
                  "moving) while (1) trained"),
            Claim("(1) and (2) train the same weights, the head's alone: fewer than training "
                  "the same network from scratch",
                  head_alone_trains,
                  "The backbone was left trainable in (1), so its weights count (and move) too; "
                  "or the cut was changed, which changes every count but not their order"),
            Claim("An epoch on stored features is faster than an epoch through the frozen backbone",
                  features_epochs_faster,
                  "These are wall-clock timings on a shared machine: on 8x8 digits the backbone "
                  "is cheap, so the gain is modest, and another program busy at the same moment "
                  "can hide it; run it again"),
        ),
        look_for="The line comparing the modes at 10 images per digit: (1) and (2) side by side, "
                 "how much faster (2)'s epochs are, then fine-tuning and training from scratch.",
    ),
    Read("Which layers transfer", "Which layers transfer"),
    Predict(
        "Cut the backbone later",
        "Cut the backbone after stage 3 instead of stage 1: its features are deeper, but were "
        "shaped to tell digits 0-4 apart. How will a head on them score on digits 5-9?",
        ("Higher: deeper features are richer", "The same: the backbone is the same network",
         "Lower than a head on stage 1's features"),
        2,
        "Early layers compute general strokes that serve any digit; stage 3 computes features "
        "made for the source classes, 0-4, and tells 5-9 apart less well. The closer the new "
        "task to the old, the later one can cut.",
        settled_by=7,
    ),
    Experiment(
        "The backbone cut after stage 3",
        {**QUICK, "cut": "stage3"},
        (
            Claim("A head on stage 3's features scores below one on stage 1's, for the same "
                  "images of digits 5-9",
                  later_cut_scores_lower,
                  "With one draw of 10 images per digit, 180 test images and few epochs the two "
                  "can come close; another seed draws other images; or the cut is no longer stage3"),
            compares("finetune_bn_moving_mean_change", "==", 0.0,
                     "Fine-tuning the top block leaves every BatchNorm moving mean where "
                     "pretraining left it (largest change 0)",
                     "A BatchNormalization layer of the backbone was unfrozen for fine-tuning: "
                     "Keras 3 runs a trainable one in training mode inside fit, training=False on "
                     "the backbone's call or not, so it updated its averages from a handful of new "
                     "images"),
        ),
        look_for="accuracy_by_cut (a head on each stage's features, the same images), and how "
                 "many fewer weights the head trains here.",
    ),
    Compare(
        "Cut after stage 1 against stage 3",
        (4, 7),
        ("frozen_test_accuracy", "features_test_accuracy", "finetune_test_accuracy",
         "scratch_test_accuracy", "features_speedup_per_epoch"),
        "Cut after stage 1, the frozen and the features head score higher than cut after stage "
        "3: general features transfer, specialised ones less. And on these easy 8x8 digits "
        "training from scratch keeps up with transfer, or comes out ahead: the data, not the "
        "method (the notes' last section says why).",
    ),
    Read("What the curve shows on the digits", "What the curve shows on the digits"),
    Predict(
        "A bigger source, a harder new task",
        "On Fashion-MNIST the backbone pretrains on 10,000 28x28 images of t-shirts, trousers, "
        "pullovers, dresses and coats; the new task is sandals, shirts, sneakers, bags and ankle "
        "boots, 10 labelled images each. Transfer against training from scratch?",
        ("About the same, as on the digits", "Scratch ahead: the clothes are not shoes or bags",
         "Transfer ahead by several points"),
        2,
        "The source task is now large and varied enough to teach edges, textures and shapes "
        "that 50 images cannot, and the new task is hard for 50 images: that is when transfer "
        "pays. A shirt also shares much with a t-shirt and a pullover.",
        settled_by=11,
    ),
    Experiment(
        "Transfer on Fashion-MNIST",
        FASHION,
        (
            ordered("scratch_test_accuracy", "<", "transfer_test_accuracy",
                    "With 10 labelled images per class, the pretrained backbone beats the same "
                    "network trained from scratch (mean of 3 draws)",
                    "Three draws of 50 images are few: another seed draws others and the two can "
                    "come close; or pretraining was cut short (source_test_accuracy far below "
                    "0.9), so the backbone knows little the pixels do not",
                    labels=("from scratch", "transfer")),
            Claim("(1) frozen backbone and (2) extracted features agree within 2 points of test "
                  "accuracy, here too",
                  frozen_agrees_with_features,
                  "The two heads no longer start from the same weights or see the same batches, "
                  "or a BatchNormalization layer of the backbone was left trainable while (1) "
                  "trained"),
        ),
        look_for="The pretraining line (its accuracy on the clothes), then the curve: 2 and 10 "
                 "images per class, transfer against scratch.",
        dataset="fashion_mnist",
    ),
    Compare(
        "The digits against Fashion-MNIST",
        (4, 11),
        ("source_test_accuracy", "transfer_test_accuracy", "scratch_test_accuracy",
         "features_speedup_per_epoch"),
        "On the digits the two stay within noise of each other; on Fashion-MNIST transfer leads "
        "by several points. The method did not change: the source task grew and the new task "
        "got harder for its 50 images.",
    ),
    ExerciseStep(
        "Build the transfer model",
        "build_transfer_model: a new softmax head on a pretrained backbone called with "
        "training=False, the backbone frozen, or fine-tuned from a named layer on with every "
        "BatchNormalization layer kept frozen: 'workbench exercises start transfer', then "
        "'workbench check transfer'.",
    ),
)
