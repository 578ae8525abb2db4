"""The guided path through kNN: k = 1 remembers, a larger k votes, k is chosen on held-out
data. Each experiment runs in a few seconds on the digits."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Exercise, Experiment, Predict, Read, compares

SPEEDUP = 5  # no loops against two loops: orders of magnitude in the notes, 5x at the least
AGREEMENT = 0.03  # cross-validation and the validation split, for the same k


def _entry(metrics, name: str, *keys: str):
    """metrics[name][key]...: a nested metric (kNN's timings, its cross-validation table)."""
    found = guide.value(metrics, name)
    for key in keys:
        if not isinstance(found, dict) or found.get(key) is None:
            raise guide.MissingMetric(".".join((name, *keys)))
        found = found[key]
    return float(found)


def no_loops_faster(metrics):
    two = _entry(metrics, "distance_seconds", "two_loops")
    none = _entry(metrics, "distance_seconds", "no_loops")
    speedup = two / max(none, 1e-9)
    return speedup >= SPEEDUP, (f"two loops {number(two)} s, no loops {number(none)} s: "
                                f"{speedup:.0f}x faster (at least {SPEEDUP}x)")


def held_out_below_memory(metrics):
    held_out = _entry(metrics, "cv_accuracy", "1", "mean")
    train = float(guide.value(metrics, "train_accuracy"))
    return held_out < train, (f"k = 1: held-out folds {number(held_out)} < training images "
                              f"{number(train)}")


def cv_agrees_with_validation(metrics):
    held_out = _entry(metrics, "cv_accuracy", "1", "mean")
    val = float(guide.value(metrics, "val_accuracy"))
    off = abs(held_out - val)
    return off <= AGREEMENT, (f"k = 1: cross-validation {number(held_out)}, validation split "
                              f"{number(val)}, {number(off)} apart (at most {number(AGREEMENT)})")


STEPS = (
    Read("Choosing k without cheating", "Choosing k without cheating",
         title_zh="不作弊地选择 k", section_zh="不作弊地选择 k"),
    Predict(
        "k = 1 on its own training images",
        "With k = 1, what share of the training images does kNN classify right?",
        ("All of them: 1.0", "About as many as of the test images", "Fewer than of the test images"),
        0,
        "Every training image is stored, and its nearest stored image is itself, at distance "
        "0: it votes for its own label. Training accuracy 1.0 measures memory, not learning.",
        settled_by=3,
        title_zh="k = 1 在自己的训练图像上",
        question_zh="k = 1 时，kNN 能把多大比例的训练图像分对？",
        answers_zh=("全部：1.0", "和测试图像差不多", "比测试图像少"),
        reason_zh="每张训练图像都存了下来，离它最近的已存图像就是它自己，距离为 0：它为自己的标签"
                  "（label）投票。训练集准确率（accuracy）1.0 衡量的是记忆力，而不是学习能力。",
    ),
    Experiment(
        "k = 1, no cross-validation",
        {"k": 1, "metric": "l2", "folds": 0},
        (
            compares("train_accuracy", "==", 1.0,
                     "With k = 1 the training accuracy is 1.0: each image is its own nearest neighbour",
                     "Two training images that are pixel for pixel the same but labelled differently "
                     "would break it; or k was changed from 1, and other images now vote too",
                     text_zh="k = 1 时训练集准确率为 1.0：每张图像都是它自己的最近邻",
                     why_not_zh="两张像素完全相同、标签却不同的训练图像会打破它；或者 k 不再是 1，"
                                "别的图像也参与了投票"),
            Claim("The no-loop distance matrix is at least 5 times faster than two loops",
                  no_loops_faster,
                  "The timings are wall-clock on a shared machine: another program busy at the same "
                  "moment can slow the fast version's few milliseconds; run it again",
                  text_zh="无循环的距离矩阵比两重循环至少快 5 倍",
                  why_not_zh="这些耗时是共享机器上的真实时间：同一时刻忙碌的其他程序可能拖慢快速版本"
                             "那几毫秒；再运行一次"),
            compares("distance_difference", "<", 1e-6,
                     "Two loops, one loop and no loops give the same matrix (difference 0 up to round-off)",
                     "A difference above round-off means one of the three implementations computes "
                     "another distance: check that all three use the same metric",
                     text_zh="两重循环、一重循环和无循环给出同一个矩阵（除舍入误差外差异为 0）",
                     why_not_zh="差异超过舍入误差，说明三种实现中有一种算的是别的距离：检查三者是否"
                                "用同一种度量"),
        ),
        look_for="The three timings of the same distance matrix, and train accuracy against "
                 "validation and test accuracy.",
        title_zh="k = 1，不做交叉验证",
        look_for_zh="同一个距离矩阵的三个耗时，以及训练集准确率与验证集、测试集准确率的对比。",
    ),
    Predict(
        "k = 20 on the training images",
        "With k = 20, will the training accuracy still be 1.0?",
        ("Yes: each image is still among its own neighbours", "No: it drops below 1.0"),
        1,
        "The image's own vote is one of twenty: where its neighbours mostly carry another label "
        "(an odd-looking 4 among 9s), they outvote it. That smoothing is what a larger k is for.",
        settled_by=5,
        title_zh="k = 20 在训练图像上",
        question_zh="k = 20 时，训练集准确率还会是 1.0 吗？",
        answers_zh=("会：每张图像仍在它自己的近邻之中", "不会：它会降到 1.0 以下"),
        reason_zh="图像自己那一票只是二十票之一：如果它的近邻大多带着别的标签（一个长得古怪的 4 "
                  "挤在一堆 9 中间），它就会被压过。让分类边界（decision boundary）变平滑，正是更大"
                  "的 k 的用处。",
    ),
    Experiment(
        "k = 20",
        {"k": 20, "metric": "l2", "folds": 0},
        (
            compares("train_accuracy", "<", 1.0,
                     "With k = 20 the training accuracy drops below 1.0: an image's own vote can be outvoted",
                     "With a much smaller k (or k back at 1) each image's own vote decides again",
                     text_zh="k = 20 时训练集准确率降到 1.0 以下：图像自己那一票可能被压过",
                     why_not_zh="k 小得多（或回到 1）时，每张图像自己那一票又能决定结果"),
            compares("test_accuracy", ">", 0.9,
                     "Twenty voters still classify the digits well: test accuracy above 0.9 "
                     "(chance is 0.1)",
                     "On a harder dataset (CIFAR-10 pixels) kNN scores far lower, or max_train was "
                     "cut so far that few examples of each digit are left to vote",
                     text_zh="二十个投票者仍能把手写数字分得很好：测试集准确率高于 0.9（随机猜测为 0.1）",
                     why_not_zh="换成更难的数据集（CIFAR-10 的像素）时 kNN 的分数会低得多；或者 "
                                "max_train 被削得太小，每个数字只剩下很少的样本来投票"),
        ),
        look_for="Whether the training accuracy is still 1, and where the test accuracy lands "
                 "next to k = 1's.",
        title_zh="k = 20",
        look_for_zh="训练集准确率是否仍为 1，以及测试集准确率与 k = 1 时相比落在哪里。",
    ),
    Compare(
        "k = 1 against k = 20",
        (3, 5),
        ("train_accuracy", "val_accuracy", "test_accuracy", "test_predict_seconds"),
        "Training accuracy ranks k = 1 first only because it measures memory. Held-out "
        "accuracy is the fair comparison. At prediction time both k compute the same distances, "
        "one per stored image, and keeping 1 or 20 of them costs little more: the two "
        "test_predict_seconds, a few hundredths of a second each, differ by timing noise, not "
        "by k (run either step again and its time moves about as much). Choose k on "
        "validation data, never on the test set.",
        title_zh="k = 1 对比 k = 20",
        point_zh="训练集准确率把 k = 1 排在第一，只是因为它衡量的是记忆力。留出数据上的准确率才是"
                 "公平的比较。预测时两个 k 算的是同样的距离，每张已存图像一次，保留其中 1 个还是 20 "
                 "个几乎不多花时间：两个 test_predict_seconds 各只有几百分之一秒，它们的差别来自计时"
                 "的噪声，而不是 k（把任一步再运行一次，它的耗时也会变动差不多这么多）。要在验证数据"
                 "上选 k，绝不能在测试集上选。",
    ),
    Experiment(
        "Score k on held-out folds: 5-fold cross-validation",
        {"k": 1, "metric": "l2", "folds": 5},
        (
            Claim("On held-out folds k = 1 scores below the 1.0 it gets on the images it stores",
                  held_out_below_memory,
                  "k_choices no longer holds 1, or folds is 0 and cross-validation was skipped; or "
                  "k was changed from 1, so the training accuracy is another k's",
                  text_zh="在留出的折上，k = 1 的得分低于它在已存图像上得到的 1.0",
                  why_not_zh="k_choices 里已经没有 1，或者 folds 为 0，跳过了交叉验证；或者 k 不再是 1，"
                             "训练集准确率属于另一个 k"),
            Claim("Two held-out estimates agree: cross-validation and the validation split score "
                  "k = 1 within 3 points of each other",
                  cv_agrees_with_validation,
                  "With few images (a small max_train or max_test) each fold and the validation split "
                  "hold only a handful and their scores jump; or k was changed from 1, so the "
                  "validation split scored another k",
                  text_zh="两个留出估计相互印证：交叉验证和验证集给 k = 1 的打分相差不到 3 个百分点",
                  why_not_zh="图像很少时（max_train 或 max_test 很小），每一折和验证集都只有寥寥几张，"
                             "得分会大幅跳动；或者 k 不再是 1，验证集打分的是另一个 k"),
        ),
        look_for="The mean and spread of every k across the folds, and which k wins.",
        title_zh="在留出的折上给 k 打分：5 折交叉验证",
        look_for_zh="每个 k 在各折上的平均值和离散程度，以及哪个 k 胜出。",
    ),
    Exercise(
        "Write the distances and the vote",
        "compute_distances_two_loops, compute_distances_no_loops and predict_labels, as in "
        "CS231n's assignment 1: 'workbench exercises start knn', then 'workbench check knn'; "
        "once they pass, 'workbench run knn --mine' classifies the test images with them.",
        title_zh="写出距离和投票",
        about_zh="compute_distances_two_loops、compute_distances_no_loops 和 predict_labels，与 CS231n "
                 "作业 1 相同：先 'workbench exercises start knn'，再 'workbench check knn'；全部通过后，"
                 "'workbench run knn --mine' 会用它们给测试图像分类。",
    ),
)
