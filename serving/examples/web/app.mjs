// The page's glue: lazy, cached model downloads and the three tasks, over
// zoo-core.mjs (the tokenisers and searches the Node app runs too) and
// onnxruntime-web's WebAssembly backend. models.json (written by
// `python -m serving.web_site`) says where each task's export lies.

import { captionImage, classify, open, translate } from "./zoo-core.mjs";

const CACHE = "zoo-models";
const MAX_PHOTO_BYTES = 32 * 1024 * 1024; // checked before a photo is decoded
const MAX_TEXT_CHARS = 4096; // a text box's bound; each model's zoo.json may say less
const $ = (id) => document.getElementById(id);

// What the browser test reads: network fetches of model files (a cached one
// is not fetched again), and milliseconds from navigation to each answer.
const stats = (window.zooStats = { fetched: [], answeredMs: {}, loadMs: {}, runMs: {} });

function missingFeatures() {
  const missing = [];
  if (typeof WebAssembly !== "object") missing.push("WebAssembly");
  if (!window.isSecureContext || !("caches" in window) || !crypto.subtle) {
    missing.push("a secure context (https or localhost) for the model cache and sha256 checks");
  }
  if (typeof createImageBitmap !== "function") missing.push("createImageBitmap");
  return missing;
}

let ortModule = null;
async function onnxruntime() {
  if (!ortModule) {
    ortModule = await import("./ort/ort.wasm.min.mjs");
    ortModule.env.wasm.wasmPaths = new URL("./ort/", import.meta.url).href;
    ortModule.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static server lacks
  }
  return ortModule;
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A model file's bytes: from the cache when this export's file (named by its
// sha256 in zoo.json) was fetched before, else from the network, then cached.
async function cachedBytes(url, digest) {
  const cache = await caches.open(CACHE);
  const key = `${url}#${digest}`;
  let response = await cache.match(key);
  if (!response) {
    stats.fetched.push(url);
    response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    await cache.put(key, response.clone());
  }
  return new Uint8Array(await response.arrayBuffer());
}

let catalogue = null;
const models = {};
async function model(task, status) {
  if (!models[task]) {
    models[task] = (async () => {
      const start = performance.now();
      catalogue ??= await (await fetch("models.json", { cache: "no-cache" })).json();
      const { path, files } = catalogue[task];
      const contract = await (await fetch(`${path}zoo.json`, { cache: "no-cache" })).json();
      status(`loading ${contract.name} (${files.join(", ")})…`);
      const read = (file) => cachedBytes(`${path}${file}`, contract.sha256[file]);
      const loaded = await open(contract, await onnxruntime(), read, sha256, files);
      stats.loadMs[task] = performance.now() - start;
      return loaded;
    })();
    models[task].catch(() => delete models[task]); // a failed load is retried next time
  }
  return models[task];
}

// Run one task from a button: its model loads first time, errors show in the card.
async function run(task, work) {
  const status = (text, error = false) => {
    $(`${task}-status`).textContent = text;
    $(`${task}-status`).classList.toggle("error", error);
  };
  try {
    const loaded = await model(task, status);
    status("running…");
    const start = performance.now();
    await work(loaded, status);
    stats.runMs[task] = performance.now() - start;
    stats.answeredMs[task] ??= performance.now();
    status(`answered in ${stats.runMs[task].toFixed(0)} ms (model ready in ${stats.loadMs[task].toFixed(0)} ms)`);
  } catch (error) {
    status(error.message, true);
  }
}

function text(id, limit) {
  const value = $(id).value;
  if (!value.trim()) throw new Error("Type some text first: this box is empty.");
  if (Array.from(value).length > limit) throw new Error(`At most ${limit} characters, please.`);
  return value;
}

function show(id, result, html) {
  $(id).innerHTML = html;
  $(id).dataset.result = JSON.stringify(result);
}

const escape = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

$("translate-run").onclick = () =>
  run("translate", async (loaded) => {
    const limit = Math.min(MAX_TEXT_CHARS, loaded.contract.limits.max_text_chars ?? MAX_TEXT_CHARS);
    const source = text("translate-text", limit);
    const beamWidth = Number($("translate-beam").value);
    const [output] = await translate(loaded, [source], { beamWidth });
    show("translate-out", { text: output, beamWidth }, escape(output ?? "(no answer)"));
  });

$("classify-run").onclick = () =>
  run("classify", async (loaded) => {
    const limit = Math.min(MAX_TEXT_CHARS, loaded.contract.limits.max_review_chars ?? MAX_TEXT_CHARS);
    const review = text("classify-text", limit);
    const { labels, probabilities, tokens, weights } = await classify(loaded, [review]);
    const p = probabilities[0];
    show("classify-out", { label: labels[0], probability: p, tokens: tokens[0], weights: weights[0] },
      `<b>${escape(labels[0])}</b> · P(${escape(loaded.contract.labels[1])}) = ${p.toFixed(3)}`);
    const top = Math.max(...weights[0]);
    $("classify-tokens").innerHTML = tokens[0]
      .map((t, i) => `<span class="token" title="${weights[0][i].toFixed(3)}" style="background: rgba(255, 160, 0, ${(weights[0][i] / top).toFixed(3)})">${escape(t)}</span>`)
      .join(" ");
  });

// Width and height as a PNG or JPEG header declares them (null for other
// formats): a small file can declare a huge image, refused before decoding.
function declaredSize(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && view.getUint32(0) === 0x89504e47) return [view.getUint32(16), view.getUint32(20)];
  if (bytes.length < 4 || view.getUint16(0) !== 0xffd8) return null;
  for (let i = 2; i + 9 < bytes.length; ) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) return [view.getUint16(i + 7), view.getUint16(i + 5)];
    i += 2 + view.getUint16(i + 2);
  }
  return null;
}

