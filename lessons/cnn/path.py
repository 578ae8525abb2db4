"""The guided path through the CNN classics: the output-size rule on AlexNet's first layer,
where a network keeps its parameters, and what a bigger network buys on the digits.
AlexNet (at 1/8 width, 8 epochs) and LeNet-5 (15 epochs) train in under half a minute each
on 2 CPU cores."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Exercise, Experiment, Predict, Read, compares

ALEXNET = {"arch": "alexnet", "epochs": 8}
LENET = {"arch": "lenet", "epochs": 15}
GOOD_ENOUGH = 0.9  # test accuracy on the digits; chance is 0.1, a finished run about 0.96
LENET_PARAMS = 60_000  # "LeNet's 60 thousand parameters", in the notes


def _shape_text(shape) -> str:
    return "x".join(str(int(d)) for d in shape)


def _shape_is(name: str, want: tuple[int, ...], rule: str):
    """A judge: the metric `name` (a shape, as a list) is `want`; `rule` shows the arithmetic."""
    def judge(metrics):
        got = guide.value(metrics, name)
        if not isinstance(got, (list, tuple)):
            raise ValueError(f"{name} is not a shape: {got!r}")
        return ([int(d) for d in got] == list(want),
                f"{name} {_shape_text(got)}, the rule gives {_shape_text(want)} ({rule})")

    return judge


def about_lenets_60k(metrics):
    """The parameters within 5% of the 60 thousand the notes give LeNet-5, shown whole."""
    params = guide.value(metrics, "params")
    if isinstance(params, bool) or not isinstance(params, (int, float)):
        raise ValueError(f"params is not a count: {params!r}")
    off = abs(params - LENET_PARAMS) / LENET_PARAMS
    return off <= 0.05, (f"params {number(int(params))} vs LeNet's 60K: {100 * off:.1f}% off "
                         f"(at most 5%)")


STEPS = (
    Read("Four rules to read any CNN", "Four rules to read any CNN",
         title_zh="读懂任意 CNN 的四条规则", section_zh="读懂任意 CNN 的四条规则"),
    Predict(
        "AlexNet's first layer",
        "AlexNet's conv1 slides 96 filters of 11x11, stride 4, no padding, over a 227x227x3 "
        "image. What does it output?",
        ("55x55x96", "57x57x96", "217x217x96", "55x55x3"),
        0,
        "(227 - 11 + 2 x 0) / 4 + 1 = 55 positions across and 55 down, and one map per filter: "
        "55x55x96. The 3 input channels are summed inside each dot product; they do not survive "
        "as channels.",
        settled_by=3,
        title_zh="AlexNet 的第一层",
        question_zh="AlexNet 的 conv1 用 96 个 11x11 的卷积核（filter），步长（stride）4，不填充"
                    "（padding），滑过一张 227x227x3 的图像。它的输出是多少？",
        answers_zh=("55x55x96", "57x57x96", "217x217x96", "55x55x3"),
        reason_zh="(227 - 11 + 2 x 0) / 4 + 1 = 55，横向 55 个位置、纵向 55 个位置，每个卷积核一张"
                  "特征图（feature map）：55x55x96。3 个输入通道（channel）在每次点积里被加在一起，"
                  "不会作为通道保留下来。",
    ),
    Experiment(
        "AlexNet, narrowed to train on a laptop",
        ALEXNET,
        (
            Claim("At full size (227x227x3, width 1) AlexNet's conv1 outputs 55x55x96, as the "
                  "output-size rule says",
                  _shape_is("full_size_first_conv_output", (55, 55, 96), "(227 - 11) / 4 + 1 = 55, "
                            "96 filters"),
                  "The architecture is no longer alexnet: another network's first layer has "
                  "another window, stride and filter count (ZFNet's 7x7 stride 2 gives 110x110x96)",
                  text_zh="完整尺寸下（227x227x3，宽度 1），AlexNet 的 conv1 输出 55x55x96，正如"
                          "输出尺寸公式所说",
                  why_not_zh="架构已经不是 alexnet：别的网络的第一层有不同的窗口、步长和卷积核数"
                             "（ZFNet 的 7x7、步长 2 给出 110x110x96）"),
            compares("dense_params_share", ">", 0.5,
                     "Most of the trained AlexNet's parameters sit in its fully connected layers",
                     "The architecture was changed: NiN and GoogLeNet have no hidden fully "
                     "connected layers, and LeNet-5 keeps most of its weights in its C5 "
                     "convolution",
                     text_zh="训练出的 AlexNet 的大部分参数（parameters）都在全连接层（fully "
                             "connected layer）里",
                     why_not_zh="架构被换掉了：NiN 和 GoogLeNet 没有隐藏的全连接层，而 LeNet-5 把"
                                "大部分权重放在它的 C5 卷积层里"),
            compares("test_accuracy", ">=", GOOD_ENOUGH,
                     "Even at 1/8 width on 67-pixel digits, AlexNet classifies at least 90% of the "
                     "test digits right",
                     "Too few epochs (the preset trains 8), or a learning rate or optimizer far "
                     "from Adam at 0.001; another seed moves the score by a point or two, not by "
                     "six",
                     text_zh="即使宽度只有 1/8、输入只有 67 像素，AlexNet 也能把至少 90% 的测试数字"
                             "分对",
                     why_not_zh="轮数（epoch）太少（预设训练 8 轮），或者学习率、优化器与 Adam 0.001 "
                                "相差太远；换一个随机种子只会让得分变动一两个百分点，不会是六个"),
        ),
        look_for="The log's two first-layer shapes (here and at full size), the share of "
                 "parameters in fully connected layers, and the learned filters.",
        title_zh="AlexNet，缩小到能在笔记本电脑上训练",
        look_for_zh="日志里第一层的两个形状（这里的和完整尺寸的）、全连接层的参数占比，以及学到的"
                    "卷积核。",
    ),
    Read("The networks", "The networks", title_zh="这些网络", section_zh="这些网络"),
    Predict(
        "LeNet-5 against AlexNet on the digits",
        "LeNet-5 holds about 62 thousand parameters, the narrowed AlexNet you trained several "
        "times as many. On the digits' test images, how will LeNet-5 score?",
        ("Far below AlexNet: it is several times smaller", "Far above AlexNet",
         "About the same, within a few points"),
        2,
        "8x8 digits ask little: both networks separate them, and AlexNet's extra parameters, "
        "made for 1000 classes of 224-pixel photos, buy nothing this data needs. A bigger network "
        "pays off on a harder task with more data.",
        settled_by=6,
        shown_by=2,
        title_zh="数字上的 LeNet-5 对比 AlexNet",
        question_zh="LeNet-5 大约有六万两千个参数，你训练的缩小版 AlexNet 是它的好几倍。在数字的"
                    "测试图像上，LeNet-5 的得分会怎样？",
        answers_zh=("远低于 AlexNet：它小了好几倍", "远高于 AlexNet", "差不多，相差几个百分点以内"),
        reason_zh="8x8 的数字要求不高：两个网络都能把它们分开，而 AlexNet 为 1000 类、224 像素的"
                  "照片准备的额外参数，买不到这份数据需要的任何东西。更大的网络要在更难、数据更多"
                  "的任务上才划算。",
    ),
    Experiment(
        "LeNet-5, as in 1998",
        LENET,
        (
            Claim("LeNet-5 holds about 60 thousand parameters (61,706 with C3 fully connected)",
                  about_lenets_60k,
                  "width was changed from the preset's 1: every filter and unit count scales with "
                  "it, and the parameters roughly with its square",
                  text_zh="LeNet-5 大约有六万个参数（C3 全连接时为 61,706）",
                  why_not_zh="width 不再是预设的 1：每个卷积核数和单元数都随它缩放，参数量大致随它"
                             "的平方变化"),
            Claim("C1 outputs 28x28x6: (32 - 5) / 1 + 1 = 28 positions, six 5x5 filters",
                  _shape_is("first_conv_output", (28, 28, 6), "(32 - 5) / 1 + 1 = 28, 6 filters"),
                  "input_size or width was changed from the preset (32 pixels, width 1): the rule "
                  "then gives another size, or another number of maps",
                  text_zh="C1 输出 28x28x6：(32 - 5) / 1 + 1 = 28 个位置，六个 5x5 卷积核",
                  why_not_zh="input_size 或 width 不再是预设值（32 像素，宽度 1）：公式给出别的尺寸，"
                             "或者特征图的个数不同"),
            compares("test_accuracy", ">=", GOOD_ENOUGH,
                     "LeNet-5 classifies at least 90% of the test digits right",
                     "Too few epochs (the preset trains 15; LeNet's tanh units learn more slowly "
                     "than ReLUs), or a learning rate far from 0.001",
                     text_zh="LeNet-5 能把至少 90% 的测试数字分对",
                     why_not_zh="轮数太少（预设训练 15 轮；LeNet 的 tanh 单元比 ReLU 学得慢），或者"
                                "学习率与 0.001 相差太远"),
        ),
        look_for="Its parameters and MACs against AlexNet's, and its test accuracy.",
        title_zh="LeNet-5，1998 年的样子",
        look_for_zh="它的参数量和乘加运算（MACs）与 AlexNet 的对比，以及它的测试集准确率。",
    ),
    Compare(
        "AlexNet against LeNet-5",
        (3, 6),
        ("params", "macs", "forward_activation_bytes", "dense_params_share", "test_accuracy"),
        "Even narrowed, AlexNet holds several times LeNet's parameters, most of them in its "
        "fully connected layers, and costs several times its MACs, spent in the convolutions. "
        "On the digits the two score about the same: size pays only when the task needs it.",
        title_zh="AlexNet 对比 LeNet-5",
        point_zh="即使缩小了，AlexNet 的参数仍是 LeNet 的好几倍，大部分在全连接层里；它的乘加运算"
                 "也是好几倍，花在卷积层上。在数字上两者得分差不多：只有任务需要时，规模才划算。",
    ),
    Exercise(
        "Write the output-size rule, a convolution and a max pool",
        "conv_output_size, conv_forward_naive and max_pool_forward_naive, with loops as in "
        "CS231n's assignment 2 (channels last, Keras' layout): 'workbench exercises start cnn', "
        "then 'workbench check cnn'.",
        title_zh="写出输出尺寸公式、卷积和最大池化",
        about_zh="conv_output_size、conv_forward_naive 和 max_pool_forward_naive，与 CS231n 作业 2 "
                 "一样用循环实现（通道在最后，Keras 的布局）：先 'workbench exercises start cnn'，"
                 "再 'workbench check cnn'。",
    ),
)
