import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXPORT_FORMATS } from "../../engine/export/export-formats.js";
import { featureNames } from "../../engine/export/feature-names.js";
import { encodeSparsedbLine, parseSparsedbLine } from "../../engine/export/sparsedb-jsonl.js";
import { SparseVector } from "../../engine/sparse-vector.js";
import { packValue, unpackValue } from "../../storage/msgpack.js";

const vectorArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 30521 }), { minLength: 1, maxLength: 30 })
  .chain((terms) =>
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: 0, minExcluded: true }), { minLength: terms.length, maxLength: terms.length }).map((w) => SparseVector.fromArrays(terms, w)),
  );
// Plain data as metadata holds it: JSON values, binary, non-finite numbers and -0 included.
const leaf = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 8 }), fc.constantFrom(-0, NaN, Infinity));
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 3 })),
})).value;
const metadataArb = fc.option(fc.dictionary(fc.string({ maxLength: 6 }), valueArb, { maxKeys: 4 }), { nil: undefined });

describe("sparsedb's export lines", () => {
  it("parse back to the same document: ids, vectors bit-identical, metadata as stored, text", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), vectorArb, metadataArb, fc.option(fc.string(), { nil: undefined }), (id, vector, metadata, text) => {
        // What storage gives back for this metadata (MessagePack), which is what an export reads.
        const stored = metadata === undefined ? null : unpackValue(packValue(metadata));
        const line = encodeSparsedbLine({ id, vector, metadata: stored, ...(text === undefined ? {} : { text }) });
        expect(line.endsWith("\n")).toBe(true);
        expect(line.slice(0, -1)).not.toContain("\n");
        const doc = parseSparsedbLine(line.slice(0, -1), undefined);
        expect(doc.id).toBe(id);
        const v = doc.vector as SparseVector;
        expect(Buffer.from(v.terms.buffer, v.terms.byteOffset, v.terms.byteLength)).toEqual(Buffer.from(vector.terms.buffer, vector.terms.byteOffset, vector.terms.byteLength));
        expect(Buffer.from(v.weights.buffer, v.weights.byteOffset, v.weights.byteLength)).toEqual(Buffer.from(vector.weights.buffer, vector.weights.byteOffset, vector.weights.byteLength));
        expect(doc.metadata ?? null).toEqual(stored);
        expect(doc.text).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe("stored text in every export format", () => {
  it("goes into the source (opensearch, elasticsearch), the payload (qdrant) and the line (jsonl)", () => {
    const doc = { id: "d1", vector: SparseVector.fromArrays([3, 9], [0.5, 2]), metadata: { lang: "en" }, text: "a stored text" };
    for (const format of EXPORT_FORMATS) {
      const ctx = { collection: "c", config: {}, target: "c", vectorField: "v", features: featureNames(undefined), notes: { raisedWeights: 0, hashedIds: 0 } };
      const out = format.encode([doc], ctx).trim().split("\n").map((l) => JSON.parse(l));
      const where = format.name === "qdrant" ? out[0].points[0].payload : format.name === "jsonl" ? out[0] : out[1];
      expect(where.text, format.name).toBe("a stored text");
      expect(where.metadata, format.name).toEqual({ lang: "en" });
    }
  });
});
