import { encodeModel, FLOAT, INT64, node, tensor, valueInfo, type NodeProto, type TensorProto } from "../onnx/onnx-proto.js";
import { parameterShapes, type BertHead, type BertShape } from "./bert-shape.js";

/** Gives the values of a parameter (row-major, Hugging Face layout with linear weights as [in, out]). */
export type WeightSource = (name: string, shape: number[]) => Float32Array;

export const OPSET = 17;
const LN_EPS = 1e-12;

/**
 * Builds a BertForMaskedLM ONNX graph, the architecture of every SPLADE model: embeddings (word +
 * position + token type, LayerNorm), N encoder layers (multi-head self-attention with the
 * attention mask, residual + LayerNorm, GELU feed-forward, residual + LayerNorm), and the MLM head
 * (dense, GELU, LayerNorm, decoder over the vocabulary). Inputs input_ids, attention_mask,
 * token_type_ids (int64 [batch, seq]); output logits (float [batch, seq, vocab]), as
 * Hugging Face's ONNX export of a SPLADE model gives them. Pooling is not part of it: the loader
 * appends it (append-pooling.ts). With head "none" there is no MLM head and the output is the
 * last layer's states, last_hidden_state (float [batch, seq, hidden]), as a feature-extraction
 * export of a dense encoder gives them (pooled by append-dense-pooling.ts).
 */
export function buildBertMlmModel(shape: BertShape, weights: WeightSource, head: BertHead = "mlm"): Uint8Array {
  const { hidden: H, heads } = shape;
  if (H % heads !== 0) throw new Error(`hidden ${H} is not a multiple of heads ${heads}`);
  const dh = H / heads;
  const init: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  for (const [name, dims] of parameterShapes(shape, head)) {
    const w = weights(name, dims);
    if (w.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`weights for ${name} have ${w.length} values, not ${dims.join("x")}`);
    init.push(tensor(name, dims, w));
  }
  const scalar = (name: string, v: number) => init.push(tensor(name, [], new Float32Array([v])));
  const ints = (name: string, v: number[]) => init.push(tensor(name, [v.length], BigInt64Array.from(v.map(BigInt))));
  scalar("c.one", 1);
  scalar("c.half", 0.5);
  scalar("c.sqrt2", Math.SQRT2);
  scalar("c.mask_neg", -10000);
  scalar("c.att_scale", 1 / Math.sqrt(dh));
  ints("c.split_heads", [0, 0, heads, dh]);
  ints("c.merge_heads", [0, 0, H]);
  ints("c.axes12", [1, 2]);
  init.push(tensor("c.i1", [], BigInt64Array.from([1n])));
  init.push(tensor("c.i0", [], BigInt64Array.from([0n])));

  let n = 0;
  const op = (type: string, inputs: string[], attrs: Record<string, number | number[] | { float: number }> = {}, out?: string): string => {
    const o = out ?? `${type.toLowerCase()}_${n++}`;
    nodes.push(node(type, inputs, [o], attrs));
    return o;
  };
  const linear = (x: string, p: string) => op("Add", [op("MatMul", [x, `${p}.weight`]), `${p}.bias`]);
  const layerNorm = (x: string, p: string) => op("LayerNormalization", [x, `${p}.weight`, `${p}.bias`], { axis: -1, epsilon: { float: LN_EPS } });
  // GELU as exported by PyTorch: x * 0.5 * (1 + erf(x / sqrt(2))).
  const gelu = (x: string) => op("Mul", [op("Mul", [x, op("Add", [op("Erf", [op("Div", [x, "c.sqrt2"])]), "c.one"])]), "c.half"]);

  // Embeddings.
  const seqLen = op("Gather", [op("Shape", ["input_ids"]), "c.i1"], { axis: 0 });
  const positions = op("Range", ["c.i0", seqLen, "c.i1"]);
  let x = op("Add", [
    op("Add", [op("Gather", ["bert.embeddings.word_embeddings.weight", "input_ids"]), op("Gather", ["bert.embeddings.position_embeddings.weight", positions])]),
    op("Gather", ["bert.embeddings.token_type_embeddings.weight", "token_type_ids"]),
  ]);
  x = layerNorm(x, "bert.embeddings.LayerNorm");

  // Additive attention mask [batch, 1, 1, seq]: 0 where attended, -10000 on padding.
  const maskF = op("Cast", ["attention_mask"], { to: FLOAT });
  const maskBias = op("Unsqueeze", [op("Mul", [op("Sub", ["c.one", maskF]), "c.mask_neg"]), "c.axes12"]);

  for (let l = 0; l < shape.layers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    const heads4 = (t: string, perm: number[]) => op("Transpose", [op("Reshape", [t, "c.split_heads"])], { perm });
    const q = heads4(linear(x, `${p}attention.self.query`), [0, 2, 1, 3]);
    const k = heads4(linear(x, `${p}attention.self.key`), [0, 2, 3, 1]);
    const v = heads4(linear(x, `${p}attention.self.value`), [0, 2, 1, 3]);
    const scores = op("Add", [op("Mul", [op("MatMul", [q, k]), "c.att_scale"]), maskBias]);
    const probs = op("Softmax", [scores], { axis: -1 });
    const context = op("Reshape", [op("Transpose", [op("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }), "c.merge_heads"]);
    x = layerNorm(op("Add", [linear(context, `${p}attention.output.dense`), x]), `${p}attention.output.LayerNorm`);
    const ff = linear(gelu(linear(x, `${p}intermediate.dense`)), `${p}output.dense`);
    x = layerNorm(op("Add", [ff, x]), `${p}output.LayerNorm`);
  }

  let output;
  if (head === "none") {
    op("Identity", [x], {}, "last_hidden_state");
    output = valueInfo("last_hidden_state", FLOAT, ["batch", "sequence", H]);
  } else {
    // MLM head.
    const t = layerNorm(gelu(linear(x, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm");
    op("Add", [op("MatMul", [t, "cls.predictions.decoder.weight_t"]), "cls.predictions.bias"], {}, "logits");
    output = valueInfo("logits", FLOAT, ["batch", "sequence", shape.vocabSize]);
  }

  return encodeModel({
    irVersion: 8,
    producerName: "sparsedb-model-gen",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: head === "none" ? "bert_model" : "bert_mlm",
      node: nodes,
      initializer: init,
      input: ["input_ids", "attention_mask", "token_type_ids"].map((name) => valueInfo(name, INT64, ["batch", "sequence"])),
      output: [output],
    },
  });
}
