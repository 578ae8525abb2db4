"""The guided path through the character LSTM: a small one trained for four short epochs
on 100,000 characters of Python's help text, what greedy sampling does with it, and
gradient clipping on a vanilla RNN whose gradient explodes. About 40 seconds per run on
2 CPU cores."""

from __future__ import annotations

from workbench import guide
from workbench.formatting import number
from workbench.guide import Claim, Compare, Exercise, Experiment, Predict, Read, compares

SMALL = {"max_chars": 100_000, "layers": 1, "units": 128, "seq_len": 32, "epochs": 4,
         "batch_size": 32, "learning_rate": 0.01}
PERPLEXITY = 10  # knowing nothing: the vocabulary, about 100; four epochs reach about 6
CLIPNORM = 5.0  # the lesson's default: the LSTM's gradient stays far below it
EXPLODED = 10  # the unclipped demo's longest step, in multiples of learning rate x clipnorm


def greedy_text_loops(metrics):
    period = int(guide.scalar(metrics, "greedy_loop_period"))
    covered = int(guide.scalar(metrics, "greedy_loop_chars"))
    return period > 0 and covered >= 80, (f"the T=0 sample ends in a loop of {period} characters "
                                          f"covering its last {covered} of 160 (at least 80)")


def _step_bound(metrics) -> float:
    return guide.scalar(metrics, "clip_demo_learning_rate") * guide.scalar(metrics, "clip_demo_clipnorm")


def clipped_step_bounded(metrics):
    bound = _step_bound(metrics)
    longest = guide.scalar(metrics, "clip_demo_clipped_longest_step")
    return longest <= bound * (1 + 1e-6), (f"longest clipped step {number(longest)} <= learning "
                                           f"rate x clipnorm = {number(bound)}")


def unclipped_step_exploded(metrics):
    bound = _step_bound(metrics)
    longest = guide.scalar(metrics, "clip_demo_unclipped_longest_step")
    return longest >= EXPLODED * bound, (f"longest unclipped step {number(longest)}, "
                                         f"{longest / bound:.0f}x learning rate x clipnorm "
                                         f"{number(bound)} (at least {EXPLODED}x)")


def _perplexity_claim(why_not: str, why_not_zh: str):
    return compares("final_val_perplexity", "<", PERPLEXITY,
                    f"The validation perplexity falls below {PERPLEXITY} (knowing nothing scores "
                    f"the vocabulary size, about 100)",
                    why_not,
                    text_zh=f"验证集困惑度（perplexity）降到 {PERPLEXITY} 以下（一无所知时等于词表"
                            f"大小，约 100）",
                    why_not_zh=why_not_zh)


