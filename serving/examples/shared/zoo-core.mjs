// Zoo's exported ONNX graphs in JavaScript, for Node (onnxruntime-node,
// serving/examples/node) and the browser (onnxruntime-web,
// serving/examples/web) alike: the tokenisers and searches zoo.json
// describes, written once. A model is { contract, sessions, ort }: its
// zoo.json, an InferenceSession per graph (keyed by file name without
// .onnx) and the onnxruntime module that made them.

// Open a version's graphs from their bytes (`read(file)` -> Uint8Array),
// refusing any whose sha256 (`sha256(bytes)` -> hex) differs from zoo.json's.
export async function open(contract, ort, read, sha256, files = Object.keys(contract.onnx ?? {})) {
  const sessions = {};
  for (const file of files) {
    const bytes = await read(file);
    if ((await sha256(bytes)) !== contract.sha256[file]) {
      throw new Error(`${file} does not match its sha256 in zoo.json`);
    }
    sessions[file.replace(/\.onnx$/, "")] = await ort.InferenceSession.create(bytes);
  }
  return { contract, sessions, ort };
}

// Character ids of a text; characters outside the vocabulary read as id 0 (OOV).
function encode(text, vocabulary) {
  const index = new Map(vocabulary.map((token, id) => [token, id]));
  return Int32Array.from(Array.from(text), (ch) => index.get(ch) ?? 0);
}

// The highest-scoring id, never one of `banned` (first wins ties, like numpy).
function argmax(data, offset, size, banned) {
  let best = -1;
  for (let i = 0; i < size; i++) {
    if (banned.has(i)) continue;
    if (best < 0 || data[offset + i] > data[offset + best]) best = i;
  }
  return best;
}

// splitmix64 in wrapping 64-bit BigInts: the sampler's noise, the same bits
// as zoo_runtime.search and the SavedModel draw.
const MASK = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

function splitmix(x) {
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return x ^ (x >> 31n);
}

// Gumbel noise for one row at one step (the row's token count, prompt included).
function gumbel(seed, step, vocab) {
  const base = splitmix(BigInt.asUintN(64, BigInt(seed)));
  const noise = new Float32Array(vocab); // rounds each value to float32, as numpy does
  for (let i = 0; i < vocab; i++) {
    const counter = BigInt(step) * BigInt(vocab) + BigInt(i + 1);
    const bits = splitmix((base + counter * GOLDEN) & MASK);
    noise[i] = -Math.log(-Math.log((Number(bits >> 11n) + 0.5) / 2 ** 53));
  }
  return noise;
}

// The Gumbel-max draw of zoo_runtime.search.sample, in float32 arithmetic
// (Math.fround after each float64 operation gives float32's result).
function sampled(data, offset, size, temperature, seed, step, banned) {
  const divisor = Math.fround(Math.max(temperature, 1e-6));
  const noise = gumbel(seed, step, size);
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < size; i++) {
    const logit = Math.fround(data[offset + i] + (banned.has(i) ? -1e9 : 0)); // OOV and repeats ruled out
    const value = Math.fround(Math.fround(logit / divisor) + noise[i]);
    if (best < 0 || value > bestValue) [best, bestValue] = [i, value];
  }
  return best;
}

// The tokens that would complete an n-gram a growing text already holds:
// zoo_runtime.search.NgramBlock, each (n-1)-gram mapped to its followers.
class NgramBlock {
  constructor(n) {
    this.n = n;
    this.tokens = [];
    this.followers = new Map();
  }

  add(token) {
    this.tokens.push(token);
    if (this.n && this.tokens.length >= this.n) {
      const key = this.tokens.slice(-this.n, -1).join(",");
      if (!this.followers.has(key)) this.followers.set(key, new Set());
      this.followers.get(key).add(token);
    }
  }

  banned() {
    if (!this.n || this.tokens.length < this.n - 1) return new Set();
    return this.followers.get(this.tokens.slice(this.tokens.length - this.n + 1).join(",")) ?? new Set();
  }
}

