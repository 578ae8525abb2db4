"""The guided path through linear classifiers: the sanity checks on both losses (the loss
before any step, the gradient check), then what the L2 penalty costs. Ten epochs on the
digits: a few seconds per run."""

from __future__ import annotations

import math

from workbench.guide import Compare, Exercise, Experiment, Predict, Read, compares, near, ordered

EPOCHS = 10
CLASSES = 10
GRAD_CHECK_BOUND = 1e-7  # float64 centred differences on a smooth loss: far below this

_INITIAL_WHY = ("The weights no longer start near 0 (scores of about 0 for every class are what "
                "makes the loss {what}), or the labels are not the 10 classes the check assumes")
_INITIAL_WHY_ZH = ("权重不再从 0 附近开始（正是每个类别的分数都约为 0，损失才是 {what}），或者标签"
                   "不是检查所假定的 10 个类别")


def _grad_check(loss: str) -> object:
    return compares(
        "grad_check_max_rel_error", "<", GRAD_CHECK_BOUND,
        f"The gradient check passes: TensorFlow's {loss} gradient and centred differences agree "
        "far below 1e-7",
        "A relative error near 1e-7 or above means the gradient and the loss disagree: a loss "
        "changed by hand, or float32 instead of float64 in the check; with the SVM, a margin "
        "exactly at a kink is named in grad_check_kinks and left out",
        text_zh=f"梯度检查（gradient check）通过：TensorFlow 算出的 {loss} 梯度与中心差分的相对误差"
                "远小于 1e-7",
        why_not_zh="相对误差接近或超过 1e-7，说明梯度和损失对不上：损失被手工改过，或者检查用的是 "
                   "float32 而不是 float64；对 SVM 来说，恰好落在折点上的边界值会列在 "
                   "grad_check_kinks 中并被剔除",
    )


