"""The guided path through backpropagation: the lecture's two scalar graphs, whose
gradients are known by hand, then a two-layer net whose backward pass is written out and
checked against tf.GradientTape. The scalar runs take a second, the net a few."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Experiment, Predict, Read, compares

EXACT = 1e-9  # float64 gradients of a handful of gates: equal up to round-off
LECTURE_DIGITS = 0.005  # the lecture's neuron gradients are quoted to two decimals

ADD_MUL = {"x": -2.0, "y": 5.0, "z": -4.0}
ADD_MUL_GRADIENTS = {"df_dx": -4.0, "df_dy": -4.0, "df_dz": 3.0}
NEURON_GRADIENTS = {"df_dw0": -0.20, "df_dw1": -0.39, "df_dw2": 0.20, "df_dx0": 0.39, "df_dx1": -0.59}


def matches(expected: dict[str, float], tolerance: float):
    """A judge: every named gradient within `tolerance` of the lecture's value."""
    def judge(metrics):
        found = {name: float(guide.value(metrics, name)) for name in expected}
        worst = max(abs(found[name] - want) for name, want in expected.items())
        shown = ", ".join(f"{name[3:]} {number(found[name])}" for name in expected)
        return worst <= tolerance, f"{shown}; largest distance from the lecture's {number(worst)}"

    return judge


_TENSORFLOW_WHY = ("The graph's gates and the TensorFlow version compute different functions: "
                   "a gate's local gradient was changed in lessons/backprop/graph.py")
_TENSORFLOW_WHY_ZH = ("计算图的门和 TensorFlow 版本算的不是同一个函数：lessons/backprop/graph.py 中某个门"
                      "的局部梯度被改过")

