"""The guided path through training neural networks: one experiment per choice the notes
discuss (initialisation, activations, batch normalisation, optimisers, regularisation),
each shortened to a few epochs where the claim shows after them; about half a minute each
on two cores."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Experiment, Predict, Read, compares, near, ordered

BOWL_START_LOSS = 0.5 * (8.0 ** 2 + 100 * 1.0 ** 2)  # the bowl at (-8, 1): 82
DROPOUT = 0.5


def _entry(metrics, name: str, *keys: str):
    """A metric inside a metric: final_train_loss["sgd"], scores["none"]["train_accuracy"]."""
    found = guide.value(metrics, name)
    for key in keys:
        if not isinstance(found, dict) or found.get(key) is None:
            raise guide.MissingMetric(".".join((name, *keys)))
        found = found[key]
    return found


def symmetry_kept(metrics):
    moved = float(guide.value(metrics, "constant_init_weights_moved"))
    spread = float(guide.value(metrics, "constant_init_unit_spread"))
    return moved > 0 and spread <= moved / 100, (
        f"weights moved up to {number(moved)}; units of a layer differ by {number(spread)}")


def sigmoid_slowest(metrics):
    final = {name: float(v) for name, v in guide.value(metrics, "final_val_accuracy").items()}
    if "sigmoid" not in final or len(final) < 2:
        raise guide.MissingMetric("final_val_accuracy.sigmoid")
    others = {name: v for name, v in final.items() if name != "sigmoid"}
    lowest = min(others, key=others.get)
    return final["sigmoid"] < others[lowest], (
        f"sigmoid {number(final['sigmoid'])}; lowest of the others {lowest} {number(others[lowest])}")


def bn_survives_high_rate(metrics):
    gain = guide.value(metrics, "bn_gain_at_high_lr")
    if isinstance(gain, str):
        return gain == "only the plain net diverged", f"bn_gain_at_high_lr: {gain}"
    gain = float(gain)
    return gain > 1.0, f"plain net's final loss over BN's {number(gain)} > 1"


def too_high_rate_diverges(metrics):
    by_rate = guide.value(metrics, "bowl_sgd_loss_by_rate")
    name = next((k for k in by_rate if k.startswith("too high")), None)
    if name is None:
        raise guide.MissingMetric("bowl_sgd_loss_by_rate.too high")
    loss = float(by_rate[name])
    return loss > BOWL_START_LOSS, (f"SGD {name}: loss {number(loss)} after 60 steps > "
                                    f"{number(BOWL_START_LOSS)} at the start")


def momentum_beats_sgd(metrics):
    sgd, momentum = (float(_entry(metrics, "final_train_loss", n)) for n in ("sgd", "momentum"))
    return momentum < sgd, f"momentum {number(momentum)} < sgd {number(sgd)}"


def memorised(metrics):
    accuracy = float(_entry(metrics, "scores", "none", "train_accuracy"))
    return accuracy == 1.0, f"no regularisation: train accuracy {number(accuracy)}"


def inverted_dropout(metrics):
    zeroed = float(guide.value(metrics, "dropout_zeroed_fraction"))
    kept = float(guide.value(metrics, "dropout_kept_value"))
    ok = abs(zeroed - DROPOUT) <= 0.05 and abs(kept - 1 / (1 - DROPOUT)) <= 1e-5
    return ok, (f"zeroed {number(zeroed)} (p = {DROPOUT:g}), survivors {number(kept)} "
                f"(1/(1 - p) = {1 / (1 - DROPOUT):g})")


STEPS = (
    Read("Initialisation", "Initialisation (`--set experiment=init`)",
         title_zh="权重初始化", section_zh="权重初始化（`--set experiment=init`）"),
    Predict(
        "Ten tanh layers at std 0.01",
        "Ten tanh layers of 500 units, weights drawn with std 0.01. How does the last layer's "
        "spread of activations compare with the first's?",
        ("About the same", "About a tenth of it", "Almost nothing: under a thousandth of it",
         "Larger: the units saturate"),
        2,
        "Each layer multiplies the spread by about 0.01 x sqrt(500) = 0.22, so ten layers leave "
        "about 0.22^10 = 3 x 10^-7 of it: every unit outputs almost 0, and since each layer's "
        "weight gradient is proportional to its input, the weights hardly learn.",
        settled_by=3,
        title_zh="std 0.01 下的十层 tanh",
        question_zh="十个 500 单元的 tanh 层，权重以 std 0.01 抽取。最后一层激活值（activation）的"
                    "离散程度与第一层相比如何？",
        answers_zh=("差不多", "约为十分之一", "几乎为零：不到千分之一", "更大：单元饱和了"),
        reason_zh="每经过一层，离散程度约乘以 0.01 x sqrt(500) = 0.22，十层之后只剩约 "
                  "0.22^10 = 3 x 10^-7：每个单元的输出都几乎为 0；而每层权重的梯度（gradient）与"
                  "这一层的输入成正比，所以权重几乎学不到东西。",
    ),
    Experiment(
        "Weight scales on ten tanh layers",
        {"experiment": "init", "activation": "tanh", "std": (0.01, 1.0), "epochs": 1},
        (
            compares("small_scale_std_ratio", "<", 1e-3,
                     "At std 0.01 the signal vanishes: the last layer's spread is under a "
                     "thousandth of the first's",
                     "std no longer starts at 0.01 (its smallest value is what is measured), or "
                     "layers was cut well below 10, leaving fewer layers to shrink the signal",
                     text_zh="std 0.01 时信号消失：最后一层的离散程度不到第一层的千分之一",
                     why_not_zh="std 的最小值不再是 0.01（测的正是最小的那个），或者 layers 被削到"
                                "远少于 10，缩小信号的层变少了"),
            compares("large_scale_saturated", ">", 0.5,
                     "At std 1 most of the last layer's tanh units are saturated at +-1",
                     "std no longer reaches 1 (its largest value is what is measured), or the "
                     "activation is not tanh",
                     text_zh="std 1 时，最后一层的大多数 tanh 单元都饱和（saturation）在 +-1",
                     why_not_zh="std 的最大值不再是 1（测的正是最大的那个），或者激活函数不是 tanh"),
            Claim("Weights that all start equal stay equal: after an epoch the units of a layer "
                  "still differ by under 1% of how far the weights moved",
                  symmetry_kept,
                  "This holds whatever the settings; if the weights did not move at all, the "
                  "learning rate is too small for one epoch to show anything",
                  text_zh="初始值全部相同的权重始终相同：训练一轮后，同一层各单元之间的差别不到权重"
                          "移动量的 1%",
                  why_not_zh="无论怎样设置这一点都成立；如果权重根本没动，说明学习率太小，一个轮次"
                             "显示不出任何变化"),
        ),
        look_for="The std of the activations layer by layer, one line per scale, and the "
                 "log-scale chart of them.",
        title_zh="十层 tanh 上的权重尺度",
        look_for_zh="每种尺度一行，逐层列出激活值的标准差（standard deviation），以及它们的对数坐标图。",
    ),
    Experiment(
        "The same scales on ten ReLU layers",
        {"experiment": "init", "activation": "relu", "std": (0.01, 1.0), "epochs": 1},
        (
            near("he_std_ratio", 1.0, 0.5,
                 "He's sqrt(2/n) keeps a ReLU net's spread: last layer over first within 50% of 1",
                 "The activation is not relu (He's factor 2 makes up for ReLU zeroing half its "
                 "inputs), or another seed drew unusual weights",
                 target_words="a kept spread",
                 text_zh="He 的 sqrt(2/n) 能保持 ReLU 网络的离散程度：最后一层与第一层之比在 1 的 "
                         "50% 以内",
                 why_not_zh="激活函数不是 relu（He 的系数 2 正是为了补偿 ReLU 把一半输入置零），"
                            "或者换了随机种子（seed），抽到了不寻常的权重"),
            ordered("xavier_std_ratio", "<", "he_std_ratio",
                    "Xavier's 1/n, made for tanh, lets a ReLU net's signal fade: its ratio ends "
                    "below He's",
                    "The activation is not relu, or another seed drew unusual weights: with ReLU, "
                    "Xavier's 1/n halves the variance at every layer",
                    labels=("Xavier", "He"),
                    text_zh="为 tanh 设计的 Xavier（1/n）会让 ReLU 网络的信号衰减：它的比值低于 He 的",
                    why_not_zh="激活函数不是 relu，或者换了随机种子，抽到了不寻常的权重：用 ReLU 时，"
                               "Xavier 的 1/n 每经过一层都让方差减半"),
        ),
        look_for="The xavier and he lines: which one keeps the spread from layer 1 to layer 10.",
        title_zh="同样的尺度用在十层 ReLU 上",
        look_for_zh="xavier 和 he 两行：哪一个把离散程度从第 1 层保持到了第 10 层。",
    ),
    Compare(
        "Xavier for tanh, He for ReLU",
        (3, 4),
        ("xavier_std_ratio", "he_std_ratio", "small_scale_std_ratio"),
        "Read the columns: under tanh both scales keep the signal alive, Xavier's (variance "
        "1/n) fading slowly to about a third after ten layers and He's larger weights keeping "
        "more of it, with slightly more units pushed towards +-1. Under ReLU, which zeroes half "
        "of what it is given, Xavier's signal fades to a few hundredths while He's 2/n keeps it "
        "near 1: the factor 2 is what ReLU needs. The course's notes write sqrt(2.0/n) and call "
        "it Xavier; the two runs show it is He's factor.",
        title_zh="tanh 用 Xavier，ReLU 用 He",
        point_zh="按列来读：用 tanh 时两种尺度都让信号活了下来，Xavier（方差 1/n）的信号缓慢衰减，"
                 "十层之后约剩三分之一，He 更大的权重保留得更多，只是被推向 +-1 的单元也略多一些。"
                 "用 ReLU 时，由于 ReLU 会把一半输入置零，Xavier 的信号衰减到百分之几，而 He 的 2/n "
                 "让它保持在 1 附近：系数 2 正是 ReLU 所需要的。课程笔记写的是 sqrt(2.0/n)，并把它叫作 "
                 "Xavier；这两次运行表明那是 He 的系数。",
    ),
    Predict(
        "ReLUs at four times the learning rate",
        "The same 4-layer ReLU net is trained again with a learning rate 4 times larger. What "
        "happens to the share of dead ReLUs (off for every one of 512 training images)?",
        ("About the same", "Far more of them die", "Fewer: larger steps shake them loose"),
        1,
        "A large update can push a unit's weights where its input is negative for every image; "
        "there it passes no gradient, so nothing ever brings it back. Mind the learning rate, "
        "watch the dead share, and try leaky ReLU if it bites.",
        settled_by=7,
        title_zh="4 倍学习率下的 ReLU",
        question_zh="同一个 4 层 ReLU 网络用 4 倍的学习率（learning rate）再训练一次。死亡 ReLU"
                    "（dead ReLU，对 512 张训练图像全部处于关闭状态的单元）的比例会怎样？",
        answers_zh=("差不多", "死掉的多得多", "更少：更大的步子会把它们摇醒"),
        reason_zh="一次很大的更新可能把某个单元的权重推到对每张图像输入都为负的地方；在那里它传不回"
                  "任何梯度，所以再也没有什么能让它恢复。注意设置好学习率，监控死亡比例；如果问题"
                  "真的出现，就试试 leaky ReLU。",
    ),
    Experiment(
        "Five activation functions, 4 epochs",
        {"experiment": "activations", "epochs": 4},
        (
            ordered("dead_relu_fraction_high_lr", ">", "dead_relu_fraction",
                    "Four times the learning rate leaves far more dead ReLUs",
                    "learning_rate was lowered from the experiment's 0.05, so even 4 times it is "
                    "gentle; or another seed",
                    labels=("dead at 4x the rate", "dead at the rate"),
                    text_zh="4 倍学习率留下的死亡 ReLU 多得多",
                    why_not_zh="learning_rate 被调得比本实验的 0.05 低，4 倍之后依然温和；或者换了随机种子"),
            Claim("Sigmoid, stacked four deep, learns slowest: the lowest validation accuracy of the five",
                  sigmoid_slowest,
                  "Many more epochs (or a larger learning rate) let the sigmoid net catch up",
                  text_zh="堆叠四层的 sigmoid 学得最慢：五者中验证集准确率最低",
                  why_not_zh="轮次多得多（或学习率更大）时，sigmoid 网络能追上来"),
        ),
        look_for="The flat share per layer for each function, and the dead ReLUs by layer at the "
                 "two learning rates.",
        title_zh="五种激活函数，4 个轮次",
        look_for_zh="每种函数各层落在平坦部分上的比例，以及两种学习率下各层的死亡 ReLU。",
    ),
    Experiment(
        "With and without batch normalisation, 5 epochs",
        {"experiment": "batchnorm", "epochs": 5},
        (
            compares("bn_gain_at_bad_init", ">=", 2.0,
                     "At std 0.01 the plain net barely learns; with BN its final training loss is "
                     "at least 2 times lower",
                     "Many more epochs let the plain net find its way out of the vanishing signal, "
                     "or layers was cut so far that std 0.01 no longer kills the signal",
                     text_zh="std 0.01 时普通网络几乎学不到东西；加上 BN 后最终训练损失至少低 2 倍",
                     why_not_zh="轮次多得多时，普通网络能从消失的信号中摸索出来；或者 layers 被削得"
                                "太少，std 0.01 不再扼杀信号"),
            Claim("At 20 times the learning rate BN still trains: the plain net diverges or ends "
                  "with the higher loss",
                  bn_survives_high_rate,
                  "learning_rate was lowered, so 20 times it is no longer too high for the plain net",
                  text_zh="学习率为 20 倍时，加了 BN 的网络照样能训练：普通网络要么发散（diverge），"
                          "要么损失更高",
                  why_not_zh="learning_rate 被调低了，它的 20 倍对普通网络来说不再过高"),
            compares("bn_training_mean_minus_beta", "<", 1e-3,
                     "In training mode each unit leaves BN with its batch mean equal to beta",
                     "This does not depend on the settings; a batch_size of 1 has no spread to "
                     "standardise by",
                     text_zh="训练模式下，每个单元经过 BN 后在批量上的均值都等于 beta",
                     why_not_zh="这与设置无关；batch_size 为 1 时没有可以用来标准化的离散程度"),
        ),
        look_for="Each of the four final training losses, and which plain net is named as diverged.",
        title_zh="有无批量归一化，5 个轮次",
        look_for_zh="四次训练各自的最终训练损失，以及哪个普通网络被标为发散。",
    ),
    Experiment(
        "Six optimisers, on the bowl and the digits",
        {"experiment": "optimizers", "epochs": 3},
        (
            compares("bowl_momentum_over_sgd", "<", 0.1,
                     "On the narrow bowl momentum, with SGD's very step size, ends under a tenth "
                     "of SGD's loss",
                     "Nothing here depends on the settings: the bowl, the steps and the rates are "
                     "fixed; a changed optimizers.py would explain it",
                     text_zh="在狭长的碗上，动量（momentum）用和 SGD 完全相同的步长，最终损失不到 SGD "
                             "的十分之一",
                     why_not_zh="这里没有任何东西取决于设置：碗、步数和学习率都是固定的；只有改过的 "
                                "optimizers.py 能解释它"),
            Claim("Plain SGD with a step just past 2/100 diverges: after 60 steps its loss is "
                  "above the 82 it started from",
                  too_high_rate_diverges,
                  "Nothing here depends on the settings: the bowl and the rates are fixed",
                  text_zh="步长刚刚超过 2/100 的普通 SGD 会发散：走 60 步后，损失高于出发时的 82",
                  why_not_zh="这里没有任何东西取决于设置：碗和学习率都是固定的"),
            Claim("On the digits, from the same start, momentum ends with a lower training loss "
                  "than plain SGD",
                  momentum_beats_sgd,
                  "A learning_rate set for all six (instead of 0, each rule's own) can suit plain "
                  "SGD better; or many more epochs let SGD catch up",
                  text_zh="在手写数字上，从同一个起点出发，动量的最终训练损失低于普通 SGD",
                  why_not_zh="给六种规则统一设了 learning_rate（而不是 0，即各用各的），可能更适合"
                             "普通 SGD；或者轮次多得多，SGD 追了上来"),
        ),
        look_for="The paths on the bowl: plain SGD settles across the valley within a few zigzags, "
                 "then crawls along it; momentum, with the same step size, races along it "
                 "while still swinging across.",
        title_zh="六种优化器，在碗上和手写数字上",
        look_for_zh="碗上的路径：普通 SGD 横向来回几次就停在谷底线上，然后沿山谷慢慢爬；动量用同样的"
                    "步长沿山谷飞奔，同时仍在横向来回摆动。",
    ),
    Experiment(
        "Regularisation on 200 training images",
        {"experiment": "regularization", "epochs": 40, "learning_rate": 0.003, "train_size": 200,
         "dropout": DROPOUT, "l2": 1e-3},
        (
            Claim("Without regularisation the net memorises its 200 images: training accuracy 1",
                  memorised,
                  "Fewer epochs or a smaller learning rate stop it before it has memorised them; "
                  "or train_size was raised",
                  text_zh="不加正则化时，网络把 200 张图像全部背下来：训练集准确率为 1",
                  why_not_zh="轮次更少或学习率更小，在背完之前就停了；或者 train_size 被调大了"),
            ordered("val_loss_both", "<", "val_loss_none",
                    "The overfit net grows sure of its mistakes: with L2 and dropout together the "
                    "validation loss ends lower than without regularisation",
                    "Fewer epochs or a smaller learning rate stop before overconfidence shows: it "
                    "grows with training; or l2 and dropout were set too weak to matter",
                    labels=("L2 + dropout", "none"),
                    text_zh="过拟合（overfitting）的网络对自己的错误越来越确信：同时加上 L2 和随机失活"
                            "（dropout）时，验证损失最终低于不加正则化的网络",
                    why_not_zh="轮次更少或学习率更小，过度自信还没显现就停了：它随训练增长；或者 l2 和 "
                               "dropout 设得太弱，不起作用"),
            Claim("Inverted dropout: Dropout(0.5) zeroes about half of its inputs and doubles the rest",
                  inverted_dropout,
                  "dropout was changed from 0.5: the zeroed share is then about p and the "
                  "survivors 1/(1 - p)",
                  text_zh="反向随机失活（inverted dropout）：Dropout(0.5) 把约一半输入置零，其余加倍",
                  why_not_zh="dropout 不再是 0.5：这时被置零的比例约为 p，保留下来的值为 1/(1 - p)"),
        ),
        look_for="Per variant, training against validation accuracy and loss.",
        title_zh="200 张训练图像上的正则化",
        look_for_zh="每个变体的训练集与验证集准确率和损失。",
    ),
)
