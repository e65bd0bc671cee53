"""Sentiment figures, each measured side by side in one run.

    python -m benchmarks.sentiment bucketing   # training tokens/s, padding share
    python -m benchmarks.sentiment latency     # onnxruntime vs TensorFlow, 1 and 64 reviews
    python -m benchmarks.sentiment baseline    # tf-idf bag of 1-2-grams + Dense, same splits
    python -m benchmarks.sentiment cards       # each card's accuracies, recomputed in full

bucketing: training steps of the sentiment-imdb recipe's architecture on
IMDB batches cut by bucket_by_sequence_length vs the same reviews padded
to max_tokens, alternating in rounds; real tokens per second and the share
of padding. latency: the shipped sentiment-imdb, TensorFlow (its compiled
forward pass, and the SavedModel from text) vs onnxruntime (model.onnx,
and OnnxModel from text), medians over interleaved rounds.
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from benchmarks.timing import interleaved_ms  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.data import text_data  # noqa: E402
from training.tasks import sentiment  # noqa: E402


def bucketing(args):
    recipe = load_recipe("sentiment-imdb")
    data = sentiment.Prepared(recipe)
    d, m = recipe["data"], recipe["model"]
    model = sentiment.build_model(recipe, data.vocabulary, data.steps)
    bucketed = iter(sentiment.batches(data.ids, data.labels, d, seed=0, epochs=10))
    fixed = {**d, "buckets": [m["max_tokens"]]}  # one bucket: every batch padded to the max

    def padded_batches():
        for ids, labels in sentiment.batches(data.ids, data.labels, fixed, seed=0, epochs=10):
            yield tf.pad(ids, [[0, 0], [0, m["max_tokens"] - ids.shape[1]]]), labels

    kinds = {"bucketed": bucketed, "padded to max_tokens": padded_batches()}
    totals = {k: {"real": 0, "slots": 0, "seconds": 0.0} for k in kinds}
    for batches in kinds.values():  # trace the first shapes, untimed
        for _ in range(3):
            model.train_on_batch(*next(batches))
    for _ in range(args.rounds):
        for kind, batches in kinds.items():
            for _ in range(args.steps):
                ids, labels = next(batches)
                start = time.perf_counter()
                model.train_on_batch(ids, labels)
                totals[kind]["seconds"] += time.perf_counter() - start
                totals[kind]["real"] += int(np.count_nonzero(ids))
                totals[kind]["slots"] += int(np.size(ids))
    print(f"training steps, batch {d['batch_size']}, {args.rounds} rounds x {args.steps} steps\n")
    print("| batches | real tokens/s | padding share | speed-up |")
    print("|---|---:|---:|---:|")
    base = totals["padded to max_tokens"]
    for kind, t in totals.items():
        rate = t["real"] / t["seconds"]
        ratio = rate / (base["real"] / base["seconds"])
        print(f"| {kind} | {rate:,.0f} | {1 - t['real'] / t['slots']:.1%} | {ratio:.2f}x |")


def latency(args):
    from exports.exporter import export
    from exports.graphs import graphs_for
    from serving import OnnxModel

    model = zoo.load(args.model)
    reviews = sentiment.read_csv(text_data.data_dir() / "imdb/test.csv.gz")[0]
    one, batch = reviews[:1], reviews[1 : 1 + 64]
    with tempfile.TemporaryDirectory() as out:
        directory = export(model, out, models_config=os.path.join(out, "models.config"))
        onnx_model = OnnxModel(directory)
        served = tf.saved_model.load(str(directory)).signatures["serving_default"]
        forward = tf.function(graphs_for(model).scores)
        cases = {}
        for label, texts in (("1 review", one), ("64 reviews", batch)):
            ids = tf.constant(onnx_model.tokenizer().encode(texts)[0])
            feed = {"token_ids": ids.numpy()}
            strings = tf.constant(texts)
            cases[label] = {
                "TF forward (ids)": lambda ids=ids: forward(ids),
                "ORT model.onnx (ids)": lambda feed=feed: onnx_model.run("model", feed),
                "TF SavedModel (text)": lambda s=strings: served(text=s),
                "OnnxModel (text)": lambda t=texts: onnx_model.predict_proba(t),
            }
        report(cases, args.rounds)


def report(cases, rounds):
    print("| input | path | median ms | vs TF |")
    print("|---|---|---:|---:|")
    for label, paths in cases.items():
        medians = interleaved_ms(paths, rounds)
        for name, ms in medians.items():
            base = medians["TF forward (ids)" if "ids" in name else "TF SavedModel (text)"]
            print(f"| {label} | {name} | {ms:.2f} | {base / ms:.2f}x |")


def baseline(args):
    """Keras TextVectorization(ngrams=2, tf_idf) + one Dense layer, trained
    on each shipped model's splits, scored on the same test sets."""
    print(
        f"| tf-idf 1-2-grams ({args.features:,}) + Dense, trained on | its test split "
        "| Rotten Tomatoes, all | RT sentences in none of its data |"
    )
    print("|---|---:|---:|---:|")
    for dataset in ("imdb", "sst2"):
        splits = sentiment.load_splits(load_recipe(f"sentiment-{dataset}")["data"])
        s = linear_scores(splits, args.features, args.epochs)
        print(
            f"| {dataset} | {s['test']:.2%} | {s['cross_domain']:.2%} "
            f"| {s['cross_domain_unseen']:.2%} |"
        )


