// A piscina worker: one ONNX Runtime session and one tokenizer, loaded once from workerData.
// Loaded from the compiled dist/encoder/encoder-worker.js (see encoder-pool.ts).
import { move, workerData } from "piscina";
import { SparseDbError } from "../engine/errors.js";
import { SpladeSession } from "./splade-session.js";
import { WordPieceTokenizer } from "./tokenizer.js";
import { packResults, WORKER_ERROR_PREFIX, type EncodedText, type WorkerSetup, type WorkerTask } from "./worker-protocol.js";

const setup = workerData as WorkerSetup;
const ready = load();
// A load failure is reported by every task; keep it from also crashing the worker as unhandled.
ready.catch(() => {});

async function load(): Promise<{ tokenizer: WordPieceTokenizer; session: SpladeSession }> {
  const tokenizer = WordPieceTokenizer.fromJsonText(setup.tokenizerJson, setup.tokenizerSource);
  // ONNX Runtime does not read a SharedArrayBuffer: copy the model into a private buffer.
  const bytes = new Uint8Array(setup.modelBytes.byteLength);
  bytes.set(new Uint8Array(setup.modelBytes));
  const session = await SpladeSession.create(
    { bytes, inputs: setup.inputs, outputName: setup.outputName, vocabSize: setup.vocabSize, alreadyPooled: true },
    { intraOpThreads: setup.intraOpThreads, padId: tokenizer.padId, vocabSize: tokenizer.vocabulary.size, source: setup.modelSource },
  );
  return { tokenizer, session };
}

export default async function encodeTask(task: WorkerTask): Promise<Uint8Array> {
  try {
    return await encode(task);
  } catch (err) {
    // Errors cross the thread as plain Errors (their class and code are lost): carry the code in the message.
    if (err instanceof SparseDbError) throw new Error(`${WORKER_ERROR_PREFIX}${err.code}:${err.message}`);
    throw err;
  }
}

async function encode(task: WorkerTask): Promise<Uint8Array> {
  const { tokenizer, session } = await ready;
  const ids = task.texts.map((t) => tokenizer.encode(t, setup.maxTokens));
  const own = ids.map((list) => list.filter((id) => !tokenizer.specialIds.has(id)));
  // Text with no tokens of its own (empty, whitespace) gives an empty vector without the model.
  const live = ids.map((_, i) => i).filter((i) => own[i]!.length > 0);
  const keep = live.map((i) => (task.restrict[i] ? new Set(own[i]) : undefined));
  const encoded = live.length > 0 ? await session.encode(live.map((i) => ids[i]!), setup.limits, setup.controls, keep) : [];
  const results: EncodedText[] = ids.map(() => ({ terms: new Uint32Array(0), weights: new Float32Array(0), tokens: 0 }));
  live.forEach((i, k) => (results[i] = { ...encoded[k]!, tokens: ids[i]!.length }));
  return move(packResults(results)) as Uint8Array;
}