// Continuation of `prompt`: read the prompt once, then one step per character,
// carrying the recurrent state (zoo's CharLM.generate); noRepeatNgramSize n > 0
// never writes the same n characters twice.
export async function generate({ contract, sessions, ort }, prompt, length, temperature = 0, seed = 0, { noRepeatNgramSize = 0 } = {}) {
  if (!Number.isInteger(noRepeatNgramSize) || noRepeatNgramSize < 0) {
    throw new Error(`no_repeat_ngram_size must be an integer >= 0, got ${noRepeatNgramSize}`);
  }
  const { vocabulary, state_names: stateNames } = contract;
  const inputs = contract.onnx["model.onnx"].inputs;
  const feeds = {};
  for (const name of stateNames) {
    const width = inputs[name].shape.at(-1);
    feeds[name] = new ort.Tensor("float32", new Float32Array(width), [1, width]);
  }
  let ids = encode(prompt || "\n", vocabulary);
  let step = ids.length - 1;
  const written = new NgramBlock(noRepeatNgramSize);
  let text = "";
  for (let t = 0; t < length; t++, step++) {
    feeds.token_ids = new ort.Tensor("int32", ids, [1, ids.length]);
    const out = await sessions.model.run(feeds);
    const [, steps, size] = out.logits.dims;
    const offset = (steps - 1) * size;
    const blocked = written.banned(); // gives way when it would leave no character (n = 1, long texts)
    const banned = new Set(blocked.size < size - 1 ? [0, ...blocked] : [0]);
    const next =
      temperature > 0
        ? sampled(out.logits.data, offset, size, temperature, seed, step, banned)
        : argmax(out.logits.data, offset, size, banned);
    written.add(next);
    text += vocabulary[next];
    ids = Int32Array.of(next);
    for (const name of stateNames) feeds[name] = out[`next_${name}`];
  }
  return text;
}

// zoo.json's subword "tokenisation", step by step: the ids zoo.subwords
// gives in Python (longest known piece first; uncovered characters -> 0).
export function subwordIds(spec, index, text) {
  let marked = " " + text.replace(regex(`[${spec.separators}]+`), " ");
  for (const [pattern, replacement] of spec.rewrites) {
    marked = marked.replace(regex(pattern), replacement.replace("\\1", "$1"));
  }
  const ids = [];
  for (const word of marked.split(spec.mark).filter(Boolean)) {
    const chars = Array.from(word);
    for (let i = 0, size; i < chars.length; i += size) {
      for (size = Math.min(spec.max_piece, chars.length - i); size > 0; size--) {
        const id = index.get(chars.slice(i, i + size).join(""));
        if (id !== undefined) {
          ids.push(id);
          break;
        }
      }
      if (size === 0) {
        ids.push(0);
        size = 1;
      }
    }
  }
  return ids;
}

// A translator's text <-> ids, characters or subwords as its zoo.json says.
export function textCodec(contract) {
  const spec = contract.tokenisation ?? { kind: "chars" };
  if (spec.kind !== "subwords") {
    return {
      encode: (text) => encode(text, contract.source_vocabulary),
      decode: (ids) => ids.map((id) => contract.target_vocabulary[id]).join(""),
    };
  }
  const index = new Map(contract.source_vocabulary.map((token, id) => [token, id]));
  return {
    encode: (text) => subwordIds(spec, index, text),
    decode: (ids) =>
      ids
        .map((id) => contract.target_vocabulary[id])
        .join("")
        .replaceAll(spec.space, " ")
        .replace(/^ +| +$/g, ""),
  };
}

// Translations of a batch of texts: greedy (beamWidth 1) or beam search.
export async function translate(model, texts, options = {}) {
  return (await translateScored(model, texts, options)).outputs;
}

// translate, with each output's log-probability per token (END included):
// near 0 where the model is sure of every token, far lower where it guesses
// (an input in another language). {outputs, logProbPerToken}; the scores
// are null for an export made before search.onnx gave them.
export async function translateScored({ contract, sessions, ort }, texts, options = {}) {
  const special = specialIds(contract);
  const codec = textCodec(contract);
  const check = contract.output_check ? dateCheck(contract.output_check) : null;
  const rows = texts.map((text, i) => {
    const ids = codec.encode(text);
    if (!ids.length) throw new Error(`input ${i} is empty or only whitespace: it has no tokens`);
    if (ids.length > contract.max_input_length) {
      throw new Error(`input ${i} has ${ids.length} tokens; this model reads at most ${contract.max_input_length}`);
    }
    return ids;
  });
  const width = Math.max(...rows.map((ids) => ids.length));
  const source = new Int32Array(texts.length * width).fill(special.source_pad);
  rows.forEach((ids, row) => source.set(ids, row * width));
  const feeds = { source_ids: new ort.Tensor("int32", source, [texts.length, width]) };
  const found = await decode({ contract, sessions, ort }, feeds, special, contract.max_output_length, options);
  // No answer (null) where a date model's output cannot be a date.
  const outputs = found.rows.map((ids, i) => (check ? check.answer(texts[i], codec.decode(ids)) : codec.decode(ids)));
  return { outputs, logProbPerToken: found.perToken };
}

