"""What a path tells the learner before a prediction must not answer it.

A Read step scrolls the notes to a heading; a Predict step after it asks a question the
next experiment settles. If the section read first states the answer ("So df/dx = -4"),
the prediction tests reading, not thinking. For every lesson of this distribution and
both languages, each section read before a prediction, and the `look_for` of the
experiment that settles it (shown before that run), must not hold the answer:

- a generic check: the correct answer's exact text, and any number in it that neither the
  question nor a wrong answer holds ("2.30", "9", "0.5"), standing alone;
- the phrases that gave each answer away (or would), listed by hand per prediction,
  because a numeric answer such as -4 also appears as an input (z = -4) and only its
  context ("df/dx = -4", "q's gradient, -4") gives it away.

Every prediction has to be listed, so a new one comes with its own giveaway phrases.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from workbench import registry
from workbench.course import guide
from workbench.course.guide import Experiment, Predict, Read
from workbench.course.wording import in_language

LESSONS = ("knn", "linear", "backprop", "training", "cnn", "resnet", "transfer", "lstm")
LANGS = ("en", "zh")

# lesson -> prediction title (English) -> language -> regular expressions (case-insensitive)
# whose match in an earlier read section gives the answer away.
GIVEAWAYS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "knn": {
        "k = 1 on its own training images": {
            "en": (r"own nearest neighbou?r", r"always gives k = 1", r"training accuracy (is|of) 1"),
            "zh": (r"自己的最近邻", r"永远是 k = 1", r"训练集准确率为 1"),
        },
        "k = 20 on the training images": {
            "en": (r"always gives k = 1", r"outvot", r"drops? below 1", r"accuracy below 1"),
            "zh": (r"永远是 k = 1", r"压过", r"降到 1", r"低于 1 的训练集准确率"),
        },
    },
    "linear": {
        "Softmax's loss before the first step": {
            "en": (r"ln C\b", r"ln 10", r"1/C\b", r"log\(1/10\)", r"2\.30"),
            "zh": (r"ln C\b", r"ln 10", r"1/C\b", r"log\(1/10\)", r"2\.30"),
        },
        "The SVM's loss before the first step": {
            "en": (r"C - 1", r"=\s*9\b", r"loss of 9", r"\b9 wrong classes"),
            "zh": (r"C - 1", r"=\s*9\b", r"损失是 9", r"9 个错误类别"),
        },
        "Three ways to find W": {
            "en": (r"random( search)?\s*<\s*local", r"local( search)?\s*<\s*gradient",
                   r"order is the same", r"beats? random search", r"beats? local search"),
            "zh": (r"随机搜索\s*<\s*本地搜索", r"本地搜索\s*<\s*梯度", r"顺序相同",
                   r"胜过随机搜索", r"胜过本地搜索"),
        },
    },
    "backprop": {
        "df/dx through the add gate": {
            "en": (r"d ?f ?/ ?d ?[qxy] = (z = )?-4", r"gradient,? -4", r"receive -4"),
            "zh": (r"d ?f ?/ ?d ?[qxy] = (z = )?-4", r"梯度 ?-4", r"收到 ?-4"),
        },
        "The sigmoid as one gate": {
            "en": (r"same gradients", r"gradients? agree"),
            "zh": (r"相同的梯度", r"梯度一致"),
        },
        "Gradients at a fork": {
            "en": (r"gradients add", r"(is|are) (their|the) sum", r"d[xy] \+=", r"fan-out adds"),
            "zh": (r"梯度(要)?相加", r"它们的和", r"之和", r"d[xy] \+="),
        },
    },
    "training": {
        "One outlier among 51 values": {
            "en": (r"median (does|did) not move", r"100/51", r"1\.96", r"a 51st"),
            "zh": (r"中位数一点也(不|没)动", r"100/51", r"1\.96", r"51 分之一"),
        },
        "Ten tanh layers at std 0.01": {
            "en": (r"0\.22\^10", r"10\^-7", r"=\s*0\.22", r"outputs \(almost\) 0",
                   r"signal vanishes", r"under a thousandth"),
            "zh": (r"0\.22\^10", r"10\^-7", r"=\s*0\.22", r"（几乎）都是 0", r"千分之一"),
        },
        "ReLUs at four times the learning rate": {
            "en": (r"far more (of them )?die", r"more dead", r"dead share (rises|grows)"),
            "zh": (r"死亡的?(ReLU )?(多得多|更多)", r"死亡比例(上升|增加)"),
        },
    },
    "cnn": {
        "AlexNet's first layer": {
            "en": (r"=\s*55\b", r"55x55", r"55 positions"),
            "zh": (r"=\s*55\b", r"55x55", r"55 个位置"),
        },
        "LeNet-5 against AlexNet on the digits": {
            "en": (r"about the same", r"within a few points", r"score(s)? (about )?as well"),
            "zh": (r"差不多", r"几个百分点"),
        },
    },
    "resnet": {
        "Twenty layers, with and without shortcuts": {
            "en": (r"residual twin ends", r"(ends|with) the lower training loss",
                   r"plain twin ends (higher|worse|behind)"),
            "zh": (r"残差孪生网络.{0,12}更低", r"更低的训练损失"),
        },
        "Eight layers": {
            "en": (r"\b8 layers", r"eight layers", r"depth=8", r"ResNet-8\b", r"run together"),
            "zh": (r"8 层", r"八层", r"depth=8", r"并驾齐驱"),
        },
    },
    "transfer": {
        "Frozen backbone or stored features": {
            "en": (r"learns the same thing", r"`features_test_accuracy` agree",
                   r"accuracies agree", r"within (a couple of|2) points"),
            "zh": (r"学到的东西也相同", r"`features_test_accuracy` 一致", r"2 个百分点以内"),
        },
        "Cut the backbone later": {
            "en": (r"serve digits 5-9 better", r"default cut is", r"scores? above one on stage 3",
                   r"below one on stage 1"),
            "zh": (r"更适合数字 5-9", r"默认截断点为", r"高于阶段 3"),
        },
        "A bigger source, a harder new task": {
            "en": (r"Fashion", r"several points", r"beats training from scratch"),
            "zh": (r"Fashion", r"好几个百分点", r"比从零训练高出"),
        },
    },
    "lstm": {
        "Perplexity after four short epochs": {
            "en": (r"below 10\b", r"about 6\b", r"between about 6"),
            "zh": (r"低于 10\b", r"约 6 个"),
        },
        "The longest step with clipping": {
            "en": (r"learning rate x clipnorm", r"0\.1 x 5", r"no step is longer"),
            "zh": (r"学习率（learning rate）与 clipnorm 的乘积", r"学习率 x clipnorm",
                   r"没有哪一步超过", r"0\.1 x 5"),
        },
        "The synced shape asked to reverse": {
            "en": (r"0\.64", r"\(3 \+ 2 x 0\.1\) / 5", r"first two outputs"),
            "zh": (r"0\.64", r"\(3 \+ 2 x 0\.1\) / 5", r"前两个"),
        },
    },
}

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def sections(markdown: str) -> dict[str, str]:
    """Each heading's section: its text up to the next heading of its level or above (a
    top-level heading keeps only its introduction, up to the first `##`)."""
    lines = markdown.splitlines()
    tokens = MarkdownIt().parse(markdown)
    heads = [(t.map[0], int(t.tag[1]), tokens[i + 1].content.strip())
             for i, t in enumerate(tokens) if t.type == "heading_open"]
    found = {}
    for j, (start, level, title) in enumerate(heads):
        end = next((line for line, lv, _ in heads[j + 1:] if lv <= max(level, 2)), len(lines))
        found[title] = "\n".join(lines[start:end])
    return found


def _in_lang(step, name: str, lang: str):
    return getattr(in_language(step, lang), name)


def _numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(text))


def _distinctive(text: str, lang: str) -> bool:
    if lang == "en":
        return len(re.findall(r"[A-Za-z]+", text)) >= 2
    return len(re.findall(r"[\u4e00-\u9fff]", text)) >= 5


def generic_giveaways(predict: Predict, lang: str) -> list[str]:
    """Patterns for the correct answer's own text and its distinctive numbers."""
    answers = _in_lang(predict, "answers", lang)
    question = _in_lang(predict, "question", lang)
    correct = answers[predict.correct]
    # the whole answer and each side of its colon ("At most 0.5: learning rate x clipnorm"),
    # where they say something of their own: two words, or five Chinese characters
    parts = {correct, *(part.strip() for part in re.split(r"[:：]", correct))}
    patterns = [re.escape(part) for part in sorted(parts)
                if part.lower() not in question.lower() and _distinctive(part, lang)]
    others = _numbers(question).union(*(_numbers(a) for i, a in enumerate(answers) if i != predict.correct))
    for n in sorted(_numbers(correct) - others):
        # 2.30 also catches 2.303; a bare 9 is not the 9 of 0.9, 19, 9.5 or x9
        before, after = r"(?<![0-9A-Za-z_.,])", r"(?![0-9A-Za-z_,]|\.\d)"
        patterns.append(before + re.escape(n) + (r"\d*" if "." in n else after))
    return patterns


