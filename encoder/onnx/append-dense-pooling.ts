import { SparseDbError } from "../../engine/errors.js";
import { GraphAppender, openBertModel, type ModelInput } from "./graph-edit.js";
import { encodeModel, FLOAT, INT64, shapeOf, tensor, valueInfo, type ValueInfoProto } from "./onnx-proto.js";

export type DensePooling = "mean" | "cls";

/** The output a dense (sentence-embedding) model must have: a BERT encoder's token states. */
export const HIDDEN_STATE_OUTPUT = "last_hidden_state";

export interface DensePooledModel {
  /** The model to give ONNX Runtime: its one output is [batch, hidden]. */
  bytes: Uint8Array;
  /** The inputs the session takes (attention_mask among them for mean pooling). */
  inputs: ModelInput[];
  outputName: string;
  /** The hidden size when the graph states it (else known after the first run). */
  dims: number | undefined;
}

const OUT = "sparsedb_dense_pooled";

/**
 * Appends sentence-embedding pooling to a BERT encoder's graph, so that the session returns
 * `[batch, hidden]` and the `[batch, tokens, hidden]` states never leave ONNX Runtime:
 * - "mean": sum over tokens of last_hidden_state * attention_mask, divided by the number of
 *   attended tokens (at least 1e-9, as sentence-transformers clamps it);
 * - "cls": the state of the first token ([CLS]).
 * Normalisation is left to the caller (a cheap pass over [batch, hidden]).
 */
export function appendDensePooling(modelBytes: Uint8Array, pooling: DensePooling, source: string): DensePooledModel {
  if (pooling !== "mean" && pooling !== "cls") {
    throw new SparseDbError("INVALID_ARGUMENT", `dense pooling is "${String(pooling)}"; use "mean" (sentence-transformers' default) or "cls"`);
  }
  const { model, graph, inputNames, opset } = openBertModel(modelBytes, source, "encoder");
  const output = graph.output!.find((o) => o.name === HIDDEN_STATE_OUTPUT);
  const names = graph.output!.map((o) => `"${o.name}"`).join(", ");
  if (output === undefined) {
    throw new SparseDbError(
      "ENCODER_ERROR",
      `${source} has no output "${HIDDEN_STATE_OUTPUT}" (its outputs: ${names}); a dense encoder needs a BERT encoder's token states [batch, tokens, hidden] (export with \`optimum-cli export onnx --task feature-extraction\`)`,
    );
  }
  const dims = shapeOf(output);
  if (dims !== undefined && dims.length !== 3) {
    throw new SparseDbError("ENCODER_ERROR", `${source}: output "${HIDDEN_STATE_OUTPUT}" has rank ${dims.length}; a dense encoder needs [batch, tokens, hidden]`);
  }
  if (opset < 7) throw new SparseDbError("ENCODER_ERROR", `${source} comes from ONNX opset ${opset}, older than sparsedb supports (7)`);
  const hidden = dims?.[2];

  const g = new GraphAppender(opset, "sparsedb_dense_pool");
  const p = (s: string) => g.name(s);
  const newInputs: ValueInfoProto[] = [];
  if (pooling === "mean") {
    if (!inputNames.includes("attention_mask")) newInputs.push(valueInfo("attention_mask", INT64, ["batch", "sequence"]));
    g.op("Cast", ["attention_mask"], p("mask_f"), { to: FLOAT });
    g.unsqueeze(p("mask_f"), 2, p("mask"));
    g.op("Mul", [HIDDEN_STATE_OUTPUT, p("mask")], p("masked"));
    g.reduce("ReduceSum", p("masked"), 1, p("sum"));
    g.reduce("ReduceSum", p("mask"), 1, p("count"));
    g.op("Max", [p("count"), g.scalar("min_count", 1e-9)], p("count_clamped"));
    g.op("Div", [p("sum"), p("count_clamped")], OUT);
  } else {
    // A scalar index drops the token axis: [batch, tokens, hidden] -> [batch, hidden].
    g.inits.push(tensor(p("first"), [], BigInt64Array.from([0n])));
    g.op("Gather", [HIDDEN_STATE_OUTPUT, p("first")], OUT, { axis: 1 });
  }

  graph.node = [...(graph.node ?? []), ...g.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...g.inits];
  graph.input = [...(graph.input ?? []), ...newInputs];
  graph.output = [valueInfo(OUT, FLOAT, ["batch", hidden ?? "hidden"])];
  const inputs = [...inputNames, ...newInputs.map((i) => i.name as ModelInput)];
  return { bytes: encodeModel(model), inputs, outputName: OUT, dims: hidden };
}