def linear_scores(splits, features, epochs):
    vectorize = keras.layers.TextVectorization(max_tokens=features, ngrams=2, output_mode="tf_idf")
    vectorize.adapt(tf.data.Dataset.from_tensor_slices(splits["train"][0]).batch(512))

    def batches(split, shuffle=False):  # (N, features) is too large to hold at once
        texts, labels = splits[split]
        data = tf.data.Dataset.from_tensor_slices((texts, labels.astype(np.float32)))
        data = data.shuffle(len(texts), seed=0) if shuffle else data
        return data.batch(256).map(lambda x, y: (vectorize(x), y)).prefetch(2)

    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    )
    stop = keras.callbacks.EarlyStopping(restore_best_weights=True, patience=1)
    model.fit(
        batches("train", shuffle=True),
        epochs=epochs,
        verbose=0,
        validation_data=batches("validation"),
        callbacks=[stop],
    )
    return {
        split: model.evaluate(batches(split), verbose=0, return_dict=True)["accuracy"]
        for split in ("test", "cross_domain", "cross_domain_unseen")
    }


def cards(args):
    """Every accuracy on the shipped sentiment cards, recomputed on the whole
    split (CI re-measures only the test_check subset)."""
    for name in ("sentiment-imdb", "sentiment-sst2"):
        model = zoo.load(name)
        splits = sentiment.load_splits(load_recipe(name)["data"])
        splits["test_check"] = sentiment.check_subset(*splits["test"])
        for split, (texts, labels) in splits.items():
            key = f"{split}_accuracy"
            if key in model.card["metrics"]:
                ours = sentiment.accuracy(model, texts, labels)
                card = model.card["metrics"][key]
                print(f"{name} {split}: {ours:.4f} (card {card:.4f}, {len(texts)} texts)")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.sentiment", description=__doc__)
    sub = p.add_subparsers(required=True)
    b = sub.add_parser("bucketing")
    b.add_argument("--rounds", type=int, default=4)
    b.add_argument("--steps", type=int, default=10)
    b.set_defaults(run=bucketing)
    lat = sub.add_parser("latency")
    lat.add_argument("--model", default="sentiment-imdb")
    lat.add_argument("--rounds", type=int, default=30)
    lat.set_defaults(run=latency)
    base = sub.add_parser("baseline")
    base.add_argument("--features", type=int, default=200_000)
    base.add_argument("--epochs", type=int, default=10)
    base.set_defaults(run=baseline)
    sub.add_parser("cards").set_defaults(run=cards)
    args = p.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
