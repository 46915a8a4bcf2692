import { SparseDbError } from "../../engine/errors.js";
import { encodeModel, FLOAT, INT64, shapeOf, valueInfo, type ValueInfoProto } from "./onnx-proto.js";
import { GraphAppender, openBertModel, type ModelInput } from "./graph-edit.js";

export { KNOWN_INPUTS, type ModelInput } from "./graph-edit.js";

export type Pooling = "max" | "sum";

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
  const { model, graph, inputNames, opset } = openBertModel(modelBytes, source, "masked-language model");
  const output = graph.output!.find((o) => o.name === "logits") ?? graph.output![0]!;
  const dims = shapeOf(output);
  const doesNotFit = (why: string) =>
    new SparseDbError("ENCODER_ERROR", `${source}: output "${output.name}" ${why}; sparsedb needs MLM logits [batch, tokens, vocab] or pooled [batch, vocab] (export with the fill-mask / masked-lm task)`);
  if (dims === undefined) throw doesNotFit("has no declared shape");
  if (dims.length !== 2 && dims.length !== 3) throw doesNotFit(`has rank ${dims.length}`);
  const vocabSize = dims[dims.length - 1];
  if (dims.length === 2) {
    return { bytes: modelBytes, inputs: inputNames, outputName: output.name!, vocabSize, alreadyPooled: true };
  }

  if (opset < 7) throw doesNotFit(`comes from ONNX opset ${opset}, older than sparsedb supports (7)`);
  const g = new GraphAppender(opset, "sparsedb_pool");
  const p = (s: string) => g.name(s);
  const one = g.scalar("one", 1);
  const newInputs: ValueInfoProto[] = [];
  if (!inputNames.includes("attention_mask")) newInputs.push(valueInfo("attention_mask", INT64, ["batch", "sequence"]));

  g.op("Cast", ["attention_mask"], p("mask_f"), { to: FLOAT });
  g.unsqueeze(p("mask_f"), 2, p("mask"));
  if (pooling === "max") {
    // log(1 + relu(x)) never decreases as x grows, so the max over tokens can come first:
    // log(1 + relu(max_t(x + padding penalty))). Two passes over the [batch, tokens, vocab]
    // logits instead of five; the rest runs on [batch, vocab]. Padding gets -1e30, so it never wins.
    const big = g.scalar("neg_big", 1e30);
    g.op("Sub", [p("mask"), one], p("mask_m1"));
    g.op("Mul", [p("mask_m1"), big], p("penalty"));
    g.op("Add", [output.name!, p("penalty")], p("masked"));
    g.reduce("ReduceMax", p("masked"), 1, p("max"));
    g.op("Relu", [p("max")], p("relu"));
    g.op("Add", [p("relu"), one], p("plus1"));
    g.op("Log", [p("plus1")], OUT);
  } else {
    g.op("Relu", [output.name!], p("relu"));
    g.op("Add", [p("relu"), one], p("plus1"));
    g.op("Log", [p("plus1")], p("log"));
    g.op("Mul", [p("log"), p("mask")], p("weighted"));
    g.reduce("ReduceSum", p("weighted"), 1, OUT);
  }

  graph.node = [...(graph.node ?? []), ...g.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...g.inits];
  graph.input = [...(graph.input ?? []), ...newInputs];
  graph.output = [valueInfo(OUT, FLOAT, ["batch", vocabSize ?? "vocab"])];
  const inputs = [...inputNames, ...newInputs.map((i) => i.name as ModelInput)];
  return { bytes: encodeModel(model), inputs, outputName: OUT, vocabSize, alreadyPooled: false };
}
