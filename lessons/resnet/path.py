"""The guided path through residual networks: the plain and the residual twin trained side
by side, deep (20 layers) and shallow (8), three epochs at half width. The 20-layer pair
takes about two minutes on 2 CPU cores (most of it building the training steps), the
8-layer pair under one."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Exercise, Experiment, Predict, Read, compares, ordered

DEEP = {"depth": 20, "width": 0.5, "epochs": 3}
SHALLOW = {"depth": 8, "width": 0.5, "epochs": 3}
NOT_VANISHED = 0.5  # the plain twin's stem gradient at init, as a share of the residual twin's
LEVEL = 0.2  # nats: how far behind the residual twin the shallow plain twin may end


def _at_init(metrics, twin: str) -> float:
    """The gradient norm reaching the twin's first convolution before any training step."""
    series = guide.value(metrics, f"{twin}_first_conv_grad_norm")
    if not isinstance(series, (list, tuple)) or not series:
        raise ValueError(f"{twin}_first_conv_grad_norm is not a per-epoch series: {series!r}")
    return guide.finite(f"{twin}_first_conv_grad_norm", series[0])


def stem_gradient_not_vanished(metrics):
    plain, residual = _at_init(metrics, "plain"), _at_init(metrics, "residual")
    share = plain / residual if residual else float("inf")
    return share >= NOT_VANISHED, (f"at initialisation, gradient at the stem: plain {number(plain)}, "
                                   f"residual {number(residual)} (plain/residual {share:.2f}, at "
                                   f"least {NOT_VANISHED})")


def shallow_plain_level(metrics):
    plain = guide.scalar(metrics, "plain_final_train_loss")
    residual = guide.scalar(metrics, "residual_final_train_loss")
    behind = plain - residual
    return behind <= LEVEL, (f"final training loss plain {number(plain)}, residual {number(residual)}: "
                             f"plain behind by {number(behind)} (at most {LEVEL})")


