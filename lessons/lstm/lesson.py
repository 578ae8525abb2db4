"""Lesson 5: a character-level LSTM that learns to write.

The model reads text one character at a time and, at every position, predicts the next
one. Trained on windows of `seq_len` characters (truncated backpropagation through time)
with the gradient clipped to a global norm, it becomes a generator: feed it a prime,
sample a character from its softmax, feed that back in, repeat.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from lessons.lstm import LstmSettings, corpus as corpora, shapes_run
from lessons.lstm.model import build_char_lstm, build_simple_rnn
from lessons.lstm.sampling import Sampler

SAMPLE_TEMPERATURES = (0.0, 0.5, 1.0)
SAMPLE_LENGTH = 160
SAMPLE_PRIME = "The "
CLIP_DEMO_STEPS = 40
CLIP_DEMO_GAIN = 3.0
CLIP_DEMO_LEARNING_RATE = 0.1


def run(p: LstmSettings, ctx) -> None:
    if p.task == "shapes":
        shapes_run.run(ctx)
        return
    text = corpora.load(p.corpus, p.max_chars)
    x_train, y_train, x_val, y_val = corpora.split(text, p.seq_len)
    vocab = len(text.vocabulary)
    ctx.log("corpus {name}: {chars:,} characters, vocabulary of {vocab}; {n_train} training and "
            "{n_val} validation sequences of {seq_len}",
            name=repr(text.name), chars=len(text.text), vocab=vocab, n_train=len(x_train),
            n_val=len(x_val), seq_len=p.seq_len)
    ctx.metric("vocabulary_size", vocab)
    ctx.metric("uniform_loss", math.log(vocab))  # what a model that knows nothing scores

    if p.clip_demo:
        clip_demo(ctx, x_train, y_train, vocab, p)

    model = build_char_lstm(vocab, p.embed_dim, p.units, p.layers, p.dropout)
    clip = {"global_clipnorm": p.clipnorm} if p.clipnorm > 0 else {}
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(p.learning_rate, **clip), loss=loss)
    probe = (x_train[: p.batch_size], y_train[: p.batch_size])
    samples = EpochSamples(ctx, text.vocabulary)
    fit = model.fit(ctx.batches(x_train, y_train, p.batch_size, shuffle=True),
                    validation_data=ctx.batches(x_val, y_val, p.batch_size),
                    epochs=p.epochs, verbose=0,
                    callbacks=[LanguageModelReport(probe, loss, p.clipnorm),
                               samples,
                               *ctx.callbacks(diverge_above=10 * math.log(vocab))])

    last = {name: values[-1] for name, values in fit.history.items()}
    for name in ("loss", "val_loss", "val_perplexity", "val_bits_per_char", "grad_norm"):
        ctx.metric(f"final_{name}", last[name])
    ctx.log("validation loss {loss:.3f} nats/char = {bits:.3f} bits/char (perplexity "
            "{perplexity:.2f}; knowing nothing: {vocab})",
            loss=last["val_loss"], bits=last["val_bits_per_char"],
            perplexity=last["val_perplexity"], vocab=vocab)
    if 0.0 in samples.last:
        report_greedy_loop(ctx, samples.last[0.0])
    ctx.save(model, history=fit.history, vocabulary=text.vocabulary)


def ending_loop(text: str, repeats: int = 3) -> tuple[int, int]:
    """(period, characters): the shortest stretch that `text` ends with said `repeats` times
    in a row, and how many characters at its end that loop covers; (0, 0) when it ends in
    none. "a cat the cat the cat the cat " ends in a loop of 8 (" cat the") covering 29 characters."""
    for period in range(1, len(text) // repeats + 1):
        tail = text[-repeats * period:]
        if tail == tail[:period] * repeats:
            covered = repeats * period
            while covered < len(text) and text[-covered - 1] == text[-covered - 1 + period]:
                covered += 1
            return period, covered
    return 0, 0


def report_greedy_loop(ctx, text: str) -> None:
    """T = 0 always takes the likeliest character: once a stretch leads back to its own
    start, the text repeats it for ever. How much of the last epoch's T = 0 sample does."""
    period, covered = ending_loop(text)
    ctx.metric("greedy_loop_period", period)
    ctx.metric("greedy_loop_chars", covered)
    if period:
        stretch = text[-period:].replace("\n", " | ")
        ctx.log("at T=0 the last sample ends in a loop: {stretch} ({period} characters) "
                "repeated over its last {covered} of {length} characters",
                stretch=repr(stretch), period=period, covered=covered, length=len(text))
    else:
        ctx.log("at T=0 the last sample does not end in a loop (no stretch repeated three "
                "times at its end)")


class LanguageModelReport(keras.callbacks.Callback):
    """Per epoch: perplexity and bits per character from the validation loss, and the
    global gradient norm before clipping, measured on a fixed probe batch."""

    def __init__(self, probe, loss, clipnorm: float):
        super().__init__()
        self.x, self.y = (tf.constant(a) for a in probe)
        self.loss, self.clipnorm = loss, clipnorm

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs["val_perplexity"] = math.exp(min(logs["val_loss"], 50.0))
        logs["val_bits_per_char"] = logs["val_loss"] / math.log(2)
        logs["grad_norm"] = probe_gradient_norm(self.model, self.loss, self.x, self.y)
        logs["clipped"] = float(self.clipnorm > 0 and logs["grad_norm"] > self.clipnorm)