def giveaways_in(text: str, lesson_id: str, predict: Predict, lang: str) -> list[str]:
    """The giveaway patterns of `predict` that `text` matches, with what they matched."""
    listed = GIVEAWAYS[lesson_id][predict.title][lang]
    text = re.sub(r"\s+", " ", text)  # a phrase may break across lines
    hits = []
    for pattern in (*listed, *generic_giveaways(predict, lang)):
        match = re.search(pattern, text, re.I)
        if match:
            hits.append(f"{pattern!r} matched {match.group(0)!r}")
    return hits


def _pairs(lesson_id: str, lang: str):
    """(what is read, its text, the prediction) for each text shown before a prediction:
    every read section before it, and the look_for of the experiment that settles it."""
    lesson = registry.get(lesson_id)
    notes = sections(lesson.notes if lang == "en" else lesson.notes_zh)
    steps = guide.steps_of(lesson)
    for p, predict in enumerate(steps, start=1):
        if not isinstance(predict, Predict):
            continue
        for r, read in enumerate(steps[: p - 1], start=1):
            if isinstance(read, Read):
                heading = lesson.section_in(lang, read.section)
                yield f"step {r} reads {heading!r}, step {p} asks", notes[heading], predict
        settling = steps[predict.settled_by - 1]
        assert isinstance(settling, Experiment)
        yield (f"step {predict.settled_by}'s look_for, shown before step {p} is answered",
               _in_lang(settling, "look_for", lang), predict)


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_every_prediction_has_its_giveaways_listed(lesson_id):
    titles = {s.title for s in guide.steps_of(registry.get(lesson_id)) if isinstance(s, Predict)}
    assert titles == set(GIVEAWAYS[lesson_id]), "list the giveaway phrases of each prediction"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_nothing_read_before_a_prediction_gives_its_answer_away(lesson_id, lang):
    found = []
    for where, text, predict in _pairs(lesson_id, lang):
        found += [f"{where} {predict.title!r}: {hit}" for hit in giveaways_in(text, lesson_id, predict, lang)]
    assert not found, "\n".join(found)


