// Zoo's exported ONNX graphs in Node.js, with onnxruntime-node and nothing
// else: everything an app needs besides the graphs (vocabularies, special
// tokens, state names) is read from the export's zoo.json.
//
//   node zoo.mjs generate exports/char-lstm-shakespeare/1 [--no-repeat N] "ROMEO:" 200 [TEMPERATURE SEED]
//   node zoo.mjs translate exports/date-normalizer/1 "Tuesday, March 3rd 2015" "1 Feb 2003"
//   node zoo.mjs translate exports/translate-spa-eng/1 --beam 5 "¿Dónde está la estación?"
//   node zoo.mjs classify exports/sentiment-imdb/1 "A wonderful film." "Dull."
//   node zoo.mjs caption exports/caption-flickr8k/1 --beam 3 photo.ppm   (binary PPM: Node has no JPEG decoder)
//
// generate samples as zoo's CharLM.generate does for the same seed (greedy at
// temperature 0, the default; --no-repeat N: no N characters written twice); translate and caption run the export's whole
// search graph (search.onnx) in one call: greedy, or beam search with --beam N
// [--length-penalty X] [--no-repeat N: no n-gram written twice], as zoo's translate/caption; all print JSON: {"text": ...},
// {"outputs": [...], "log_prob_per_token": [...]}, {"captions": [...]} or
// {"labels": [...], "probabilities": [...], "weights": [[...]]}.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { captionImage, classify, generate, open, textCodec, translateScored } from "../shared/zoo-core.mjs";

export { classify, generate, subwordIds, tokenize, translate, translateScored } from "../shared/zoo-core.mjs";

// Load zoo.json and open the graphs, refusing files whose sha256 differs.
export async function load(dir) {
  const contract = JSON.parse(readFileSync(join(dir, "zoo.json"), "utf8"));
  const read = (file) => readFileSync(join(dir, file));
  const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
  return open(contract, ort, read, sha256);
}

// A binary PPM (P6, 8-bit) file as uint8 RGB pixels: the one image format
// Node reads without a decoding library (convert with any image tool).
export function readPpm(path) {
  const bytes = readFileSync(path);
  const fields = [];
  let i = 0;
  while (fields.length < 4) {
    while (i < bytes.length && /\s/.test(String.fromCharCode(bytes[i]))) i++;
    if (bytes[i] === 0x23) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++; // a comment line
      continue;
    }
    let field = "";
    while (i < bytes.length && !/\s/.test(String.fromCharCode(bytes[i]))) field += String.fromCharCode(bytes[i++]);
    if (!field) throw new Error(`${path}: not a binary PPM (P6) file`);
    fields.push(field);
  }
  const [magic, width, height, maxval] = [fields[0], ...fields.slice(1).map(Number)];
  if (magic !== "P6" || maxval !== 255 || !(width > 0 && height > 0)) {
    throw new Error(`${path}: not an 8-bit binary PPM (P6) file`);
  }
  const pixels = bytes.subarray(i + 1, i + 1 + width * height * 3);
  if (pixels.length !== width * height * 3) throw new Error(`${path} is truncated`);
  return { width, height, pixels: Uint8Array.from(pixels) };
}

// Captions of PPM photos (greedy or beam search).
export async function caption(model, paths, options = {}) {
  const captions = [];
  for (const path of paths) {
    try {
      captions.push((await captionImage(model, readPpm(path), options)).words.join(" "));
    } catch (error) {
      throw new Error(`${path}: ${error.message}`);
    }
  }
  return captions;
}

// Each command runs one task's graphs (zoo.json's "task").
const TASKS = { generate: "char-lm", translate: "seq2seq", "source-ids": "seq2seq", classify: "sentiment", caption: "caption" };

const USAGE =
  "usage: node zoo.mjs generate DIR [--no-repeat N] PROMPT LENGTH [TEMPERATURE SEED] | " +
  "translate DIR [--beam N] [--length-penalty X] [--no-repeat N] TEXT... | source-ids DIR TEXT... | " +
  "classify DIR TEXT... | caption DIR [--beam N] [--length-penalty X] [--no-repeat N] PHOTO.ppm...";

// --beam N, --length-penalty X and --no-repeat N in front of the texts or photos
// (generate: --no-repeat N in front of the prompt).
const FLAGS = { "--beam": "beamWidth", "--length-penalty": "lengthPenalty", "--no-repeat": "noRepeatNgramSize" };
const SEARCHES = { translate: Object.keys(FLAGS), caption: Object.keys(FLAGS), generate: ["--no-repeat"] };
function searchOptions(args, flags) {
  const options = {};
  while (flags.includes(args[0])) {
    const [flag, value] = args.splice(0, 2);
    const number = Number(value);
    if (value === undefined || !Number.isFinite(number)) throw new Error(`${flag} needs a number`);
    options[FLAGS[flag]] = number;
  }
  return options;
}

async function main([command, dir, ...rest]) {
  if (!(command in TASKS) || !dir) throw new Error(USAGE);
  const model = await load(dir);
  if (TASKS[command] && model.contract.task !== TASKS[command]) {
    throw new Error(`${model.contract.name} is a ${model.contract.task} model; \`${command}\` needs a ${TASKS[command]} model`);
  }
  const options = command in SEARCHES ? searchOptions(rest, SEARCHES[command]) : {};
  if (command === "generate") {
    const [prompt = "", length = "200", temperature = "0", seed = "0"] = rest;
    return { text: await generate(model, prompt, Number(length), Number(temperature), seed, options) };
  }
  if (command === "translate") {
    const { outputs, logProbPerToken } = await translateScored(model, rest, options);
    return { outputs, log_prob_per_token: logProbPerToken };
  }
  if (command === "source-ids") return { ids: rest.map((text) => textCodec(model.contract).encode(text)) };
  if (command === "classify") return await classify(model, rest);
  return { captions: await caption(model, rest, options) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args.length === 0 || args[0] === "--help" || args[0] === "-h") {
    console.log(USAGE);
    process.exit(0);
  }
  main(args)
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error) => {
      console.error(error.message);
      process.exit(2);
    });
}