STEPS = (
    Read("The model", "The model", title_zh="模型", section_zh="模型"),
    Predict(
        "Perplexity after four short epochs",
        "A model that knows nothing has a perplexity equal to the vocabulary size, about 100 "
        "characters here. Where will a one-layer LSTM of 128 units be after 4 epochs over "
        "90,000 training characters?",
        ("Still near 100: four epochs are nothing", "Between 20 and 60", "Below 10",
         "About 1: it has learnt the text"),
        2,
        "Most of the uncertainty goes early: which characters are frequent, that a space follows "
        "a word, how common words are spelled. After four epochs the model hesitates between "
        "about 6 characters, not 100; getting from there to 2 or 3 takes the bigger model and "
        "the whole corpus.",
        settled_by=3,
        title_zh="四个短轮次之后的困惑度",
        question_zh="一无所知的模型，困惑度等于词表大小，这里约为 100 个字符。一个 128 个单元"
                    "（unit）的单层 LSTM 在 90,000 个训练字符上训练 4 轮（epoch）之后，困惑度会在"
                    "哪里？",
        answers_zh=("仍然接近 100：四轮算不了什么", "在 20 到 60 之间", "低于 10",
                    "约为 1：它已经学会了这段文本"),
        reason_zh="大部分不确定性很早就消失了：哪些字符常见、单词后面跟空格、常用词怎么拼。四轮"
                  "之后，模型只在大约 6 个字符之间犹豫，而不是 100 个；要从这里降到 2 或 3，需要"
                  "更大的模型和整个语料库（corpus）。",
    ),
    Experiment(
        "A small LSTM, four short epochs",
        SMALL,
        (
            _perplexity_claim(
                "Too few epochs or characters (the preset trains 4 epochs on 100,000), a "
                "learning rate far from 0.01, or another corpus with a larger vocabulary",
                "轮数或字符太少（预设在 100,000 个字符上训练 4 轮），学习率与 0.01 相差太远，"
                "或者换了一个词表更大的语料库"),
            Claim("Sampling at temperature 0 loops: the last epoch's T=0 text ends repeating one "
                  "stretch, over at least half of its 160 characters",
                  greedy_text_loops,
                  "A bigger or longer-trained model can keep a T=0 text going longer before it "
                  "settles into a loop; with another seed the loop may start later",
                  text_zh="温度（temperature）为 0 的采样会循环：最后一轮 T=0 的文本以不断重复的一段"
                          "结尾，至少占它 160 个字符的一半",
                  why_not_zh="更大或训练更久的模型能让 T=0 的文本在陷入循环之前走得更远；换一个随机"
                             "种子，循环可能开始得更晚"),
            compares("final_grad_norm", "<", CLIPNORM,
                     f"At the end, the LSTM's gradient norm on the probe batch is below clipnorm "
                     f"{number(CLIPNORM)}: clipping is not what keeps it in bounds",
                     "A much larger learning rate or an unlucky batch can raise it; a vanilla RNN "
                     "instead of an LSTM would let it explode (the clip demo shows one)",
                     text_zh=f"训练结束时，LSTM 在探测批次（probe batch）上的梯度范数低于 clipnorm "
                             f"{number(CLIPNORM)}：让它保持在范围内的并不是梯度截断",
                     why_not_zh="大得多的学习率或者不走运的批次可能把它抬高；把 LSTM 换成原始 RNN 则会"
                                "让它爆炸（梯度截断演示里就有一个）"),
        ),
        look_for="The samples after each epoch: T=0 settles into repeating a few words, T=1 "
                 "invents words; and the validation perplexity falling.",
        title_zh="一个小 LSTM，四个短轮次",
        look_for_zh="每一轮之后的采样：T=0 陷入重复几个单词，T=1 会编造单词；以及验证集困惑度的"
                    "下降。",
    ),
    Read("Sampling", "Sampling", title_zh="采样", section_zh="采样（sampling）"),
    Read("Exploding and vanishing gradients", "Exploding and vanishing gradients",
         title_zh="梯度爆炸与梯度消失",
         section_zh="梯度爆炸（exploding gradients）与梯度消失（vanishing gradients）"),
    Predict(
        "The longest step with clipping",
        "The clip demo trains a SimpleRNN whose gradient explodes, with SGD at learning rate "
        "0.1, once without clipping and once clipped to a global norm of 5. How long can the "
        "clipped twin's longest step be?",
        ("At most 0.5: learning rate x clipnorm", "As long as the exploding gradient makes it",
         "At most 5: the clipnorm itself"),
        0,
        "Clipping rescales the whole gradient to norm at most 5 and keeps its direction; an SGD "
        "step is the learning rate times that gradient, so no step is longer than 0.1 x 5 = 0.5, "
        "however large the gradient was. Without clipping one step can throw the weights far away.",
        settled_by=7,
        title_zh="梯度截断时最长的一步",
        question_zh="梯度截断演示用学习率为 0.1 的 SGD 训练一个梯度会爆炸的 SimpleRNN，一次不截断，"
                    "一次把全局范数截断到 5。截断的那一次，最长的一步能有多长？",
        answers_zh=("至多 0.5：学习率 x clipnorm", "爆炸的梯度有多大，它就有多长",
                    "至多 5：就是 clipnorm 本身"),
        reason_zh="梯度截断把整个梯度按比例缩小到范数至多为 5，方向不变；SGD 的一步是学习率乘以这个"
                  "梯度，所以无论梯度原来多大，没有哪一步超过 0.1 x 5 = 0.5。不截断时，一步就能把"
                  "权重甩到很远的地方。",
    ),
    Experiment(
        "The clip demo, and the LSTM without clipping",
        {**SMALL, "clip_demo": True, "clipnorm": 0.0},
        (
            Claim("With clipping, the SimpleRNN's longest step is at most learning rate x clipnorm",
                  clipped_step_bounded,
                  "Clipping was applied per tensor instead of to the global norm, or after the "
                  "step: the bound holds only for the whole gradient rescaled before the update",
                  text_zh="有梯度截断时，SimpleRNN 最长的一步至多为学习率 x clipnorm",
                  why_not_zh="截断是逐个张量做的，而不是按全局范数，或者是在更新之后才做的：只有在"
                             "更新之前把整个梯度按比例缩小，这个上界才成立"),
            Claim(f"Without clipping, its longest step is at least {EXPLODED} times that bound: "
                  f"the gradient explodes",
                  unclipped_step_exploded,
                  "A shorter seq_len gives the gradient fewer steps to grow through (the demo "
                  "trains on windows of seq_len characters); with another seed the explosion can "
                  "come later",
                  text_zh=f"不截断时，它最长的一步至少是这个上界的 {EXPLODED} 倍：梯度爆炸了",
                  why_not_zh="更短的 seq_len 让梯度增长的步数更少（演示用 seq_len 个字符的窗口训练）；"
                             "换一个随机种子，爆炸可能来得更晚"),
            _perplexity_claim(
                "Without clipping a rare huge gradient can throw the LSTM off for an epoch; or "
                "the preset was changed (fewer epochs or characters, another learning rate)",
                "不截断时，偶尔一个巨大的梯度就可能让 LSTM 偏离一整轮；或者预设被改了（轮数或字符"
                "更少，学习率不同）"),
        ),
        look_for="The demo's two gradient-norm columns (both explode), its longest steps and the "
                 "recurrent weights' size after; then the LSTM trained without any clipping.",
        title_zh="梯度截断演示，以及不做截断的 LSTM",
        look_for_zh="演示中的两列梯度范数（两者都会爆炸）、最长的一步，以及训练后循环权重的大小；"
                    "然后是完全不做梯度截断训练的 LSTM。",
    ),
    Compare(
        "The LSTM with clipping and without",
        (3, 7),
        ("final_val_perplexity", "final_val_bits_per_char", "final_grad_norm"),
        "Clipped or not, the LSTM ends at about the same perplexity, its gradient norm far below "
        "5: the cell state, updated by addition, keeps it in bounds, and clipping is a safety net "
        "it does not need here. The vanilla RNN of the demo is where clipping matters.",
        title_zh="有梯度截断与没有梯度截断的 LSTM",
        point_zh="无论截断与否，LSTM 最终的困惑度都差不多，梯度范数远低于 5：通过加法更新的单元状态"
                 "（cell state）让它保持在范围内，梯度截断在这里只是一张用不上的安全网。真正需要"
                 "梯度截断的，是演示中的原始 RNN。",
    ),
    Exercise(
        "Write an LSTM step, sampling and clipping",
        "lstm_step, sample and clip_by_global_norm: 'workbench exercises start lstm', then "
        "'workbench check lstm'; once they pass, 'workbench generate saved_models/lstm.h5 "
        "--mine' writes text with your step and your sampler.",
        title_zh="写出 LSTM 的一步、采样和梯度截断",
        about_zh="lstm_step、sample 和 clip_by_global_norm：先 'workbench exercises start lstm'，"
                 "再 'workbench check lstm'；全部通过后，'workbench generate saved_models/lstm.h5 "
                 "--mine' 会用你的一步和你的采样函数来写文本。",
    ),
)
