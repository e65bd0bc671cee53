"""The static web app (serving/examples/web) as one folder any static file
server can serve: the page, zoo-core.mjs (shared with the Node app),
onnxruntime-web's WebAssembly build and each task's export.

    python -m serving.web_site --exports exports --out site [--serve 8000]
    python -m http.server -d site 8000    # or nginx, caddy, GitHub Pages
    python -m serving.web_site --out site --check PHOTO   # drive it in headless Chromium

Each task takes the newest version of its model under --exports (one
exported with ONNX graphs: `zoo export NAME --formats onnx`); only the
files the page loads are copied. Inference runs in the browser; the
server sends files and nothing else.
"""

import argparse
import functools
import http.server
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from serving.onnx_model import version_directory
from zoo_runtime.layout import SIDECAR

EXAMPLES = Path(__file__).resolve().parent / "examples"
PAGE = EXAMPLES / "web"
ORT = PAGE / "node_modules" / "onnxruntime-web" / "dist"
# The WebAssembly build alone (no WebGPU/WebNN): its loader module and binary.
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
# task -> (default model, the graphs the page loads): the captioner's step
# graphs (greedy decoding that also yields its attention), not search.onnx,
# which holds VGG19 a second time.
TASKS = {
    "translate": ("translate-spa-eng", ("search.onnx",)),
    "classify": ("sentiment-imdb", ("model.onnx",)),
    "caption": ("caption-flickr8k", ("encoder.onnx", "decoder.onnx")),
}


def build(exports, out, models=None):
    """Write the site to `out` (replaced if it exists); `models` maps a task
    to a version folder (default: the newest export of TASKS' model under
    `exports`). Returns {task: the folder it was copied from}."""
    missing = [f for f in ORT_FILES if not (ORT / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"onnxruntime-web is not installed ({missing[0]}): run `npm ci` in {PAGE}"
        )
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "ort").mkdir(parents=True)
    for name in ("index.html", "app.mjs"):
        shutil.copy2(PAGE / name, out / name)
    shutil.copy2(EXAMPLES / "shared" / "zoo-core.mjs", out / "zoo-core.mjs")
    for name in ORT_FILES:
        shutil.copy2(ORT / name, out / "ort" / name)
    sources, catalogue = {}, {}
    for task, (name, files) in TASKS.items():
        source = Path((models or {}).get(task) or version_directory(Path(exports) / name))
        target = out / "models" / name
        target.mkdir(parents=True)
        for file in (SIDECAR, *files):
            shutil.copy2(source / file, target / file)
        sources[task] = source
        catalogue[task] = {"path": f"models/{name}/", "files": list(files)}
    (out / "models.json").write_text(json.dumps(catalogue, indent=2))
    return sources


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory, port):
    """A plain static file server on localhost (what any other would do)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"http://localhost:{port}/", flush=True)
        server.serve_forever()


def serving_in_background(directory):
    """(server, its URL): `directory` served quietly from a thread on a free
    localhost port, for tests and benchmarks; server.shutdown() stops it."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://localhost:{server.server_address[1]}/"


# What `check` types into the page (the browser test's inputs too).
ASKED = {
    "spanish": "Me gustaría reservar una mesa para dos personas esta noche.",
    "beam": 3,
    "review": "A moving film with a wonderful cast, though the ending drags.",
}


def check(site, photo, screenshot, workdir, asked=ASKED, chromium="/usr/bin/chromium"):
    """Drive the built `site` in headless Chromium as a user would
    (examples/web/browser-check.mjs, which needs `npm ci` in PAGE):
    translate, classify, drop an oversized image, a non-image and `photo`,
    then reload and translate again. Returns what the page answered, with
    `photo`'s RGB pixels (the PNG dropped) as "pixels"."""
    import numpy as np
    from PIL import Image

    workdir = Path(workdir)
    pixels = np.asarray(Image.open(photo).convert("RGB"))
    Image.fromarray(pixels).save(workdir / "photo.png")  # lossless: the browser reads these pixels
    captioner = json.loads((Path(site) / "models.json").read_text())["caption"]["path"]
    most = json.loads((Path(site) / captioner / SIDECAR).read_text())["limits"]["max_image_pixels"]
    side = int(most**0.5) + 1
    Image.new("RGB", (side, side), "white").save(workdir / "huge.png")  # a few kB, over the limit
    server, url = serving_in_background(site)
    try:
        files = [url, workdir / "photo.png", workdir / "huge.png", screenshot]
        command = ["node", "browser-check.mjs", *map(str, files)]
        asked = json.dumps({**asked, "executable": chromium})
        done = subprocess.run(
            [*command, asked], cwd=PAGE, capture_output=True, text=True, timeout=600
        )
    finally:
        server.shutdown()
    if done.returncode:
        raise RuntimeError(f"the browser check failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout), "pixels": pixels}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", default="exports", help="base folder of exports")
    parser.add_argument("--out", default="site", help="the folder to write (replaced)")
    parser.add_argument("--serve", type=int, metavar="PORT", help="then serve it on localhost")
    parser.add_argument("--check", metavar="PHOTO", help="then drive it in headless Chromium")
    args = parser.parse_args(argv)
    for task, source in build(args.exports, args.out).items():
        print(f"{task}: {source}")
    if args.check:
        with tempfile.TemporaryDirectory() as workdir:
            page = check(args.out, args.check, Path(workdir) / "page.png", workdir)
        print(json.dumps({k: v for k, v in page.items() if k != "pixels"}, indent=1))
    if args.serve:
        serve(args.out, args.serve)


if __name__ == "__main__":
    main()
