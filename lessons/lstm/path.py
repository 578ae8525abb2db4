"""The guided path through the character LSTM: a small one trained for four short epochs
on 100,000 characters of Python's help text, what greedy sampling does with it, and
gradient clipping on a vanilla RNN whose gradient explodes. About 40 seconds per run on
2 CPU cores. Then the five input/output shapes of a recurrent task, each trained on a digit
task that needs it (about 25 seconds)."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, number,
    ordered, Predict, Read, scalar)

SMALL = {"max_chars": 100_000, "layers": 1, "units": 128, "seq_len": 32, "epochs": 4,
         "batch_size": 32, "learning_rate": 0.01}
# The claims' texts are message ids, written out: they state these three values in words.
PERPLEXITY = 10  # knowing nothing: the vocabulary, about 100; four epochs reach about 6
CLIPNORM = 5.0  # the lesson's default: the LSTM's gradient stays far below it
EXPLODED = 10  # the unclipped demo's longest step, in multiples of learning rate x clipnorm


def greedy_text_loops(metrics):
    period = int(scalar(metrics, "greedy_loop_period"))
    covered = int(scalar(metrics, "greedy_loop_chars"))
    return period > 0 and covered >= 80, (f"the T=0 sample ends in a loop of {period} characters "
                                          f"covering its last {covered} of 160 (at least 80)")


def _step_bound(metrics) -> float:
    return scalar(metrics, "clip_demo_learning_rate") * scalar(metrics, "clip_demo_clipnorm")


def clipped_step_bounded(metrics):
    bound = _step_bound(metrics)
    longest = scalar(metrics, "clip_demo_clipped_longest_step")
    return longest <= bound * (1 + 1e-6), (f"longest clipped step {number(longest)} <= learning "
                                           f"rate x clipnorm = {number(bound)}")


def unclipped_step_exploded(metrics):
    bound = _step_bound(metrics)
    longest = scalar(metrics, "clip_demo_unclipped_longest_step")
    return longest >= EXPLODED * bound, (f"longest unclipped step {number(longest)}, "
                                         f"{longest / bound:.0f}x learning rate x clipnorm "
                                         f"{number(bound)} (at least {EXPLODED}x)")


def _perplexity_claim(why_not: str):
    return compares("final_val_perplexity", "<", PERPLEXITY,
                    "The validation perplexity falls below 10 (knowing nothing scores the "
                    "vocabulary size, about 100)",
                    why_not)


STEPS = (
    Read("The model", "The model"),
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
    ),
    Experiment(
        "A small LSTM, four short epochs",
        SMALL,
        (
            _perplexity_claim(
                "Too few epochs or characters (the preset trains 4 epochs on 100,000), a "
                "learning rate far from 0.01, or another corpus with a larger vocabulary"),
            Claim("Sampling at temperature 0 loops: the last epoch's T=0 text ends repeating one "
                  "stretch, over at least half of its 160 characters",
                  greedy_text_loops,
                  "A bigger or longer-trained model can keep a T=0 text going longer before it "
                  "settles into a loop; with another seed the loop may start later"),
            compares("final_grad_norm", "<", CLIPNORM,
                     "At the end, the LSTM's gradient norm on the probe batch is below clipnorm "
                     "5: clipping is not what keeps it in bounds",
                     "A much larger learning rate or an unlucky batch can raise it; a vanilla RNN "
                     "instead of an LSTM would let it explode (the clip demo shows one)"),
        ),
        look_for="The samples after each epoch: T=0 settles into repeating a few words, T=1 "
                 "invents words; and the validation perplexity falling.",
    ),
    Read("Sampling", "Sampling"),
    Read("Exploding and vanishing gradients", "Exploding and vanishing gradients"),
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
    ),
    Experiment(
        "The clip demo, and the LSTM without clipping",
        {**SMALL, "clip_demo": True, "clipnorm": 0.0},
        (
            Claim("With clipping, the SimpleRNN's longest step is at most learning rate x clipnorm",
                  clipped_step_bounded,
                  "Clipping was applied per tensor instead of to the global norm, or after the "
                  "step: the bound holds only for the whole gradient rescaled before the update"),
            Claim("Without clipping, its longest step is at least 10 times that bound: "
                  "the gradient explodes",
                  unclipped_step_exploded,
                  "A shorter seq_len gives the gradient fewer steps to grow through (the demo "
                  "trains on windows of seq_len characters); with another seed the explosion can "
                  "come later"),
            _perplexity_claim(
                "Without clipping a rare huge gradient can throw the LSTM off for an epoch; or "
                "the preset was changed (fewer epochs or characters, another learning rate)"),
        ),
        look_for="The demo's two gradient-norm columns (both explode), its longest steps and the "
                 "recurrent weights' size after; then the LSTM trained without any clipping.",
    ),
    Compare(
        "The LSTM with clipping and without",
        (3, 7),
        ("final_val_perplexity", "final_val_bits_per_char", "final_grad_norm"),
        "Clipped or not, the LSTM ends at about the same perplexity, its gradient norm far below "
        "5: the cell state, updated by addition, keeps it in bounds, and clipping is a safety net "
        "it does not need here. The vanilla RNN of the demo is where clipping matters.",
    ),
    Read("The step's backward pass", "The step's backward pass, with its shapes (the exercises)"),
    ExerciseStep(
        "Write an LSTM step and its backward pass, sampling and clipping",
        "lstm_step, lstm_step_backward (it takes the step's inputs), sample and "
        "clip_by_global_norm: 'workbench exercises start lstm', then 'workbench check lstm'; once "
        "they pass, 'workbench generate saved_models/lstm.h5 --mine' writes text with your step "
        "and your sampler.",
    ),
)


# -- task=shapes: the five input/output shapes ------------------------------------------
SHAPES = {"task": "shapes"}
LEARNT = 0.9  # a shape trained on its own task gets at least this share of its labels right
ABOVE_BOUND = 0.03  # sampling noise allowed on the synced model's reading bound (1,000 test sequences)


def reversal_needs_the_whole_input(metrics):
    seq2seq = scalar(metrics, "shape_seq2seq_accuracy")
    synced = scalar(metrics, "shape_synced_on_reversal_accuracy")
    bound = scalar(metrics, "shape_synced_on_reversal_bound")
    holds = synced <= bound + ABOVE_BOUND and seq2seq >= LEARNT
    return holds, (f"encoder-decoder {number(seq2seq)} (at least {LEARNT}); synced "
                   f"{number(synced)}, reading bound {number(bound)}")


def _learnt(name: str, words: str):
    def judge(metrics):
        accuracy = scalar(metrics, f"shape_{name}_accuracy")
        chance = scalar(metrics, f"shape_{name}_chance")
        return accuracy >= LEARNT, (f"shape_{name}_accuracy {number(accuracy)} (at least "
                                    f"{LEARNT}; guessing {number(chance)})")
    return Claim(words, judge,
                 "Fewer examples or epochs than the preset's, or another seed that trains more "
                 "slowly: the task itself needs nothing the shape lacks")


SHAPE_STEPS = (
    Predict(
        "The synced shape asked to reverse",
        "A synced many-to-many LSTM writes one output at each step, having read only the inputs "
        "so far. Trained as long as you like to reverse 5 random digits, what share of the "
        "output digits can it get right at most?",
        ("All of them, given enough training", "About 0.2: only the middle digit",
         "About 0.64: it must guess the first two", "0.1: no better than chance"),
        2,
        "Its first output is the last input and its second output the fourth, neither read yet: "
        "those two are guesses, right one time in ten. The last three need inputs already read. "
        "So at most (3 + 2 x 0.1) / 5 = 0.64; an encoder-decoder reads all five first and gets "
        "nearly all of them.",
        settled_by=13,
    ),
    Read("The five shapes", "The five shapes, trained"),
    Experiment(
        "Five shapes, five tasks",
        SHAPES,
        (
            Claim("Reversing needs the whole input first: the encoder-decoder gets at least 0.9 "
                  "of the digits right, the synced model no more than its reading bound, 0.64",
                  reversal_needs_the_whole_input,
                  "The encoder-decoder trained too briefly (its vector must hold all five digits), "
                  "or the synced model was given the whole sequence (a bidirectional layer would "
                  "read ahead)"),
            _learnt("many_to_one", "The many-to-one model, reading all five digits, gets their "
                                   "sum right at least 0.9 of the time"),
            _learnt("one_to_many", "The one-to-many model writes the 5 digits counting up from "
                                   "its one input, at least 0.9 of them right"),
            _learnt("synced", "The synced model labels every step with the largest digit so far, "
                              "at least 0.9 of them right"),
            ordered("shape_seq2seq_params", ">", "shape_synced_params",
                    "The encoder-decoder has more parameters than the synced model: two LSTMs, "
                    "one to read and one to write",
                    "The two models were built with other sizes (the lesson builds both with 48 "
                    "units per LSTM)",
                    labels=("encoder-decoder", "synced")),
        ),
        look_for="The table of the five shapes: each model's input and output shapes, its "
                 "parameters, and its accuracy beside what guessing scores; then the synced "
                 "model on the reversal task.",
    ),
)
STEPS = (*STEPS, *SHAPE_STEPS)
