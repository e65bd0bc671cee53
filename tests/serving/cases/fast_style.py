"""Style networks: uint8 images in and out, within one level of Keras."""

import numpy as np


def image(height=31, width=22, batch=1):
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (batch, height, width, 3)).astype(np.uint8)


def close_images(got, want):
    return got.shape == want.shape and np.abs(got.astype(int) - want.astype(int)).max() <= 1


def expected(model, name):
    return model.stylize(image())


def check_rest(rest, name, want):
    got = np.asarray(rest.predict(name, inputs={"image": image()}), np.uint8)
    assert close_images(got, want), name


def check_grpc(client, name, want):
    got = client.predict(name, {"image": image()})["stylized"]
    assert got.dtype == np.uint8 and close_images(got, want), name


def onnx_request(name):
    return {"image": np.random.default_rng(0).integers(0, 256, (33, 40, 3)).tolist()}


def run_onnx(model, request):
    return model.stylize(np.asarray(request["image"], np.uint8)).tolist()


def check_onnx(model, name, request, got):
    want = model.stylize(np.asarray(request["image"], np.uint8))
    assert np.abs(np.array(got) - want.astype(int)).max() <= 1, name