// zoo.json's output_check {kind: "date", first, last}, as zoo_runtime/dates.py:
// no answer (null) for an input holding a run of exactly four digits outside
// the years, or for an output that is not a calendar date YYYY-MM-DD in the span.
export function dateCheck({ kind, first, last }) {
  if (kind !== "date") throw new Error(`unknown output check ${kind}; the one known is kind 'date'`);
  const [low, high] = [Number(first.slice(0, 4)), Number(last.slice(0, 4))];
  const reads = (text) => (text.match(/[0-9]+/g) ?? []).every((run) => run.length !== 4 || (Number(run) >= low && Number(run) <= high));
  const isDate = (text) => {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return false;
    const [y, m, d] = text.split("-").map(Number);
    const date = new Date(Date.UTC(2000, m - 1, d));
    date.setUTCFullYear(y); // Date.UTC reads years 0-99 as 1900-1999
    const real = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
    return real && text >= first && text <= last; // ISO dates order as strings
  };
  return { reads, isDate, answer: (text, output) => (reads(text) && isDate(output) ? output : null) };
}

// {rows: output ids per row (before END, no padding), perToken: each row's
// log-probability per token, or null} for the encoder's `feeds`:
// search.onnx does the whole search in one call; an export without it
// (made before it existed) is decoded greedily step by step. The length
// penalty and n-gram size not given are zoo.json's decoding_defaults (the
// model's, chosen on validation), else none.
async function decode({ contract, sessions, ort }, feeds, special, maxLength, options = {}) {
  const chosen = contract.decoding_defaults ?? {};
  const { beamWidth = 1, lengthPenalty = chosen.length_penalty ?? 0, noRepeatNgramSize = chosen.no_repeat_ngram_size ?? 0 } = options;
  if (!Number.isInteger(beamWidth) || beamWidth < 1) throw new Error(`beam width must be an integer >= 1, got ${beamWidth}`);
  if (!Number.isInteger(noRepeatNgramSize) || noRepeatNgramSize < 0) {
    throw new Error(`no_repeat_ngram_size must be an integer >= 0, got ${noRepeatNgramSize}`);
  }
  const blocks = sessions.search?.inputNames.includes("no_repeat_ngram_size");
  if (noRepeatNgramSize && !blocks) throw new Error("this export's search graph cannot block repeats: export the model again");
  if (!sessions.search) {
    if (beamWidth > 1) throw new Error("this export has no search.onnx: beam search needs a newer export");
    const rows = Object.values(feeds)[0].dims[0];
    const found = await greedy(ort, sessions, await sessions.encoder.run(feeds), special, maxLength, rows);
    return { rows: found, perToken: null };
  }
  const most = contract.search.max_beam_width;
  if (beamWidth > most) throw new Error(`beam width must be at most ${most}, got ${beamWidth}`);
  const out = await sessions.search.run({
    ...feeds,
    beam_width: new ort.Tensor("int64", BigInt64Array.of(BigInt(beamWidth)), []),
    length_penalty: new ort.Tensor("float32", Float32Array.of(lengthPenalty), []),
    // search.onnx made before repetition blocking has no such input.
    ...(blocks ? { no_repeat_ngram_size: new ort.Tensor("int64", BigInt64Array.of(BigInt(noRepeatNgramSize)), []) } : {}),
  });
  const [rows, length] = out.ids.dims;
  return {
    rows: Array.from({ length: rows }, (_, r) => kept(out.ids.data.subarray(r * length, (r + 1) * length), special)),
    perToken: out.log_prob_per_token ? Array.from(out.log_prob_per_token.data) : null,
  };
}

// A row's ids before END, without padding.
export function kept(ids, special) {
  const out = [];
  for (const id of ids) {
    if (id === special.end) break;
    if (id !== special.pad) out.push(id);
  }
  return out;
}

// {name: id} of zoo.json's special_tokens.
export function specialIds(contract) {
  return Object.fromEntries(Object.entries(contract.special_tokens).map(([k, [, id]]) => [k, id]));
}

// Greedy decoding over decoder.onnx, as zoo.json's "decoding" describes (the
// streaming way: an app sees each token as it is chosen):
// start from the encoder's state_k and token START, feed back next_state_k
// and the best id (never oov, pad or start), stop at END. Ids per row.
async function greedy(ort, sessions, encoded, special, maxLength, rows, attention = null) {
  const feeds = {};
  for (const name of sessions.decoder.inputNames) {
    if (name !== "token_ids") feeds[name] = encoded[name];
  }
  const stateNames = sessions.decoder.inputNames.filter((n) => n.startsWith("state_"));
  const banned = new Set([special.oov, special.pad, special.start]);
  let tokens = new Int32Array(rows).fill(special.start);
  const outputs = Array.from({ length: rows }, () => []);
  const finished = outputs.map(() => false);
  for (let t = 0; t < maxLength && !finished.every(Boolean); t++) {
    feeds.token_ids = new ort.Tensor("int32", tokens, [rows]);
    const out = await sessions.decoder.run(feeds);
    const size = out.logits.dims[1];
    const regions = out.attention.dims[1];
    tokens = Int32Array.from(outputs, (_, row) => argmax(out.logits.data, row * size, size, banned));
    tokens.forEach((token, row) => {
      if (finished[row]) return;
      if (token === special.end) finished[row] = true;
      else {
        outputs[row].push(token);
        attention?.[row].push(out.attention.data.slice(row * regions, (row + 1) * regions));
      }
    });
    for (const name of stateNames) feeds[name] = out[`next_${name}`];
  }
  return outputs;
}