STEPS = (
    Read("Sanity checks before trusting a curve", "Sanity checks before trusting a curve",
         title_zh="相信曲线之前先做合理性检查", section_zh="相信曲线之前先做合理性检查（sanity checks）"),
    Predict(
        "Softmax's loss before the first step",
        "The weights start at 0.001 * randn, 10 classes. What will the softmax loss be before "
        "any training step?",
        ("About 0", "About ln 10 = 2.30", "About 9", "About 10"),
        1,
        "Every score is about 0, so softmax gives each of the 10 classes probability 1/10, and "
        "the loss is -log(1/10) = ln 10 = 2.30. Anything else means the loss or the data is wrong.",
        settled_by=3,
        title_zh="第一步之前的 softmax 损失",
        question_zh="权重初始化为 0.001 * randn，共 10 个类别。在任何一步训练之前，softmax 损失"
                    "会是多少？",
        answers_zh=("约为 0", "约为 ln 10 = 2.30", "约为 9", "约为 10"),
        reason_zh="每个分数（score）都约为 0，所以 softmax 给 10 个类别中的每一个都分配概率 1/10，"
                  "损失为 -log(1/10) = ln 10 = 2.30。如果不是这个值，就是损失函数或数据出了错。",
    ),
    Experiment(
        "Softmax, 10 epochs",
        {"loss": "softmax", "epochs": EPOCHS, "reg": 1e-4},
        (
            near("initial_loss", math.log(CLASSES), 0.05,
                 "Before any step the softmax loss is within 5% of ln 10 = 2.303",
                 _INITIAL_WHY.format(what="ln 10"), target_words="ln 10",
                 text_zh="在任何一步之前，softmax 损失与 ln 10 = 2.303 相差不到 5%",
                 why_not_zh=_INITIAL_WHY_ZH.format(what="ln 10")),
            ordered("final_data_loss", "<", "initial_loss",
                    "Training lowers the data loss below where it started",
                    "A learning rate so small that 10 epochs barely move W, or so large that the "
                    "steps overshoot: try the preset's 0.1 with sgd_momentum",
                    labels=("final data loss", "initial loss"),
                    text_zh="训练让数据损失降到了起点以下",
                    why_not_zh="学习率太小，10 个轮次几乎没有挪动 W；或者太大，每一步都冲过了头："
                               "试试预设的 0.1 配 sgd_momentum"),
            _grad_check("softmax"),
        ),
        look_for="The first log line: the measured initial loss next to the expected one.",
        title_zh="Softmax，10 个轮次",
        look_for_zh="第一行日志：测得的初始损失与预期值并排。",
    ),
    Predict(
        "The SVM's loss before the first step",
        "Same start, the multiclass SVM with margin delta = 1. Before any step its loss is...",
        ("About 0: no class is wrong yet", "About 1", "About 9 = (10 - 1) x 1", "About ln 10 = 2.30"),
        2,
        "With every score about 0, each of the 9 wrong classes sits exactly at the margin and "
        "costs max(0, 0 - 0 + 1) = 1: the loss is (C - 1) x delta = 9.",
        settled_by=5,
        title_zh="第一步之前的 SVM 损失",
        question_zh="同样的起点，换成边界值（margin）delta = 1 的多类 SVM。在任何一步之前，它的损失是……",
        answers_zh=("约为 0：还没有哪个类别错了", "约为 1", "约为 9 = (10 - 1) x 1", "约为 ln 10 = 2.30"),
        reason_zh="每个分数都约为 0 时，9 个错误类别中的每一个都恰好落在边界值上，各自产生 "
                  "max(0, 0 - 0 + 1) = 1 的损失：总损失为 (C - 1) x delta = 9。",
    ),
    Experiment(
        "Multiclass SVM, 10 epochs",
        {"loss": "svm", "delta": 1.0, "epochs": EPOCHS, "reg": 1e-4},
        (
            near("initial_loss", (CLASSES - 1) * 1.0, 0.05,
                 "Before any step the SVM loss is within 5% of (C - 1) x delta = 9",
                 _INITIAL_WHY.format(what="9") + "; or delta was changed from 1, which moves the "
                 "target to 9 x delta", target_words="(C - 1) x delta",
                 text_zh="在任何一步之前，SVM 损失与 (C - 1) x delta = 9 相差不到 5%",
                 why_not_zh=_INITIAL_WHY_ZH.format(what="9") + "；或者 delta 不再是 1，目标值随之"
                            "变成 9 x delta"),
            ordered("final_data_loss", "<", "initial_loss",
                    "Training lowers the hinge loss below where it started",
                    "A learning rate so small that 10 epochs barely move W, or so large that the "
                    "steps overshoot: try the preset's 0.1 with sgd_momentum",
                    labels=("final data loss", "initial loss"),
                    text_zh="训练让折叶损失降到了起点以下",
                    why_not_zh="学习率太小，10 个轮次几乎没有挪动 W；或者太大，每一步都冲过了头："
                               "试试预设的 0.1 配 sgd_momentum"),
            _grad_check("SVM"),
        ),
        look_for="The SVM's measured initial loss next to the expected one this time, and whether "
                 "any gradient-check entry straddles a hinge kink.",
        title_zh="多类 SVM，10 个轮次",
        look_for_zh="这次是 SVM：测得的初始损失与预期值并排；再看梯度检查中是否有元素跨在折叶损失的折点上。",
    ),
    Compare(
        "Softmax against the SVM",
        (3, 5),
        ("initial_loss", "expected_initial_loss", "final_data_loss", "train_accuracy", "test_accuracy"),
        "The same scores, two losses: they start from different values (ln 10 and 9) and end "
        "on different scales, so their losses cannot be compared with each other, only with "
        "their own start. Their accuracies can: both classify the digits about equally well.",
        title_zh="Softmax 对比 SVM",
        point_zh="同一组分数，两种损失：它们的起点不同（ln 10 和 9），终点的尺度也不同，所以两者的"
                 "损失不能相互比较，只能各自和自己的起点比。准确率（accuracy）则可以比：两者把手写"
                 "数字分得差不多一样好。",
    ),
    Experiment(
        "A strong L2 penalty: reg = 0.1",
        {"loss": "softmax", "epochs": EPOCHS, "reg": 0.1},
        (
            compares("final_reg_loss", ">", 0.1,
                     "The L2 term reg * sum(W^2) ends above 0.1, many times its size at reg = 1e-4",
                     "reg was lowered from 0.1: the penalty shrinks with it",
                     text_zh="L2 项 reg * sum(W^2) 最终高于 0.1，是 reg = 1e-4 时的许多倍",
                     why_not_zh="reg 被调低了，不再是 0.1：惩罚项随之变小"),
            compares("final_data_loss", ">", 1.0,
                     "The data loss stays above 1: W is held too small to fit the training images",
                     "reg was lowered from 0.1, or many more epochs let W fit the data despite the penalty",
                     text_zh="数据损失停在 1 以上：W 被压得太小，拟合不了训练图像",
                     why_not_zh="reg 被调低了，不再是 0.1；或者轮次多得多，W 顶着惩罚也拟合了数据"),
        ),
        look_for="The loss split into data loss + reg loss, and the smoother templates.",
        title_zh="很强的 L2 惩罚：reg = 0.1",
        look_for_zh="拆成数据损失 + 正则化损失的两部分，以及更平滑的模板（template）。",
    ),
    Compare(
        "What reg = 0.1 costs",
        (3, 7),
        ("final_data_loss", "final_reg_loss", "train_accuracy", "test_accuracy"),
        "The same softmax run at reg = 1e-4 and at reg = 0.1: the stronger penalty buys small, "
        "smooth weights with a data loss that stays high, and past some point it costs "
        "accuracy on the test images too. reg is a hyperparameter: choose it on validation data.",
        title_zh="reg = 0.1 的代价",
        point_zh="同样的 softmax 运行，reg 分别为 1e-4 和 0.1：更强的惩罚换来小而平滑的权重，代价是"
                 "数据损失居高不下；过了某一点，测试图像上的准确率也会下降。reg 是一个超参数"
                 "（hyperparameter）：要在验证数据上选它。",
    ),
    Exercise(
        "Write the two losses and their gradients",
        "svm_loss and softmax_loss, each returning (loss, dW), vectorised, as in CS231n's "
        "assignment 1: 'workbench exercises start linear', then 'workbench check linear'; once "
        "they pass, 'workbench run linear --mine' trains W with yours beside the Keras run.",
        title_zh="写出两种损失及其梯度",
        about_zh="svm_loss 和 softmax_loss，各自返回 (loss, dW)，向量化实现，与 CS231n 作业 1 相同："
                 "先 'workbench exercises start linear'，再 'workbench check linear'；全部通过后，"
                 "'workbench run linear --mine' 会用你的函数训练 W，与 Keras 的运行并排比较。",
    ),
)
