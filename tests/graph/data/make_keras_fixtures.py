"""Writes the Keras fixture logdirs under tests/graph/data/keras/ with the real Keras callback.

Run once with the benchmark venv (TensorFlow is never a test dependency):
    .venv-bench/bin/python tests/graph/data/make_keras_fixtures.py
Each of Keras 2 (`tf_keras`) and Keras 3 trains two small models for one epoch with
`TensorBoard(write_graph=True)`: a functional model with a branch, a merge and a nested Sequential
head, and a plain Sequential model. Only the `train` event files are kept (a few KB each).
"""
import glob
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras")


def models(keras):
    pixels = keras.Input(shape=(8, 8, 1), name="pixels")
    wide = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(pixels)
    narrow = keras.layers.Conv2D(4, 1, padding="same", name="conv_b")(pixels)
    merged = keras.layers.Add(name="merge")([wide, narrow])
    head = keras.Sequential([keras.layers.Flatten(name="flat"),
                             keras.layers.Dense(3, activation="softmax", name="scores")],
                            name="head")
    functional = keras.Model(pixels, head(merged), name="branchy")
    sequential = keras.Sequential([keras.Input(shape=(4,)),
                                   keras.layers.Dense(5, activation="relu", name="hidden"),
                                   keras.layers.Dropout(0.1, name="drop"),
                                   keras.layers.Dense(2, name="logits")], name="stack")
    return {"functional": functional, "sequential": sequential}


def main(flavour: str) -> None:
    if flavour == "tf_keras":
        import tf_keras as keras
    else:
        import keras
    out = os.path.join(HERE, flavour)
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models(keras).items():
            model.compile("sgd", "mse")
            xs = np.random.rand(8, *model.input_shape[1:]).astype("float32")
            ys = np.random.rand(8, model.output_shape[-1]).astype("float32")
            log = os.path.join(tmp, name)
            model.fit(xs, ys, epochs=1, batch_size=4, verbose=0,
                      callbacks=[keras.callbacks.TensorBoard(log, write_graph=True)])
            os.makedirs(os.path.join(out, name))
            for f in glob.glob(os.path.join(log, "train", "events.out.tfevents.*")):
                shutil.copy(f, os.path.join(out, name, os.path.basename(f)))


if __name__ == "__main__":
    for flavour in sys.argv[1:] or ("tf_keras", "keras3"):
        main(flavour)
