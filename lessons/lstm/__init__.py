"""Lesson 5: a character-level LSTM language model that writes text."""

from dataclasses import dataclass, fields

from lessons.lstm import corpus
from lessons.lstm.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, CurvePlot, knob, Lesson, Settings

TASKS = ("text", "shapes")


@dataclass(frozen=True)
class LstmSettings(Settings):
    task: str = knob("text", "text: the character language model; shapes: five small recurrent "
                     "models, one per input/output shape, on digit tasks", choices=TASKS)
    corpus: str = knob(corpus.BUILTIN, "a UTF-8 text file, or 'pydoc' for Python's own help topics "
                       "(ships with Python, works offline)")
    max_chars: int = knob(300_000, "use at most this many characters of the corpus (0 = all)", low=0)
    seq_len: int = knob(64, "characters per training sequence: how far back gradients flow "
                        "(truncated BPTT)", low=2, high=10_000)
    layers: int = knob(2, "stacked LSTM layers", low=1, high=8)
    units: int = knob(128, "LSTM units per layer", low=1, high=8192)
    embed_dim: int = knob(32, "size of the learned character embedding", low=1, high=4096)
    dropout: float = knob(0.0, "dropout between LSTM layers (0 = none)", low=0.0, high=0.9)
    epochs: int = knob(20, "passes over the training text", low=1, high=10_000)
    batch_size: int = knob(64, "sequences per gradient step", low=1, high=65_536)
    learning_rate: float = knob(0.003, "Adam's step size", above=0.0)
    clipnorm: float = knob(5.0, "clip the gradient to this global L2 norm (0 = no clipping)", low=0.0)
    clip_demo: bool = knob(False, "also train a SimpleRNN twin with and without clipping for a few "
                           "steps and compare gradient norms")

    def check(self) -> None:
        if self.task == "shapes":
            self.check_text_knobs_unset()
            return  # the shapes' tasks are generated: no corpus to read
        corpus.check_long_enough(corpus.load(self.corpus, self.max_chars), self.seq_len)

    def check_text_knobs_unset(self) -> None:
        """task=shapes trains its own five small models on a fixed recipe: a knob of the
        text model set there would change nothing, so it is refused rather than ignored."""
        changed = [f.name for f in fields(self)
                   if f.name != "task" and getattr(self, f.name) != f.default]
        if changed:
            them = "it" if len(changed) == 1 else "them"
            raise BadInput(f"{', '.join(changed)}: only for task=text; task=shapes trains "
                           f"five small models of its own (leave {them} out)")

    def saves(self) -> tuple[str | None, ...]:
        return ("shapes",) if self.task == "shapes" else (None,)


LESSON = Lesson(
    id="lstm",
    title="LSTM text generation",
    summary="Character-level stacked LSTM, truncated BPTT, gradient clipping, temperature sampling.",
    position=10,  # section 10, recurrent networks
    settings=LstmSettings,
    datasets=("text",),
    default_dataset="text",
    key_metric="final_val_loss",  # nats per character on held-out text: lower is better
    generator="lessons.lstm.sampling:sampler_for",
    mine_generator="lessons.lstm.mine:sampler_with",
    mine_generator_uses=("lstm_step", "sample"),
    more_curves=(CurvePlot("perplexity", ("val_perplexity",)),
                 CurvePlot("gradient norm before clipping", ("grad_norm",))),
    highlights=HIGHLIGHTS,
)
