"""Character LMs: does the input pipeline keep up with training, and what
does carrying the RNN state buy at generation time?

1. Pipeline vs consumption: batches/s the tf.data pipeline delivers (the
   recipes' seq_len 100, batch 64, on the real train split) vs training
   steps/s each recipe's model takes. Target: >= 20x.
2. Generation at 500 tokens: CharLM.generate (compiled one-token step,
   state carried) vs re-running the whole prefix through the compiled
   full-sequence forward for every token (same model, same sampling).
3. Cost per generated token as the prompt grows (10 / 1,000 / 10,000
   characters): must stay flat.

Round-robin rounds in one process, medians.

    python -m benchmarks.char_lm [--rounds 3]
    python -m benchmarks.char_lm --cards   # every card's test figures, recomputed

`--cards` recomputes each shipped card's test and test_check figures on
the whole split and its check subset (CI re-measures only the subset).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from training.core.recipe import list_recipes, load_recipe  # noqa: E402
from training.data import text_data  # noqa: E402
from training.tasks import char_lm  # noqa: E402
from zoo_runtime.chars import CharVocabulary  # noqa: E402
from zoo_runtime.limits import MAX_PROMPT_CHARS  # noqa: E402
from zoo_runtime.search import sample  # noqa: E402

PIPELINE_TARGET = 20


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def pipeline_vs_steps(ids, vocab, rounds, batches=300, steps=10):
    recipe0 = load_recipe("char-lstm-shakespeare")
    seq_len, batch = recipe0["data"]["seq_len"], recipe0["data"]["batch_size"]

    def drain():
        ds = text_data.training_batches(ids, seq_len, batch, seed=0, epochs=1).take(batches)
        for _ in ds:
            pass

    x, y = next(iter(text_data.training_batches(ids, seq_len, batch, seed=0, epochs=1)))
    models = {}
    recipes = [load_recipe(name) for name in list_recipes()]
    for recipe in [r for r in recipes if r["task"] == "char-lm"]:  # the others are other tasks'
        name = recipe["name"]
        models[name] = char_lm.build_model(recipe, vocab, steps_per_epoch=100)
        models[name].train_on_batch(x, y)  # trace
    drain()
    pipe, step = [], {n: [] for n in models}
    for _ in range(rounds):
        pipe.append(batches / timed(drain))
        for name, model in models.items():
            step[name].append(
                steps / timed(lambda m=model: [m.train_on_batch(x, y) for _ in range(steps)])
            )
    delivered = statistics.median(pipe)
    print(f"\n### Input pipeline vs training (seq_len {seq_len}, batch {batch})\n")
    print(f"pipeline: {delivered:,.0f} batches/s\n")
    print("| model | params | train steps/s | pipeline / consumption | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    for name, model in models.items():
        consumed = statistics.median(step[name])
        ratio = delivered / consumed
        met = "yes" if ratio >= PIPELINE_TARGET else "NO"
        print(
            f"| {name} | {model.count_params():,} | {consumed:.2f} | {ratio:,.0f}x | "
            f">= {PIPELINE_TARGET}x | {met} |"
        )


def rerun_prefix_generate(model, prompt, length, seed):
    """The naive way: the whole text so far through the model for each token."""
    forward = tf.function(
        lambda ids: model(ids)[:, -1], input_signature=[tf.TensorSpec([1, None], tf.int32)]
    )
    vocab = CharVocabulary(model.vocabulary)
    ids = list(vocab.encode(prompt))
    for _ in range(length):
        logits = forward(tf.constant([ids], tf.int32)).numpy()[0]
        ids.append(sample(logits, 0.8, None, seed, len(ids) - 1))
    return vocab.decode(ids[-length:])


def generation(model, rounds, length=500):
    prompt = "ROMEO:\n"
    carried, rerun = [], []
    model.generate(prompt, 5, seed=0)
    rerun_prefix_generate(model, prompt, 5, 0)
    for _ in range(rounds):
        carried.append(timed(model.generate, prompt, length, 0.8, None, 0))
        rerun.append(timed(rerun_prefix_generate, model, prompt, length, 0))
    a, b = length / statistics.median(carried), length / statistics.median(rerun)
    same = model.generate(prompt, 60, 0.8, None, 1) == rerun_prefix_generate(model, prompt, 60, 1)
    print(f"\n### Generation, {length} tokens, prompt {prompt!r}\n")
    print("| method | tokens/s | speed-up |")
    print("|---|---:|---:|")
    print(f"| re-run the prefix per token | {b:,.0f} | 1.0x |")
    print(f"| CharLM.generate (state carried) | {a:,.0f} | {a / b:.1f}x |")
    print(f"\nsame text from both (60 tokens, seed 1): {same}")


def per_token_cost(model, corpus, rounds, length=500):
    print("\n### Cost per generated token vs prompt length\n")
    print("| prompt chars | ms per token |")
    print("|---:|---:|")
    prompts = {n: corpus[:n] for n in (10, 1_000, MAX_PROMPT_CHARS)}  # the longest a call may read
    for p in prompts.values():
        model.generate(p, 2, seed=0)
    samples = {n: [] for n in prompts}
    for _ in range(rounds):
        for n, p in prompts.items():
            whole = timed(model.generate, p, length + 1, 0.8, None, 0)
            prefill = timed(model.generate, p, 1, 0.8, None, 0)
            samples[n].append((whole - prefill) / length)
    for n, s in samples.items():
        print(f"| {n:,} | {statistics.median(s) * 1e3:.3f} |")


def cards(test):
    """The shipped char LMs' test figures on the whole split and the check subset."""
    subsets = {"test": test, "test_check": test[: char_lm.CHECK_CHARS]}
    for card in zoo.list_models():
        if card["task"] != "char-lm":
            continue
        model = zoo.load(card["name"])
        for split, text in subsets.items():
            ours = char_lm.split_metrics(model, text)["bits_per_char"]
            theirs = card["metrics"][split]["bits_per_char"]
            print(
                f"{card['name']} {split}: {ours:.4f} bits/char (card {theirs:.4f}, "
                f"{len(text):,} characters)"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", help="folder holding tinyshakespeare.txt")
    parser.add_argument("--cards", action="store_true", help="recompute the cards' test figures")
    args = parser.parse_args(argv)
    corpus = text_data.load_corpus(
        "file", text_data.data_dir(args.data_dir) / "tinyshakespeare.txt"
    )
    if args.cards:
        return cards(corpus["test"])
    vocab = CharVocabulary.from_text(corpus["train"])
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPUs, {args.rounds} rounds, medians")
    pipeline_vs_steps(vocab.encode(corpus["train"]), vocab, args.rounds)
    model = zoo.load("char-lstm-shakespeare")
    generation(model, args.rounds)
    per_token_cost(model, corpus["test"], args.rounds)


if __name__ == "__main__":
    main()
