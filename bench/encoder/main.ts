import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { intOption, parseArgs, summarize } from "../cli-args.js";
import { createEncoder } from "../../encoder/create-encoder.js";
import { resolveModelFolder } from "../../encoder/model-folder.js";
import { generateModelFolder } from "../../encoder/model-gen/generate-model.js";
import { baseShape, tinyShape, type BertShape } from "../../encoder/model-gen/bert-shape.js";
import { appendPooling } from "../../encoder/onnx/append-pooling.js";
import { DEFAULT_BATCH_LIMITS, SpladeSession } from "../../encoder/splade-session.js";
import { WordPieceTokenizer } from "../../encoder/tokenizer.js";
import type { SpladeEncoder } from "../../encoder/splade-encoder.js";
import { benchTexts } from "./bench-texts.js";
import { bertFlops } from "./flops.js";
import { matmulGflops } from "./matmul-ceiling.js";

const USAGE = `npm run bench -- encoder [--model DIR] [--size tiny|base] [--texts FILE] [--count N] [--tokens T]
                         [--workers N] [--json out.json]
  --model DIR   a SPLADE model folder (model.onnx or onnx/model.onnx, tokenizer.json); without it a
                model is generated (seeded random weights, BERT architecture) into a cache folder
  --size        tiny (2 layers, hidden 32) or base (bert-base: 12 layers, hidden 768); default base
  --texts FILE  one text a line (id<TAB>text lines use the last column); default: the sample texts
  --count N     texts to encode through the pool (default 64); the raw session gets N / workers;
                both encode their texts twice and time the second pass
  --tokens T    truncate every text to T tokens, [CLS]/[SEP] included (default 64)
  --workers N   worker threads (default: cores); each gets cores / N intra-op threads`;

