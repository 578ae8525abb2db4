"""The guided path through transfer learning: the three ways to reuse a pretrained backbone
on one draw of ten images per new digit, then the backbone cut later. Each run pretrains
for 8 epochs and compares the modes at 2 and 10 images per digit, one draw each: about a
minute on 2 CPU cores.

On the embedded digits transfer does not beat training from scratch at 10 images per digit
(the notes say why), so that claim is checked on Fashion-MNIST, the last experiment: it
needs the dataset (the network, or its four files in Keras' cache) and takes about two
minutes: a bigger source task, 10,000 images pretrained for 3 epochs."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Experiment, Predict, Read, compares, ordered

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
    found = guide.value(metrics, name)
    if not isinstance(found, dict) or found.get(key) is None:
        raise guide.MissingMetric(f"{name}.{key}")
    return guide.finite(f"{name}.{key}", found[key])


def frozen_agrees_with_features(metrics):
    frozen = guide.scalar(metrics, "frozen_test_accuracy")
    features = guide.scalar(metrics, "features_test_accuracy")
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
    here = guide.scalar(metrics, "features_test_accuracy")
    stage1 = _entry(metrics, "accuracy_by_cut", "stage1")
    return here < stage1, (f"head on the features of this cut {number(here)} < head on stage1's "
                           f"{number(stage1)} (same images)")


STEPS = (
    Read("The two tasks", "The two tasks", title_zh="两个任务", section_zh="两个任务"),
    Read("Three ways to reuse a network", "Three ways to reuse a network",
         title_zh="复用网络的三种方式", section_zh="复用网络的三种方式"),
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
        title_zh="冻结骨干网络还是存下来的特征",
        question_zh="(1) 穿过冻结的骨干网络（backbone）训练一个新的分类头（head），每一轮都让每张"
                    "图像走一遍骨干网络；(2) 只运行一次骨干网络，存下特征向量（feature vector），"
                    "再从相同的初始权重出发，在这些特征上训练同一个分类头。它们的测试集准确率会"
                    "怎样？",
        answers_zh=("(1) 更高：它看到的是图像，而不是存下来的副本", "一样，相差不超过一两个百分点",
                    "(2) 更高：它和数据之间什么都不用运行"),
        reason_zh="推理模式下冻结的骨干网络每一轮计算的都是同一个函数，所以分类头收到的输入与存下来"
                  "的特征完全相同：同样的更新，同样的分类头。(2) 只是省去了每轮运行骨干网络，代价"
                  "是无法做数据增强（data augmentation）。",
    ),
    Experiment(
        "The three ways, backbone cut after stage 1",
        QUICK,
        (
            Claim("(1) frozen backbone and (2) extracted features agree within 2 points of test "
                  "accuracy",
                  frozen_agrees_with_features,
                  "The two heads no longer start from the same weights or see the same batches, "
                  "or the backbone ran in training mode (BatchNorm statistics moving) while (1) "
                  "trained",
                  text_zh="(1) 冻结骨干网络与 (2) 提取特征的测试集准确率相差不超过 2 个百分点",
                  why_not_zh="两个分类头不再从相同的权重出发，或者看到的批次不同；或者 (1) 训练时骨干"
                             "网络以训练模式运行（批量归一化的统计量在变）"),
            Claim("(1) and (2) train the same weights, the head's alone: fewer than training "
                  "the same network from scratch",
                  head_alone_trains,
                  "The backbone was left trainable in (1), so its weights count (and move) too; "
                  "or the cut was changed, which changes every count but not their order",
                  text_zh="(1) 和 (2) 训练的是同一批权重，只有分类头的：比从零训练同一个网络要少",
                  why_not_zh="(1) 中的骨干网络没有冻结，于是它的权重也被计入（也在更新）；或者截断"
                             "点变了，这会改变每个计数，但不改变它们的大小顺序"),
            Claim("An epoch on stored features is faster than an epoch through the frozen backbone",
                  features_epochs_faster,
                  "These are wall-clock timings on a shared machine: on 8x8 digits the backbone "
                  "is cheap, so the gain is modest, and another program busy at the same moment "
                  "can hide it; run it again",
                  text_zh="在存下来的特征上训练一轮，比穿过冻结的骨干网络训练一轮更快",
                  why_not_zh="这些是共享机器上的真实耗时：8x8 的数字上骨干网络开销很小，收益本就有限，"
                             "同一时刻忙碌的其他程序可能把它掩盖；再运行一次"),
        ),
        look_for="The line comparing the modes at 10 images per digit: (1) and (2) side by side, "
                 "how much faster (2)'s epochs are, then fine-tuning and training from scratch.",
        title_zh="三种方式，骨干网络在阶段 1 之后截断",
        look_for_zh="在每个数字 10 张图像时比较各方式的那一行：(1) 和 (2) 并排，(2) 每轮快多少，"
                    "然后是微调（fine-tuning）和从零训练（training from scratch）。",
    ),
    Read("Which layers transfer", "Which layers transfer",
         title_zh="哪些层可以迁移", section_zh="哪些层可以迁移"),
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
        title_zh="把骨干网络截得更靠后",
        question_zh="把骨干网络从阶段 1 之后截断改为从阶段 3 之后截断：它的特征更深，但被塑造成"
                    "用来区分数字 0-4。在这些特征上训练的分类头，对数字 5-9 的得分会怎样？",
        answers_zh=("更高：更深的特征更丰富", "一样：骨干网络还是同一个网络",
                    "比在阶段 1 特征上的分类头低"),
        reason_zh="靠前的层计算通用的笔画，对任何数字都有用；阶段 3 计算的是为源类别 0-4 量身定做"
                  "的特征，区分 5-9 就差一些。新任务与旧任务越接近，截断点就可以越靠后。",
    ),
    Experiment(
        "The backbone cut after stage 3",
        {**QUICK, "cut": "stage3"},
        (
            Claim("A head on stage 3's features scores below one on stage 1's, for the same "
                  "images of digits 5-9",
                  later_cut_scores_lower,
                  "With one draw of 10 images per digit, 180 test images and few epochs the two "
                  "can come close; another seed draws other images; or the cut is no longer stage3",
                  text_zh="在阶段 3 的特征上训练的分类头，得分低于在阶段 1 特征上训练的分类头"
                          "（同一批数字 5-9 的图像）",
                  why_not_zh="每个数字只抽一次 10 张图像、180 张测试图像、轮数又少，两者可能很接近；"
                             "换一个随机种子会抽到别的图像；或者截断点已经不是 stage3"),
            compares("finetune_bn_moving_mean_change", "==", 0.0,
                     "Fine-tuning the top block leaves every BatchNorm moving mean where "
                     "pretraining left it (largest change 0)",
                     "The backbone was called in training mode (training=True) while fine-tuning, "
                     "so its BatchNorm layers updated their averages from a handful of new images",
                     text_zh="微调顶部的块之后，每个批量归一化的滑动均值（moving mean）都停在预训练"
                             "留下的位置（最大变化为 0）",
                     why_not_zh="微调时以训练模式（training=True）调用了骨干网络，于是它的批量归一化"
                                "层用寥寥几张新图像更新了平均值"),
        ),
        look_for="accuracy_by_cut (a head on each stage's features, the same images), and how "
                 "many fewer weights the head trains here.",
        title_zh="骨干网络在阶段 3 之后截断",
        look_for_zh="accuracy_by_cut（用同一批图像，在每个阶段的特征上各训练一个分类头），以及这里"
                    "分类头训练的权重少了多少。",
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
        title_zh="在阶段 1 之后截断对比在阶段 3 之后截断",
        point_zh="在阶段 1 之后截断时，冻结方式和特征方式的分类头得分都比在阶段 3 之后截断时高：通用"
                 "特征迁移得好，专门化的特征差一些。而在这些简单的 8x8 数字上，从零训练跟得上迁移"
                 "学习，甚至领先：原因在数据，不在方法（笔记最后一节解释了为什么）。",
    ),
    Read("What the curve shows on the digits", "What the curve shows on the digits",
         title_zh="数字上的曲线说明了什么", section_zh="数字上的曲线说明了什么"),
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
        title_zh="更大的源任务，更难的新任务",
        question_zh="在 Fashion-MNIST 上，骨干网络用 10,000 张 28x28 的 T 恤、裤子、套头衫、连衣裙"
                    "和外套图像预训练；新任务是凉鞋、衬衫、运动鞋、包和短靴，每类 10 张带标签的"
                    "图像。迁移学习对比从零训练会怎样？",
        answers_zh=("差不多，和数字上一样", "从零训练领先：衣服又不是鞋和包", "迁移学习领先好几个百分点"),
        reason_zh="现在源任务足够大、足够多样，能教会 50 张图像教不会的边缘、纹理和形状，而新任务"
                  "对 50 张图像来说又足够难：这正是迁移学习值得的时候。何况衬衫和 T 恤、套头衫有"
                  "很多共同之处。",
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
                    labels=("from scratch", "transfer"),
                    text_zh="每类 10 张带标签图像时，预训练的骨干网络胜过从零训练的同一个网络"
                            "（3 次抽取的平均）",
                    why_not_zh="3 次各 50 张图像的抽取不算多：换一个种子会抽到别的图像，两者可能很"
                               "接近；或者预训练太短（source_test_accuracy 远低于 0.9），骨干网络"
                               "知道的并不比像素多"),
            Claim("(1) frozen backbone and (2) extracted features agree within 2 points of test "
                  "accuracy, here too",
                  frozen_agrees_with_features,
                  "The two heads no longer start from the same weights or see the same batches, "
                  "or the backbone ran in training mode while (1) trained",
                  text_zh="(1) 冻结骨干网络与 (2) 提取特征的测试集准确率在这里也相差不超过 2 个百分点",
                  why_not_zh="两个分类头不再从相同的权重出发，或者看到的批次不同；或者 (1) 训练时骨干"
                             "网络以训练模式运行"),
        ),
        look_for="The pretraining line (its accuracy on the clothes), then the curve: 2 and 10 "
                 "images per class, transfer against scratch.",
        title_zh="在 Fashion-MNIST 上迁移",
        look_for_zh="预训练那一行（它在衣服上的准确率），然后是曲线：每类 2 张和 10 张图像时，迁移"
                    "学习对比从零训练。",
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
        title_zh="数字对比 Fashion-MNIST",
        point_zh="在数字上两者相差在噪声之内；在 Fashion-MNIST 上迁移学习领先好几个百分点。方法没"
                 "变：源任务变大了，新任务对它那 50 张图像来说变难了。",
    ),
)