STEPS = (
    Read("The first graph", "The first graph (`--set example=add_mul`)",
         title_zh="第一个计算图", section_zh="第一个计算图（`--set example=add_mul`）"),
    Predict(
        "df/dx through the add gate",
        "f = (x + y) z at x = -2, y = 5, z = -4. What is df/dx?",
        ("1", "3", "-12", "-4"),
        3,
        "The mul gate hands q = x + y the other input's value, z = -4; the add gate's local "
        "gradients are 1, so it hands that -4 on to x (and to y) unchanged.",
        settled_by=3,
        title_zh="经过加法门的 df/dx",
        question_zh="f = (x + y) z，取 x = -2，y = 5，z = -4。df/dx 是多少？",
        answers_zh=("1", "3", "-12", "-4"),
        reason_zh="乘法门（mul gate）把另一个输入的值 z = -4 交给 q = x + y；加法门（add gate）的局部"
                  "梯度（local gradient）都是 1，所以它把这个 -4 原样分发给 x（和 y）。",
    ),
    Experiment(
        "(x + y) z, gate by gate",
        {"example": "add_mul", **ADD_MUL},
        (
            Claim("The backward pass gives the lecture's gradients: df/dx = -4, df/dy = -4, df/dz = 3",
                  matches(ADD_MUL_GRADIENTS, EXACT),
                  "x, y or z was changed from the lecture's -2, 5, -4: the gradients are z, z "
                  "and x + y at your values",
                  text_zh="反向传播给出课上的梯度：df/dx = -4，df/dy = -4，df/dz = 3",
                  why_not_zh="x、y 或 z 不再是课上的 -2、5、-4：在你的取值下，梯度分别是 z、z 和 x + y"),
            compares("max_error_vs_tensorflow", "<", EXACT,
                     "tf.GradientTape agrees with every hand-propagated gradient (relative error "
                     "below 1e-9)",
                     _TENSORFLOW_WHY,
                     text_zh="tf.GradientTape 与每一个手工反向传播的梯度都一致（相对误差低于 1e-9）",
                     why_not_zh=_TENSORFLOW_WHY_ZH),
        ),
        look_for="The graph drawn from f back to x, y, z: each node's forward value and gradient.",
        title_zh="(x + y) z，逐门计算",
        look_for_zh="从 f 回溯到 x、y、z 的计算图：每个节点（node）的前向值和梯度。",
    ),
    Predict(
        "The sigmoid as one gate",
        "The neuron's sigmoid can be cut into primitive gates (times -1, exp, +1, 1/x) or be one "
        "gate with local gradient s (1 - s). Do the two graphs give the same gradients?",
        ("Yes, up to round-off", "No: the staged graph is exact, the one gate only approximates",
         "No: the one gate is exact, the staged graph only approximates"),
        0,
        "s'(a) = s(a) (1 - s(a)) is the exact derivative, the product of the four primitive "
        "gates' local gradients. How a graph is cut into gates is a choice; the chain rule "
        "gives the same numbers either way.",
        settled_by=5,
        shown_by=1,
        title_zh="把 sigmoid 当作一个门",
        question_zh="神经元的 sigmoid 可以拆成基本门（times -1、exp、+1、1/x），也可以是一个局部梯度"
                    "为 s (1 - s) 的门。两种计算图给出的梯度相同吗？",
        answers_zh=("相同，只差舍入误差", "不同：分步的图是精确的，单个门只是近似",
                    "不同：单个门是精确的，分步的图只是近似"),
        reason_zh="s'(a) = s(a) (1 - s(a)) 就是精确的导数（derivative），等于四个基本门局部梯度的乘积。"
                  "把计算图切分成哪些门是一种选择；无论怎么切，链式法则（chain rule）都给出同样的数。",
    ),
    Experiment(
        "A sigmoid neuron, gate by gate",
        {"example": "neuron", "weights": (2.0, -3.0, -3.0), "inputs": (-1.0, -2.0)},
        (
            Claim("The lecture's gradients to two decimals: dw = (-0.20, -0.39, 0.20), "
                  "dx = (0.39, -0.59)",
                  matches(NEURON_GRADIENTS, LECTURE_DIGITS),
                  "weights or inputs were changed from the lecture's w = (2, -3, -3), "
                  "x = (-1, -2), so the gradients are another point's",
                  text_zh="与课上的梯度在两位小数内一致：dw = (-0.20, -0.39, 0.20)，dx = (0.39, -0.59)",
                  why_not_zh="weights 或 inputs 不再是课上的 w = (2, -3, -3)、x = (-1, -2)，梯度属于"
                             "另一个点"),
            compares("one_gate_max_difference", "<", EXACT,
                     "The sigmoid as one gate gives the same gradients as the staged graph",
                     "The sigmoid gate's local gradient s (1 - s) was changed in "
                     "lessons/backprop/graph.py",
                     text_zh="把 sigmoid 当作一个门，给出的梯度与分步的计算图相同",
                     why_not_zh="lessons/backprop/graph.py 中 sigmoid 门的局部梯度 s (1 - s) 被改过"),
            compares("max_error_vs_tensorflow", "<", EXACT,
                     "tf.GradientTape agrees with every gradient of the neuron (relative error "
                     "below 1e-9)",
                     _TENSORFLOW_WHY,
                     text_zh="tf.GradientTape 与神经元的每一个梯度都一致（相对误差低于 1e-9）",
                     why_not_zh=_TENSORFLOW_WHY_ZH),
        ),
        look_for="exp's local gradient is its output, 1/x's is -1/x^2; and the gate patterns "
                 "line: add distributes, mul swaps, max routes, fan-out adds.",
        title_zh="一个 sigmoid 神经元，逐门计算",
        look_for_zh="exp 的局部梯度是它的输出，1/x 的是 -1/x^2；再看门的模式那一行：add 分发，"
                    "mul 互换，max 路由，扇出（fan-out）相加。",
    ),
    Compare(
        "Two independent checks",
        (3, 5),
        ("f", "max_error_vs_tensorflow", "max_error_vs_finite_differences"),
        "Autodiff and the hand-propagated gradients agree to the last bit or nearly; centred "
        "differences agree only to about 1e-11, their own truncation and round-off. Both "
        "checks are independent of the graph, which is why they can catch a wrong local gradient.",
        title_zh="两种相互独立的检查",
        point_zh="自动微分（autodiff）与手工反向传播的梯度一致到最后一位或几乎如此；中心差分"
                 "（centred difference）只一致到约 1e-11，那是它自身的截断误差和舍入误差。两种检查"
                 "都不依赖这个计算图，所以才能发现写错的局部梯度。",
    ),
    Read("A network", "A network (`--set example=network`)",
         title_zh="一个网络", section_zh="一个网络（`--set example=network`）"),
    Experiment(
        "A two-layer net, its backward pass by hand",
        {"example": "network", "hidden": 64, "epochs": 5, "learning_rate": 0.1, "batch_size": 64},
        (
            compares("max_error_vs_tensorflow", "<", 1e-7,
                     "The NumPy backward pass matches tf.GradientTape on every parameter (relative "
                     "error below 1e-7, in float64)",
                     "A stage of the backward pass in lessons/backprop/network.py was changed: "
                     "error_by_parameter names the parameter whose gradient is off",
                     text_zh="NumPy 写的反向传播在每个参数上都与 tf.GradientTape 一致（float64 下"
                             "相对误差低于 1e-7）",
                     why_not_zh="lessons/backprop/network.py 中反向传播的某个阶段被改过："
                                "error_by_parameter 会指出梯度不对的那个参数"),
            compares("weights_max_difference_after_training", "<", 1e-4,
                     "Trained from one start on the same batches, the hand-written and the Keras "
                     "net end with the same weights (up to float32 round-off)",
                     "Many more epochs or a larger learning_rate let float32 round-off add up "
                     "over thousands of steps; the two nets still agree on their answers",
                     text_zh="从同一个起点出发、在相同的批量（batch）上训练，手写梯度的网络和 Keras "
                             "网络最终的权重相同（只差 float32 舍入误差）",
                     why_not_zh="轮次多得多或 learning_rate 更大时，float32 舍入误差会在成千上万步中"
                                "累积；两个网络给出的答案仍然一致"),
            compares("relu_jacobian_off_diagonal_max", "==", 0.0,
                     "ReLU's Jacobian is diagonal: every off-diagonal entry is exactly 0",
                     "This does not depend on any setting: if it failed, TensorFlow's Jacobian of "
                     "relu is not elementwise on this install",
                     text_zh="ReLU 的雅可比矩阵（Jacobian）是对角矩阵：所有非对角元素都恰好为 0",
                     why_not_zh="这与任何设置都无关：如果它不成立，说明这个安装上 TensorFlow 算出的 "
                                "relu 雅可比矩阵不是逐元素的"),
        ),
        look_for="The relative error per parameter, then the two training curves lying on top "
                 "of each other.",
        title_zh="两层网络，手写反向传播",
        look_for_zh="每个参数的相对误差，然后是两条几乎重合的训练曲线。",
    ),
)