def probe_gradient_norm(model, loss, x, y) -> float:
    """Global L2 norm of the loss gradient over every trainable weight, before clipping."""
    def norm():
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        return tf.linalg.global_norm(tape.gradient(value, model.trainable_variables))

    strategy = tf.distribute.get_strategy()
    if tf.distribute.in_cross_replica_context() and tf.distribute.has_strategy():
        return float(strategy.experimental_local_results(strategy.run(norm))[0])
    return float(norm())


class EpochSamples(keras.callbacks.Callback):
    """After each epoch, a few lines of text at several temperatures."""

    def __init__(self, ctx, vocabulary: str):
        super().__init__()
        self.ctx, self.vocabulary = ctx, vocabulary
        self.sampler = None
        self.last: dict[float, str] = {}  # temperature -> the latest epoch's text, prime excluded

    def on_epoch_end(self, epoch, logs=None):
        if self.sampler is None:
            self.sampler = Sampler(self.model, self.vocabulary)
        prime = "".join(c for c in SAMPLE_PRIME if c in self.vocabulary) or self.vocabulary[0]
        lines = []
        for t in SAMPLE_TEMPERATURES:
            text = "".join(self.sampler.generate(prime, SAMPLE_LENGTH, temperature=t, seed=self.ctx.seed))
            self.last[t] = text
            lines.append(f"  T={t:g}: " + (prime + text).replace("\n", " | "))
        # The samples are the model's own text, the same in every language: one field.
        self.ctx.log("epoch {epoch} samples:\n{samples}", epoch=epoch + 1, samples="\n".join(lines))


def clip_demo(ctx, x, y, vocab: int, p: LstmSettings) -> None:
    """A vanilla RNN whose recurrent matrix stretches by 3 per step, trained twice from the
    same weights. Its gradient explodes either way (backpropagation multiplies by W_h^T at
    each of seq_len steps); clipping bounds the step taken with it, and so the weights."""
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    clipnorm = p.clipnorm or 5.0
    initial = build_simple_rnn(vocab, 64, CLIP_DEMO_GAIN).get_weights()
    xb, yb = tf.constant(x[: p.batch_size]), tf.constant(y[: p.batch_size])
    ctx.stage("clip demo", 2 * CLIP_DEMO_STEPS)
    norms = {}
    for twin, clip in (("unclipped", 0.0), ("clipped", clipnorm)):
        model = build_simple_rnn(vocab, 64, CLIP_DEMO_GAIN)
        model.set_weights(initial)
        optimizer = keras.optimizers.SGD(CLIP_DEMO_LEARNING_RATE)
        norms[twin], losses, steps = [], [], []
        for step in range(CLIP_DEMO_STEPS):
            with tf.GradientTape() as tape:
                value = loss(yb, model(xb, training=True))
            grads = tape.gradient(value, model.trainable_variables)
            norm = float(tf.linalg.global_norm(grads))
            if clip:
                grads, _ = tf.clip_by_global_norm(grads, clip, use_norm=tf.constant(norm))
            optimizer.apply(grads, model.trainable_variables)
            norms[twin].append(norm)
            losses.append(float(value))
            steps.append(CLIP_DEMO_LEARNING_RATE * (min(norm, clip) if clip else norm))
            done = step + 1 + (CLIP_DEMO_STEPS if clip else 0)
            ctx.progress("clip demo", done, 2 * CLIP_DEMO_STEPS, grad_norm=norm)
        recurrent = float(tf.norm(model.get_layer("rnn").cell.recurrent_kernel))
        ctx.metric(f"clip_demo_{twin}_max_grad_norm", max(norms[twin]))
        ctx.metric(f"clip_demo_{twin}_longest_step", max(steps))
        ctx.metric(f"clip_demo_{twin}_recurrent_weight_norm", recurrent)
        ctx.metric(f"clip_demo_{twin}_final_loss", losses[-1])
    # With clipping no step is longer than their product: the learner's run can check it.
    ctx.metric("clip_demo_learning_rate", CLIP_DEMO_LEARNING_RATE)
    ctx.metric("clip_demo_clipnorm", clipnorm)
    m = ctx.metrics
    rows = "\n".join(f"  {i + 1:>4} {norms['unclipped'][i]:>14.4g} {norms['clipped'][i]:>14.4g}"
                     for i in range(0, CLIP_DEMO_STEPS, 5))
    # The table's rows are numbers only, the same in every language: one field of the message.
    ctx.log("clip demo: SimpleRNN, recurrent gain {gain:g}, SGD lr {lr:g}, {steps} steps on the "
            "same batch\n  step  grad norm (no clip)  (clip {clipnorm:g})\n{rows}\n  longest step "
            "{unclipped_step:.3g} vs {clipped_step:.3g}; recurrent weight norm after "
            "{unclipped_weights:.3g} vs {clipped_weights:.3g}; final loss {unclipped_loss:.3f} vs "
            "{clipped_loss:.3f}",
            gain=CLIP_DEMO_GAIN, lr=CLIP_DEMO_LEARNING_RATE, steps=CLIP_DEMO_STEPS,
            clipnorm=clipnorm, rows=rows,
            unclipped_step=m["clip_demo_unclipped_longest_step"],
            clipped_step=m["clip_demo_clipped_longest_step"],
            unclipped_weights=m["clip_demo_unclipped_recurrent_weight_norm"],
            clipped_weights=m["clip_demo_clipped_recurrent_weight_norm"],
            unclipped_loss=m["clip_demo_unclipped_final_loss"],
            clipped_loss=m["clip_demo_clipped_final_loss"])