// A pattern from zoo.json (RE2 spelling, \\x{HHHH} = a code point) as a JS RegExp.
function regex(pattern) {
  return new RegExp(pattern.replaceAll("\\x{", "\\u{"), "gu");
}

// zoo.json's "tokenisation", step by step: the ids zoo.words gives in Python.
export function tokenize(contract, text) {
  const spec = contract.tokenisation;
  let standard = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  for (const [pattern, replacement] of spec.rewrites) {
    standard = standard.replace(regex(pattern), replacement);
  }
  let tokens = standard.match(regex(spec.token)) ?? [];
  if (tokens.length > spec.max_tokens) {
    const tail = spec.max_tokens - spec.head_tokens;
    tokens = [...tokens.slice(0, spec.head_tokens), ...(tail ? tokens.slice(-tail) : [])];
  }
  return tokens;
}

// Probabilities (P(labels[1]) for two labels, else one row per text), labels
// and pooling weights of a batch of texts.
export async function classify({ contract, sessions, ort }, texts) {
  const spec = contract.tokenisation;
  const index = new Map(contract.word_vocabulary.map((token, id) => [token, id]));
  const tokens = texts.map((text, i) => {
    const found = tokenize(contract, text);
    if (!found.length) throw new Error(`input ${i} is empty or only whitespace: it has no tokens`);
    return found;
  });
  const width = Math.max(...tokens.map((t) => t.length));
  const ids = new Int32Array(texts.length * width).fill(spec.pad_id);
  tokens.forEach((row, r) => {
    row.forEach((token, t) => {
      const id = index.get(token);
      const special = id === spec.pad_id || id === spec.oov_id;
      ids[r * width + t] = id === undefined || special ? spec.oov_id : id;
    });
  });
  const out = await sessions.model.run({
    token_ids: new ort.Tensor("int32", ids, [texts.length, width]),
  });
  const flat = Array.from(out.probability.data);
  const classes = out.probability.dims.length === 2 ? out.probability.dims[1] : 0;
  const probabilities = classes ? texts.map((_, r) => flat.slice(r * classes, (r + 1) * classes)) : flat;
  const likeliest = (p) => (classes ? p.indexOf(Math.max(...p)) : Number(p >= 0.5));
  return {
    labels: probabilities.map((p) => contract.labels[likeliest(p)]),
    probabilities,
    tokens,
    weights: tokens.map((row, r) => Array.from(out.weights.data.slice(r * width, r * width + row.length))),
  };
}


// A caption of one uint8 RGB image ({ width, height, pixels }, row-major
// HWC): the graphs squash it to the encoder's size themselves. With
// search.onnx, greedy or beam search in one call; with encoder.onnx and
// decoder.onnx alone (a lighter download), greedy decoding step by step,
// which also gives where the decoder looked for each word: `attention`,
// one row of weights over the image regions (a square grid) per word.
export async function captionImage({ contract, sessions, ort }, { width, height, pixels }, options = {}) {
  const side = contract.min_image_side;
  if (Math.min(width, height) < side) throw new Error(`the image is ${width}x${height}; at least ${side} px a side`);
  const most = contract.limits.max_image_pixels;
  if (width * height > most) throw new Error(`the image has ${width * height} pixels; at most ${most}`);
  const image = { image: new ort.Tensor("uint8", pixels, [1, height, width, 3]) };
  const special = specialIds(contract);
  let ids;
  let attention = null;
  if (sessions.search) {
    [ids] = (await decode({ contract, sessions, ort }, image, special, contract.max_length, options)).rows;
  } else {
    if ((options.beamWidth ?? 1) > 1) throw new Error("beam search needs search.onnx; this model has the step graphs only");
    attention = [[]];
    const encoded = await sessions.encoder.run(image);
    [ids] = await greedy(ort, sessions, encoded, special, contract.max_length, 1, attention);
    [attention] = attention;
  }
  return { ids, words: ids.map((id) => contract.vocabulary[id]), attention };
}
