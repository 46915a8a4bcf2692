// onnx-proto is CommonJS (protobufjs static code for onnx.proto); this re-exports its namespace
// for ESM code, with the few enum values sparsedb uses.
import pkg from "onnx-proto";
import type { onnx as OnnxNamespace } from "onnx-proto";

export const onnx = pkg.onnx;
export type ModelProto = OnnxNamespace.ModelProto;
export type GraphProto = OnnxNamespace.IGraphProto;
export type NodeProto = OnnxNamespace.INodeProto;
export type TensorProto = OnnxNamespace.ITensorProto;
export type ValueInfoProto = OnnxNamespace.IValueInfoProto;
export type AttributeProto = OnnxNamespace.IAttributeProto;

export const FLOAT = 1;
export const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export type AttributeValue = number | number[] | { float: number };

/** An attribute: integers become INT / INTS, `{float: x}` a FLOAT. */
export function attribute(name: string, value: AttributeValue): AttributeProto {
  if (Array.isArray(value)) return { name, type: ATTR_INTS, ints: value };
  if (typeof value === "object") return { name, type: ATTR_FLOAT, f: value.float };
  return { name, type: ATTR_INT, i: value };
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttributeValue> = {}, name?: string): NodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: name ?? outputs[0],
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A float or int64 initializer holding `data` as raw little-endian bytes. */
export function tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): TensorProto {
  return {
    name,
    dims,
    dataType: data instanceof Float32Array ? FLOAT : INT64,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** A graph input or output: element type and dims (strings are symbolic, e.g. "batch"). */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** The dims of a value info (undefined entries are symbolic), or undefined when it has no shape. */
export function shapeOf(v: ValueInfoProto): (number | undefined)[] | undefined {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d) => {
    if (d.dimParam) return undefined;
    const v = Number(d.dimValue ?? 0);
    return v > 0 ? v : undefined;
  });
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: OnnxNamespace.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