/** `npm run bench -- encoder`: pool throughput against one raw session, and the MatMul ceiling. */
export async function run(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const args = parseArgs(argv, ["--model", "--size", "--texts", "--count", "--tokens", "--workers", "--json"]);
  const cores = availableParallelism();
  const workers = intOption(args, "--workers", cores, 1);
  const threads = Math.max(1, Math.floor(cores / workers));
  const count = intOption(args, "--count", 64, 1);
  const tokens = intOption(args, "--tokens", 64, 3);
  const size = args.values.get("--size") ?? "base";
  if (size !== "tiny" && size !== "base") throw new Error(`--size must be tiny or base, got ${size}`);
  const modelDir = args.values.get("--model") ?? generatedModel(size);
  const folder = resolveModelFolder(modelDir);
  const tokenizer = WordPieceTokenizer.load(folder.tokenizerPath);
  const shape = shapeFromConfig(folder.config, tokenizer.vocabulary.size);
  const texts = benchTexts(count, tokens, args.values.get("--texts"));
  const ids = texts.map((t) => tokenizer.encode(t, tokens));
  const avgTokens = ids.reduce((s, x) => s + x.length, 0) / ids.length;
  console.log(`model ${modelDir} (${shape.layers} layers, hidden ${shape.hidden}, vocab ${shape.vocabSize}); ${count} texts, ${avgTokens.toFixed(1)} tokens on average; ${workers} workers x ${threads} threads on ${cores} cores`);

  // The ceiling: one MatMul, with one worker's threads and with the whole machine.
  const gflopsPerWorker = await matmulGflops(threads);
  // The machine's ceiling: one MatMul over all cores, or each worker's MatMul times the workers
  // (one MatMul does not scale to many threads as well as separate workers do), whichever is more.
  const gflopsMachine = workers === 1 ? gflopsPerWorker : Math.max(await matmulGflops(cores), workers * gflopsPerWorker);
  console.log(`MatMul [1024x768]x[768x3072] in ONNX Runtime: ${gflopsPerWorker.toFixed(1)} GFLOP/s on ${threads} thread(s); machine ceiling ${gflopsMachine.toFixed(1)} GFLOP/s on ${cores} cores`);

  // Each measurement runs its workload twice and times the second pass: the first one grows
  // ONNX Runtime's memory arena to the batch shapes, which is a one-time cost.
  // One raw session on this thread, with one worker's threads, over count / workers texts.
  const pooled = appendPooling(readFileSync(folder.modelPath), "max", folder.modelPath);
  const raw = await SpladeSession.create(pooled, { intraOpThreads: threads, padId: tokenizer.padId, vocabSize: tokenizer.vocabulary.size, source: folder.modelPath });
  const rawTexts = texts.slice(0, Math.max(2, Math.ceil(count / workers)));
  const rawPass = async () => {
    const t0 = performance.now();
    for (let i = 0; i < rawTexts.length; i += DEFAULT_BATCH_LIMITS.maxBatch) {
      const slice = rawTexts.slice(i, i + DEFAULT_BATCH_LIMITS.maxBatch).map((t) => tokenizer.encode(t, tokens)); // tokenizing is part of the work
      await raw.encode(slice, DEFAULT_BATCH_LIMITS, {});
    }
    return rawTexts.length / ((performance.now() - t0) / 1000);
  };
  await rawPass();
  const rawDocsPerSec = await rawPass();
  await raw.release();
  console.log(`raw session: ${rawDocsPerSec.toFixed(2)} docs/s`);

  // The pool: single-text requests, a window of them in flight, as concurrent clients would send.
  const enc = (await createEncoder({ kind: "splade", modelDir, workers, threadsPerWorker: threads, maxTokens: tokens })) as SpladeEncoder;
  const window = DEFAULT_BATCH_LIMITS.maxBatch * workers;
  const poolPass = async (latencies: number[]) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(window, count) }, async () => {
        while (next < count) {
          const text = texts[next++]!;
          const s = performance.now();
          await enc.encodeDocuments([text]);
          latencies.push(performance.now() - s);
        }
      }),
    );
    return (performance.now() - t0) / 1000;
  };
  await poolPass([]);
  const latencies: number[] = [];
  const secs = await poolPass(latencies);
  await enc.close();
  const docsPerSec = count / secs;
  const flopsPerDoc = bertFlops(shape, avgTokens);
  const result = {
    model: modelDir,
    size: args.values.has("--model") ? "given" : size,
    workers,
    threadsPerWorker: threads,
    texts: count,
    avgTokens: round(avgTokens, 1),
    docsPerSec: round(docsPerSec, 2),
    tokensPerSec: round(docsPerSec * avgTokens, 0),
    p50Ms: round(summarize(latencies).p50, 1),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rawDocsPerSec: round(rawDocsPerSec, 2),
    poolEfficiency: round(docsPerSec / (workers * rawDocsPerSec), 3),
    gflopsPerDoc: round(flopsPerDoc / 1e9, 2),
    matmulGflopsMachine: round(gflopsMachine, 1),
    achievedGflops: round((docsPerSec * flopsPerDoc) / 1e9, 1),
    shareOfMatmulCeiling: round((docsPerSec * flopsPerDoc) / 1e9 / gflopsMachine, 3),
  };
  console.table(result);
  const jsonPath = args.values.get("--json");
  if (jsonPath !== undefined) writeFileSync(jsonPath, JSON.stringify(result, null, 2) + "\n");
}

/** A generated model in a cache folder (made once; bert-base is about 530 MB). */
function generatedModel(size: "tiny" | "base"): string {
  const dir = join(process.env.SPARSEDB_CACHE ?? join(tmpdir(), "sparsedb-cache"), `bench-${size}-bert-seed1`);
  if (!existsSync(join(dir, "model.onnx"))) {
    mkdirSync(dir, { recursive: true });
    console.log(`generating a ${size} BERT MLM with seeded random weights into ${dir} ...`);
    // The built-in tokenizer is bert-base-uncased: the MLM head has BERT's 30522 terms.
    generateModelFolder(dir, { size, weights: "random", seed: 1 });
  }
  return dir;
}

function shapeFromConfig(config: Record<string, unknown> | undefined, vocab: number): BertShape {
  const n = (k: string, d: number) => (typeof config?.[k] === "number" ? (config[k] as number) : d);
  const base = config?.hidden_size === 32 ? tinyShape(vocab) : baseShape(vocab);
  return {
    vocabSize: vocab,
    hidden: n("hidden_size", base.hidden),
    layers: n("num_hidden_layers", base.layers),
    heads: n("num_attention_heads", base.heads),
    intermediate: n("intermediate_size", base.intermediate),
    maxPositions: n("max_position_embeddings", base.maxPositions),
    typeVocabSize: n("type_vocab_size", base.typeVocabSize),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
