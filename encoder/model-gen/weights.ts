import type { WeightSource } from "./bert-graph.js";

/** mulberry32: a small seeded generator, so that generated models are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomWeightOptions {
  seed: number;
  /** Standard deviation of matrices and embeddings (BERT's initializer uses 0.02). */
  std?: number;
  /** The MLM decoder bias: negative makes the pooled vectors sparse, as a trained SPLADE's are. */
  decoderBias?: number;
}

/**
 * Seeded random weights in BERT's initialization: normal(0, std) matrices and embeddings,
 * LayerNorm scale 1 and shift 0, zero biases; the decoder tied to the word embeddings.
 * A pass costs the same whatever the values, so a model with these weights times like a real one.
 */
export function randomWeights(options: RandomWeightOptions): WeightSource {
  const rand = seededRandom(options.seed);
  const std = options.std ?? 0.02;
  let wordEmbeddings: Float32Array | null = null;
  const normal = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - rand())) * std;
      const th = 2 * Math.PI * rand();
      out[i] = r * Math.cos(th);
      if (i + 1 < n) out[i + 1] = r * Math.sin(th);
    }
    return out;
  };
  return (name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith("LayerNorm.weight")) return new Float32Array(size).fill(1);
    if (name === "cls.predictions.bias") return new Float32Array(size).fill(options.decoderBias ?? 0);
    if (name === "cls.predictions.decoder.weight_t") return transpose(wordEmbeddings!, shape[1]!, shape[0]!);
    if (name.endsWith(".bias")) return new Float32Array(size);
    const w = normal(size);
    if (name === "bert.embeddings.word_embeddings.weight") wordEmbeddings = w;
    return w;
  };
}

/**
 * Hand-set weights whose pooled vectors have a closed form, for tests. Each token's word
 * embedding is a balanced +1/-1 pattern (handSetEmbedding); position and token-type embeddings,
 * and every attention and feed-forward weight are zero, so each layer's LayerNorm gives back the
 * embedding unchanged; the MLM transform is the identity, and GELU followed by LayerNorm maps a
 * balanced +1/-1 vector to itself. Hence the logit of term j at a token t is
 * handSetEmbedding(t) . handSetEmbedding(j) + decoderBias (see expectedHandSetVector).
 */
export function handSetWeights(decoderBias: number): WeightSource {
  return (name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (name === "bert.embeddings.word_embeddings.weight") {
      const [V, H] = shape as [number, number];
      const w = new Float32Array(size);
      for (let t = 0; t < V; t++) w.set(handSetEmbedding(t, H), t * H);
      return w;
    }
    if (name === "cls.predictions.decoder.weight_t") {
      const [H, V] = shape as [number, number];
      const w = new Float32Array(size);
      for (let t = 0; t < V; t++) {
        const e = handSetEmbedding(t, H);
        for (let h = 0; h < H; h++) w[h * V + t] = e[h]!;
      }
      return w;
    }
    if (name === "cls.predictions.transform.dense.weight") {
      const H = shape[0]!;
      const w = new Float32Array(size);
      for (let h = 0; h < H; h++) w[h * H + h] = 1;
      return w;
    }
    if (name.endsWith("LayerNorm.weight")) return new Float32Array(size).fill(1);
    if (name === "cls.predictions.bias") return new Float32Array(size).fill(decoderBias);
    return new Float32Array(size);
  };
}

/** Token t's hand-set embedding: hidden/2 entries +1 and hidden/2 entries -1, shuffled by a seed of t. */
export function handSetEmbedding(token: number, hidden: number): Float32Array {
  const e = new Float32Array(hidden);
  for (let h = 0; h < hidden; h++) e[h] = h < hidden / 2 ? 1 : -1;
  const rand = seededRandom(0x5eed + token * 7919);
  for (let i = hidden - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = e[i]!;
    e[i] = e[j]!;
    e[j] = tmp;
  }
  return e;
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  // m is [cols, rows] (vocab x hidden); the result is [rows, cols] (hidden x vocab).
  const out = new Float32Array(m.length);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out[r * cols + c] = m[c * rows + r]!;
  return out;
}
