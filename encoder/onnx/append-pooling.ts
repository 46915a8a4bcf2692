import { SparseDbError } from "../../engine/errors.js";
import { decodeModel, encodeModel, FLOAT, INT64, node, shapeOf, tensor, valueInfo, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from "./onnx-proto.js";

export type Pooling = "max" | "sum";

/** Inputs a SPLADE model may take; input_ids is required. */
export const KNOWN_INPUTS = ["input_ids", "attention_mask", "token_type_ids"] as const;
export type ModelInput = (typeof KNOWN_INPUTS)[number];

export interface PooledModel {
  /** The model to give ONNX Runtime: its one output is [batch, vocab]. */
  bytes: Uint8Array;
  /** The inputs the session takes (attention_mask always among them). */
  inputs: ModelInput[];
  outputName: string;
  /** The vocabulary size when the graph states it. */
  vocabSize: number | undefined;
  /** True when the model already returned [batch, vocab] and was used as it is. */
  alreadyPooled: boolean;
}

const OUT = "sparsedb_pooled";

/**
 * Appends SPLADE pooling to a masked-language model's graph, so that the session returns
 * `[batch, vocab]` and the `[batch, tokens, vocab]` logits never leave ONNX Runtime:
 * pooled = max over tokens of Log(1 + Relu(logits)) * attention_mask (a sum for "sum").
 * A model whose output is already rank 2 is returned as it is.
 */
export function appendPooling(modelBytes: Uint8Array, pooling: Pooling, source: string): PooledModel {
  let model: ModelProto;
  try {
    model = decodeModel(modelBytes);
  } catch (err) {
    throw new SparseDbError("ENCODER_ERROR", `${source} is not an ONNX model (${(err as Error).message}); export the model with optimum or torch.onnx`, { cause: err });
  }
  const graph = model.graph;
  if (!graph || !graph.output || graph.output.length === 0) {
    throw new SparseDbError("ENCODER_ERROR", `${source} has no graph outputs; it is not a usable ONNX model`);
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputNames = (graph.input ?? []).map((i) => i.name!).filter((n) => !initializers.has(n));
  for (const name of inputNames) {
    if (!(KNOWN_INPUTS as readonly string[]).includes(name)) {
      throw new SparseDbError("ENCODER_ERROR", `${source} takes an input "${name}"; sparsedb feeds only ${KNOWN_INPUTS.join(", ")} (a BERT-style masked-language model)`);
    }
  }
  if (!inputNames.includes("input_ids")) {
    throw new SparseDbError("ENCODER_ERROR", `${source} has no input_ids input; sparsedb needs a BERT-style masked-language model`);
  }
  const output = graph.output.find((o) => o.name === "logits") ?? graph.output[0]!;
  const dims = shapeOf(output);
  const doesNotFit = (why: string) =>
    new SparseDbError("ENCODER_ERROR", `${source}: output "${output.name}" ${why}; sparsedb needs MLM logits [batch, tokens, vocab] or pooled [batch, vocab] (export with the fill-mask / masked-lm task)`);
  if (dims === undefined) throw doesNotFit("has no declared shape");
  if (dims.length !== 2 && dims.length !== 3) throw doesNotFit(`has rank ${dims.length}`);
  const vocabSize = dims[dims.length - 1];
  if (dims.length === 2) {
    return { bytes: modelBytes, inputs: inputNames as ModelInput[], outputName: output.name!, vocabSize, alreadyPooled: true };
  }

  const opset = Number((model.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx")?.version ?? 0);
  if (opset < 7) throw doesNotFit(`comes from ONNX opset ${opset}, older than sparsedb supports (7)`);
  const p = (s: string) => `sparsedb_pool/${s}`;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [tensor(p("one"), [], new Float32Array([1]))];
  const newInputs: ValueInfoProto[] = [];
  if (!inputNames.includes("attention_mask")) newInputs.push(valueInfo("attention_mask", INT64, ["batch", "sequence"]));

  nodes.push(node("Cast", ["attention_mask"], [p("mask_f")], { to: FLOAT }));
  if (opset >= 13) {
    inits.push(tensor(p("axis2"), [1], BigInt64Array.from([2n])));
    nodes.push(node("Unsqueeze", [p("mask_f"), p("axis2")], [p("mask")]));
  } else {
    nodes.push(node("Unsqueeze", [p("mask_f")], [p("mask")], { axes: [2] }));
  }
  const reduceTokens = (op: string, input: string, output: string) => {
    const axesAsInput = op === "ReduceMax" ? opset >= 18 : opset >= 13;
    if (axesAsInput) {
      if (!inits.some((t) => t.name === p("axis1"))) inits.push(tensor(p("axis1"), [1], BigInt64Array.from([1n])));
      nodes.push(node(op, [input, p("axis1")], [output], { keepdims: 0 }));
    } else {
      nodes.push(node(op, [input], [output], { axes: [1], keepdims: 0 }));
    }
  };
  if (pooling === "max") {
    // log(1 + relu(x)) never decreases as x grows, so the max over tokens can come first:
    // log(1 + relu(max_t(x + padding penalty))). Two passes over the [batch, tokens, vocab]
    // logits instead of five; the rest runs on [batch, vocab]. Padding gets -1e30, so it never wins.
    inits.push(tensor(p("neg_big"), [], new Float32Array([1e30])));
    nodes.push(node("Sub", [p("mask"), p("one")], [p("mask_m1")]));
    nodes.push(node("Mul", [p("mask_m1"), p("neg_big")], [p("penalty")]));
    nodes.push(node("Add", [output.name!, p("penalty")], [p("masked")]));
    reduceTokens("ReduceMax", p("masked"), p("max"));
    nodes.push(node("Relu", [p("max")], [p("relu")]));
    nodes.push(node("Add", [p("relu"), p("one")], [p("plus1")]));
    nodes.push(node("Log", [p("plus1")], [OUT]));
  } else {
    nodes.push(node("Relu", [output.name!], [p("relu")]));
    nodes.push(node("Add", [p("relu"), p("one")], [p("plus1")]));
    nodes.push(node("Log", [p("plus1")], [p("log")]));
    nodes.push(node("Mul", [p("log"), p("mask")], [p("weighted")]));
    reduceTokens("ReduceSum", p("weighted"), OUT);
  }

  graph.node = [...(graph.node ?? []), ...nodes];
  graph.initializer = [...(graph.initializer ?? []), ...inits];
  graph.input = [...(graph.input ?? []), ...newInputs];
  graph.output = [valueInfo(OUT, FLOAT, ["batch", vocabSize ?? "vocab"])];
  const inputs = [...inputNames, ...newInputs.map((i) => i.name!)] as ModelInput[];
  return { bytes: encodeModel(model), inputs, outputName: OUT, vocabSize, alreadyPooled: false };
}