# The passages the check was written against (the notes before issue 26): it must catch them.
OLD_PASSAGES = [
    ("backprop", "df/dx through the add gate", "en",
     "- The add gate: its local gradients are 1, so x and y both receive q's gradient, -4: it\n"
     "  **distributes**.\n\nSo df/dx = -4, df/dy = -4, df/dz = 3."),
    ("backprop", "df/dx through the add gate", "zh", "加法门：所以 x 和 y 都收到 q 的梯度 -4。因此 df/dx = -4。"),
    ("knn", "k = 1 on its own training images", "en",
     "Picking the k that works best on the *training* data always gives k = 1 (every\n"
     "  training image is its own nearest neighbour)"),
    ("knn", "k = 20 on the training images", "en", "Training accuracy below 1, and where the test accuracy lands"),
    ("linear", "Softmax's loss before the first step", "en",
     "Softmax then gives each of C classes probability 1/C: loss ln C."),
    ("linear", "The SVM's loss before the first step", "en",
     "The SVM sees every wrong class exactly at the margin: loss (C - 1) * delta."),
    ("linear", "The SVM's loss before the first step", "zh", "这次的初始损失是 9；"),
    ("training", "Ten tanh layers at std 0.01", "en",
     "0.01 x sqrt(500) = 0.22, so by layer 10 it is about 0.22^10 = 3 x 10^-7 of the"),
    ("cnn", "AlexNet's first layer", "en", "AlexNet's first layer: (227 - 11) / 4 + 1 = 55."),
    ("cnn", "AlexNet's first layer", "zh", "AlexNet 的第一层：(227 - 11) / 4 + 1 = 55。"),
    ("resnet", "Eight layers", "en", "The two training losses epoch by epoch: this time they run together."),
    ("transfer", "Frozen backbone or stored features", "en",
     "same batches it learns the same thing (`frozen_test_accuracy` and\n   `features_test_accuracy` agree)"),
    ("transfer", "Cut the backbone later", "en",
     "on digits the features after stage 1 serve\ndigits 5-9 better than those after stage 3"),
    ("lstm", "The longest step with clipping", "en",
     "with clipping no step is longer than learning rate x clipnorm."),
    ("lstm", "The longest step with clipping", "zh", "截断时则没有哪一步超过学习率（learning rate）与 clipnorm 的乘积。"),
]


@pytest.mark.parametrize("lesson_id, title, lang, passage", OLD_PASSAGES,
                         ids=[f"{p[0]}-{p[2]}-{i}" for i, p in enumerate(OLD_PASSAGES)])
def test_the_check_catches_the_giveaways_it_was_written_for(lesson_id, title, lang, passage):
    predict = next(s for s in guide.steps_of(registry.get(lesson_id))
                   if isinstance(s, Predict) and s.title == title)
    assert giveaways_in(passage, lesson_id, predict, lang)


def test_the_generic_check_takes_only_the_answers_own_numbers():
    softmax = next(s for s in guide.steps_of(registry.get("linear")) if isinstance(s, Predict))
    patterns = generic_giveaways(softmax, "en")
    assert any(re.search(p, "ln 10 = 2.303") for p in patterns)  # 2.30, however written
    assert not any(re.search(p, "on 10 classes; 0.001 * randn") for p in patterns)  # 10 is in the question
