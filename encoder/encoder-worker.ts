// A piscina worker: one ONNX Runtime session and one tokenizer, loaded once from workerData
// (a SPLADE or a dense model, by setup.kind). Loaded from the compiled
// dist/encoder/encoder-worker.js (see encoder-pool.ts).
import { move, workerData } from "piscina";
import { SparseDbError } from "../engine/errors.js";
import { DenseSession } from "./dense-session.js";
import { SpladeSession } from "./splade-session.js";
import { WordPieceTokenizer } from "./tokenizer.js";
import { packDenseResults, packResults, WORKER_ERROR_PREFIX, type DenseWorkerSetup, type EncodedText, type SpladeWorkerSetup, type WorkerSetup, type WorkerTask } from "./worker-protocol.js";

const setup = workerData as WorkerSetup;
const ready = load();
// A load failure is reported by every task; keep it from also crashing the worker as unhandled.
ready.catch(() => {});

type Loaded = { kind: "splade"; tokenizer: WordPieceTokenizer; session: SpladeSession } | { kind: "dense"; tokenizer: WordPieceTokenizer; session: DenseSession };

async function load(): Promise<Loaded> {
  const tokenizer = WordPieceTokenizer.fromJsonText(setup.tokenizerJson, setup.tokenizerSource);
  // ONNX Runtime does not read a SharedArrayBuffer: copy the model into a private buffer.
  const bytes = new Uint8Array(setup.modelBytes.byteLength);
  bytes.set(new Uint8Array(setup.modelBytes));
  if (setup.kind === "dense") {
    const session = await DenseSession.create(
      { bytes, inputs: setup.inputs, outputName: setup.outputName, dims: setup.dims },
      { intraOpThreads: setup.intraOpThreads, padId: tokenizer.padId, source: setup.modelSource },
    );
    return { kind: "dense", tokenizer, session };
  }
  const session = await SpladeSession.create(
    { bytes, inputs: setup.inputs, outputName: setup.outputName, vocabSize: setup.vocabSize, alreadyPooled: true },
    { intraOpThreads: setup.intraOpThreads, padId: tokenizer.padId, vocabSize: tokenizer.vocabulary.size, source: setup.modelSource },
  );
  return { kind: "splade", tokenizer, session };
}

export default async function encodeTask(task: WorkerTask): Promise<Uint8Array> {
  try {
    const loaded = await ready;
    return loaded.kind === "dense" ? await encodeDense(task, loaded.tokenizer, loaded.session) : await encodeSparse(task, loaded.tokenizer, loaded.session);
  } catch (err) {
    // Errors cross the thread as plain Errors (their class and code are lost): carry the code in the message.
    if (err instanceof SparseDbError) throw new Error(`${WORKER_ERROR_PREFIX}${err.code}:${err.message}`);
    throw err;
  }
}

async function encodeSparse(task: WorkerTask, tokenizer: WordPieceTokenizer, session: SpladeSession): Promise<Uint8Array> {
  const s = setup as SpladeWorkerSetup;
  const ids = task.texts.map((t) => tokenizer.encode(t, s.maxTokens));
  const own = ids.map((list) => list.filter((id) => !tokenizer.specialIds.has(id)));
  // Text with no tokens of its own (empty, whitespace) gives an empty vector without the model.
  const live = ids.map((_, i) => i).filter((i) => own[i]!.length > 0);
  const keep = live.map((i) => (task.restrict[i] ? new Set(own[i]) : undefined));
  const encoded = live.length > 0 ? await session.encode(live.map((i) => ids[i]!), s.limits, s.controls, keep) : [];
  const results: EncodedText[] = ids.map(() => ({ terms: new Uint32Array(0), weights: new Float32Array(0), tokens: 0 }));
  live.forEach((i, k) => (results[i] = { ...encoded[k]!, tokens: ids[i]!.length }));
  return move(packResults(results)) as Uint8Array;
}

/** Every text goes through the model, empty text too ([CLS] [SEP]), as sentence-transformers does. */
async function encodeDense(task: WorkerTask, tokenizer: WordPieceTokenizer, session: DenseSession): Promise<Uint8Array> {
  const s = setup as DenseWorkerSetup;
  const ids = task.texts.map((t) => tokenizer.encode(t, s.maxTokens));
  const vectors = await session.encode(ids, s.limits, s.normalize);
  return move(packDenseResults(vectors, ids.map((x) => x.length))) as Uint8Array;
}