// A dropped or chosen photo: bounded in bytes and declared pixels, then
// decoded by the browser (no colour conversion, so the pixels are the
// file's), then bounded again in decoded pixels (captionImage).
async function photoPixels(file, maxPixels) {
  if (!file.type.startsWith("image/")) throw new Error(`${file.name} is not an image`);
  if (file.size > MAX_PHOTO_BYTES) throw new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; at most ${MAX_PHOTO_BYTES / 1e6} MB`);
  const declared = declaredSize(new Uint8Array(await file.slice(0, 65536).arrayBuffer()));
  if (declared && declared[0] * declared[1] > maxPixels) {
    const [w, h] = declared;
    throw new Error(`${file.name} is ${w}x${h} = ${(w * h).toLocaleString("en")} pixels; at most ${maxPixels.toLocaleString("en")}`);
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    throw new Error(`${file.name} could not be decoded as an image`);
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, width, height).data;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) pixels.set(rgba.subarray(i, i + 3), j);
  return { width, height, pixels, bitmap };
}

// The photo, darkened where the decoder did not look for word `index`: the
// region grid's weights as a small mask, scaled up smoothly over the photo.
function drawAttention(bitmap, attention, index) {
  const canvas = $("photo");
  canvas.style.display = "block";
  canvas.width = Math.min(bitmap.width, 640);
  canvas.height = Math.round((canvas.width * bitmap.height) / bitmap.width);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  if (!attention?.length) return;
  const weights = attention[index];
  const side = Math.round(Math.sqrt(weights.length));
  const top = Math.max(...weights);
  const mask = new ImageData(side, side);
  weights.forEach((w, i) => (mask.data[4 * i + 3] = Math.round(190 * (1 - w / top))));
  const small = new OffscreenCanvas(side, side);
  small.getContext("2d").putImageData(mask, 0, 0);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

async function captionFile(file) {
  await run("caption", async (loaded, status) => {
    status("decoding the photo…");
    const image = await photoPixels(file, loaded.contract.limits.max_image_pixels);
    drawAttention(image.bitmap, null, 0);
    status("captioning…");
    const { words, attention } = await captionImage(loaded, image);
    const html = words.map((w, i) => `<span class="word" data-index="${i}">${escape(w)}</span>`).join(" ");
    show("caption-out", { words, attention: attention.map((a) => Array.from(a)) }, html);
    const select = (i) => {
      drawAttention(image.bitmap, attention, i);
      for (const span of $("caption-out").children) span.classList.toggle("on", Number(span.dataset.index) === i);
    };
    for (const span of $("caption-out").children) span.onmouseenter = span.onclick = () => select(Number(span.dataset.index));
    const noun = words.findIndex((w) => w.length > 3); // show a content word's map first
    if (words.length) select(Math.max(noun, 0));
  });
}

const drop = $("drop");
drop.ondragover = (event) => {
  event.preventDefault();
  drop.classList.add("over");
};
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const [file] = event.dataTransfer.files;
  if (file) captionFile(file);
};
$("caption-file").onchange = (event) => {
  const [file] = event.target.files;
  if (file) captionFile(file);
};

const missing = missingFeatures();
if (missing.length) {
  $("banner").style.display = "block";
  $("banner").textContent = `This browser cannot run the models here: it lacks ${missing.join(", ")}.`;
  for (const button of document.querySelectorAll("button, input, select")) button.disabled = true;
}
