"""The static web app's page weight and time to first answer, in headless
Chromium on this machine (onnxruntime-web, WebAssembly, one thread).

    python -m benchmarks.web_app

Builds the site (python -m serving.web_site) from fresh ONNX exports of
the three models, serves it from localhost and drives it as
tests/serving/test_web_app.py does (serving/examples/web/browser-check.mjs):
translate (beam 3), classify, caption a dropped photo, then reload and
translate again. "MB" is what the page downloads for the task (the
onnxruntime-web files come with the first task); "ready" the model's
download, sha256 check and session start; "run" the answer itself;
"first answer" the time from navigation until it showed. The second visit
reads the models from the browser's cache.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from training.data import text_data  # noqa: E402


def exported(workdir):
    import zoo
    from exports.exporter import export
    from serving.web_site import TASKS

    return {
        task: export(zoo.load(name), workdir / "exports", ("onnx",), check=False)
        for task, (name, _) in TASKS.items()
    }


def main():
    from serving.web_site import ORT_FILES, TASKS, build, check

    workdir = Path(tempfile.mkdtemp(prefix="web-app-"))
    site = workdir / "site"
    build(None, site, exported(workdir))
    photo = text_data.data_dir() / "content/coffee.jpg"
    page = check(site, photo, workdir / "page.png", workdir)
    first, second = page["first"], page["second"]
    shell = sum((site / f).stat().st_size for f in ("index.html", "app.mjs", "zoo-core.mjs"))
    runtime = sum((site / "ort" / f).stat().st_size for f in ORT_FILES)
    print(f"page and scripts {shell / 1e3:.0f} kB; onnxruntime-web (WASM) {runtime / 1e6:.1f} MB\n")
    print(
        "| task | model files MB | ready ms | run ms | first answer ms | second visit: ready ms |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for task, (name, files) in TASKS.items():
        size = sum((site / "models" / name / f).stat().st_size for f in files) / 1e6
        again = f"{second['loadMs'][task]:.0f}" if task in second["loadMs"] else ""
        print(
            f"| {task} ({name}) | {size:.1f} | {first['loadMs'][task]:.0f} | "
            f"{first['runMs'][task]:.0f} | {first['answeredMs'][task]:.0f} | {again} |"
        )
    print(f"\nsecond visit: {len(second['fetched'])} model files fetched from the network")


if __name__ == "__main__":
    main()
