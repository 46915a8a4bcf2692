import { SparseDbError } from "../../engine/errors.js";
import { decodeModel, node, tensor, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from "./onnx-proto.js";

/** Inputs a BERT-style model may take; input_ids is required. */
export const KNOWN_INPUTS = ["input_ids", "attention_mask", "token_type_ids"] as const;
export type ModelInput = (typeof KNOWN_INPUTS)[number];

/** A decoded model whose graph is about to get nodes appended (append-pooling, append-dense-pooling). */
export interface OpenedModel {
  model: ModelProto;
  graph: GraphProto;
  /** The graph's inputs other than initializers, all among KNOWN_INPUTS, input_ids among them. */
  inputNames: ModelInput[];
  /** The default-domain opset (0 when absent). */
  opset: number;
}

/**
 * Decodes an ONNX model and checks that it is fed like a BERT model (`what` names the kind of
 * model sparsedb wants, for the messages: "masked-language model", "encoder").
 */
export function openBertModel(modelBytes: Uint8Array, source: string, what: string): OpenedModel {
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
      throw new SparseDbError("ENCODER_ERROR", `${source} takes an input "${name}"; sparsedb feeds only ${KNOWN_INPUTS.join(", ")} (a BERT-style ${what})`);
    }
  }
  if (!inputNames.includes("input_ids")) {
    throw new SparseDbError("ENCODER_ERROR", `${source} has no input_ids input; sparsedb needs a BERT-style ${what}`);
  }
  const opset = Number((model.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx")?.version ?? 0);
  return { model, graph, inputNames: inputNames as ModelInput[], opset };
}

/**
 * Collects nodes and initializers to append under a name prefix, writing axes as attributes or
 * inputs as the model's opset requires (Unsqueeze and ReduceSum take them as inputs from opset
 * 13, ReduceMax from 18).
 */
export class GraphAppender {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];

  constructor(
    private readonly opset: number,
    private readonly prefix: string,
  ) {}

  name(s: string): string {
    return `${this.prefix}/${s}`;
  }

  scalar(s: string, value: number): string {
    const name = this.name(s);
    if (!this.inits.some((t) => t.name === name)) this.inits.push(tensor(name, [], new Float32Array([value])));
    return name;
  }

  op(type: string, inputs: string[], output: string, attrs: Record<string, number | number[]> = {}): string {
    this.nodes.push(node(type, inputs, [output], attrs));
    return output;
  }

  unsqueeze(input: string, axis: number, output: string): string {
    if (this.opset >= 13) return this.op("Unsqueeze", [input, this.axes(axis)], output);
    return this.op("Unsqueeze", [input], output, { axes: [axis] });
  }

  reduce(op: "ReduceMax" | "ReduceSum", input: string, axis: number, output: string, keepdims: 0 | 1 = 0): string {
    const axesAsInput = op === "ReduceMax" ? this.opset >= 18 : this.opset >= 13;
    if (axesAsInput) return this.op(op, [input, this.axes(axis)], output, { keepdims });
    return this.op(op, [input], output, { axes: [axis], keepdims });
  }

  /** An int64 [1] initializer holding one axis. */
  private axes(axis: number): string {
    const name = this.name(`axis${axis}`);
    if (!this.inits.some((t) => t.name === name)) this.inits.push(tensor(name, [1], BigInt64Array.from([BigInt(axis)])));
    return name;
  }
}