STEPS = (
    Read("Deeper plain nets train worse", "Residual networks",
         title_zh="更深的普通网络训练得更差", section_zh="残差网络（residual network）"),
    Read("The fix: learn the residual", "The fix: learn the residual",
         title_zh="解决办法：学习残差", section_zh="解决办法：学习残差（residual）"),
    Predict(
        "Twenty layers, with and without shortcuts",
        "Two ResNet-20 twins, the same layers and the same starting weights, one with the "
        "identity shortcuts and one without, train for 3 epochs on the same batches. Which ends "
        "with the lower training loss?",
        ("The plain twin: nothing is added to what its layers compute",
         "The residual twin", "Neither: same layers, same weights, same loss"),
        1,
        "With the shortcuts each block only has to learn a change to its input, and doing "
        "nothing (F = 0) is easy; the loss's gradient also reaches the first layers along the "
        "shortcuts. The plain twin has to learn every mapping whole, and optimises more slowly: "
        "worse on its own training set, which is not overfitting.",
        settled_by=4,
        title_zh="二十层，有快捷连接与没有快捷连接",
        question_zh="两个 ResNet-20 孪生网络（twins），层相同、初始权重相同，一个带恒等快捷连接"
                    "（identity shortcut），一个不带，在相同的批次（batch）上训练 3 轮。哪一个最终"
                    "的训练损失（training loss）更低？",
        answers_zh=("普通网络（plain network）：它的层算出的东西上没有加任何东西",
                    "残差网络", "一样：层相同、权重相同，损失也相同"),
        reason_zh="有了快捷连接，每个块只需学习对输入做的改变，“什么都不做”（F = 0）很容易；损失的"
                  "梯度（gradient）也能沿快捷连接到达最前面的层。普通网络必须完整地学出每个映射，"
                  "优化得更慢：在它自己的训练集上更差，而这并不是过拟合（overfitting）。",
    ),
    Experiment(
        "ResNet-20 and its plain twin",
        DEEP,
        (
            ordered("residual_final_train_loss", "<", "plain_final_train_loss",
                    "The residual twin ends with the lower training loss",
                    "Too few epochs to tell them apart (the preset trains 3), or the depth was "
                    "lowered: at 8 layers the plain net keeps up; or compare was turned off, and "
                    "only one twin trained",
                    labels=("residual", "plain"),
                    text_zh="残差孪生网络最终的训练损失更低",
                    why_not_zh="轮数太少，分不出高下（预设训练 3 轮），或者深度被调低了：8 层时普通"
                               "网络跟得上；或者关掉了 compare，只训练了一个孪生网络"),
            Claim("At initialisation the plain twin's gradient at the stem has not vanished: it is "
                  "at least half the residual twin's (with BatchNorm, as He et al. checked: the "
                  "plain net's trouble is optimisation, not a vanishing gradient)",
                  stem_gradient_not_vanished,
                  "Another seed draws other starting weights: at 20 layers the two stem gradients "
                  "are of the same order and either can be the larger; or the depth was changed",
                  text_zh="初始化（initialisation）时，普通孪生网络在起始层（stem）处的梯度并没有"
                          "消失：它至少是残差孪生网络的一半（有批量归一化（BatchNorm）时就是这样，"
                          "He 等人也验证过：普通网络的问题在于优化，而不是梯度消失）",
                  why_not_zh="换一个随机种子会抽到别的初始权重：20 层时两个起始层梯度在同一个量级，"
                             "哪个更大都有可能；或者深度被改了"),
            compares("identity_max_error", "==", 0.0,
                     "A basic block with its residual weights at zero is exactly the identity: "
                     "max |block(x) - relu(x)| is 0",
                     "A non-zero error would mean the residual branch was not zeroed whole (both "
                     "kernels and the closing BatchNorm's scale and shift), or the block was "
                     "changed to put something after the addition besides ReLU",
                     text_zh="残差权重全为零的基本块恰好是恒等映射：max |block(x) - relu(x)| 为 0",
                     why_not_zh="误差不为零，说明残差分支没有被完整置零（两个卷积核以及末尾批量归一化"
                                "的缩放与平移），或者块被改成在加法之后除了 ReLU 还有别的运算"),
        ),
        look_for="The per-epoch table: both training losses side by side, and the gradient norm "
                 "at each twin's first convolution; then the chart of the gradient reaching every "
                 "convolution at initialisation.",
        title_zh="ResNet-20 和它的普通孪生网络",
        look_for_zh="逐轮的表格：两个训练损失并排，以及每个孪生网络第一个卷积处的梯度范数"
                    "（gradient norm）；然后是初始化时到达每个卷积的梯度的图表。",
    ),
    Predict(
        "Eight layers",
        "Now the same twins at 8 layers (depth=8), same width and epochs. How will their "
        "training losses end?",
        ("Level, or nearly: 8 plain layers are not hard to optimise",
         "The residual twin well ahead again", "The plain twin well ahead"),
        0,
        "The degradation comes with depth: a shallow plain net optimises about as well as its "
        "residual twin. He et al. saw it appear at 20 layers and grow at 56; the shortcuts "
        "matter more the deeper the net.",
        settled_by=6,
        title_zh="八层",
        question_zh="现在换成 8 层（depth=8）的同一对孪生网络，宽度和轮数不变。它们的训练损失最终"
                    "会怎样？",
        answers_zh=("持平或几乎持平：8 层的普通网络并不难优化", "残差孪生网络再次遥遥领先",
                    "普通孪生网络遥遥领先"),
        reason_zh="退化（degradation）随深度而来：浅的普通网络和它的残差孪生网络优化得差不多好。"
                  "He 等人看到它在 20 层出现、在 56 层加剧；网络越深，快捷连接越重要。",
    ),
    Experiment(
        "ResNet-8 and its plain twin",
        SHALLOW,
        (
            Claim(f"At 8 layers the plain twin is not degraded: its final training loss is at most "
                  f"{LEVEL} above the residual twin's",
                  shallow_plain_level,
                  "With only 3 epochs the curves are still steep, and another seed or a changed "
                  "learning rate can put either twin a little ahead; a larger depth brings the "
                  "degradation back",
                  text_zh=f"8 层时普通孪生网络没有退化：它最终的训练损失至多比残差孪生网络高 {LEVEL}",
                  why_not_zh="只有 3 轮时曲线仍然很陡，换一个随机种子或改了学习率，都可能让某个孪生"
                             "网络稍稍领先；更大的深度会让退化重新出现"),
        ),
        look_for="The two training losses epoch by epoch, and how far apart they end next to the "
                 "20-layer twins.",
        title_zh="ResNet-8 和它的普通孪生网络",
        look_for_zh="逐轮的两个训练损失，以及与 20 层的孪生网络相比，它们最后相差多远。",
    ),
    Compare(
        "Twenty layers against eight",
        (4, 6),
        ("plain_final_train_loss", "residual_final_train_loss", "plain_test_accuracy",
         "test_accuracy"),
        "At 8 layers the twins end level; at 20 the plain twin ends well behind its residual "
        "twin, on its own training set. The shortcuts' gain grows with depth: in He et al. the "
        "plain net at 56 layers even ends worse than at 20, the degradation the shortcuts remove.",
        title_zh="二十层对比八层",
        point_zh="8 层时两个孪生网络最终持平；20 层时普通网络在它自己的训练集上远远落后于它的残差"
                 "孪生网络。快捷连接带来的好处随深度增长：在 He 等人的实验中，56 层的普通网络最终甚至"
                 "比 20 层的还差，这就是快捷连接消除的退化。",
    ),
    Exercise(
        "Write the basic block",
        "basic_block: two 3x3 convolutions with BatchNorm, the shortcut added before the last "
        "ReLU, a projection when the shape changes: 'workbench exercises start resnet', then "
        "'workbench check resnet'.",
        title_zh="写出基本块",
        about_zh="basic_block：两个带批量归一化的 3x3 卷积，在最后一个 ReLU 之前加上快捷连接，形状"
                 "改变时用投影（projection）：先 'workbench exercises start resnet'，再 "
                 "'workbench check resnet'。",
    ),
)
