import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { pickFields } from "../../engine/include-fields.js";
import { fieldReader } from "../../engine/filter-path.js";

/** include.metadata's field names: top-level keys and dotted paths, read as filters read them. */
describe("include.metadata fields", () => {
  const meta = { lang: "en", source: { site: "wiki", lang: "de", deep: { x: 1 } }, "a.b": 1, a: { b: 2, "c.d": 3 }, tags: ["x"] };

  it("keeps top-level fields and dotted paths, nested at their place", () => {
    expect(pickFields(meta, ["lang", "missing"])).toEqual({ lang: "en" });
    expect(pickFields(meta, ["source.site"])).toEqual({ source: { site: "wiki" } });
    // Two paths under one map share it; a missing path adds nothing.
    expect(pickFields(meta, ["source.site", "source.deep.x", "source.none", "lang"])).toEqual({ source: { site: "wiki", deep: { x: 1 } }, lang: "en" });
    // The exact key wins over the path, as in filters; `\.` is a literal dot inside a part.
    expect(pickFields(meta, ["a.b"])).toEqual({ "a.b": 1 });
    expect(pickFields(meta, ["a.c\\.d"])).toEqual({ a: { "c.d": 3 } });
    // Never into arrays; a path through a non-map is missing; empty parts match only an exact key.
    expect(pickFields(meta, ["tags.0", "lang.x", "source..site", ".lang"])).toEqual({});
  });

  it("a field asked for whole holds the paths inside it, in either order", () => {
    expect(pickFields(meta, ["source", "source.site"])).toEqual({ source: meta.source });
    expect(pickFields(meta, ["source.site", "source"])).toEqual({ source: meta.source });
  });

  it("never modifies the stored metadata, and keeps a key named __proto__ as a key", () => {
    const stored = JSON.parse('{"source": {"site": "wiki"}, "__proto__": {"polluted": true}}');
    const before = structuredClone(stored);
    const picked = pickFields(stored, ["source", "source.site", "__proto__.polluted"]) as Record<string, unknown>;
    expect(stored).toEqual(before);
    expect(Object.getPrototypeOf(picked)).toBe(Object.prototype);
    expect(Object.keys(picked).sort()).toEqual(["__proto__", "source"]);
    expect(Object.getOwnPropertyDescriptor(picked, "__proto__")!.value).toEqual({ polluted: true });
  });

  it("true, and metadata that is not a map, come back as they are", () => {
    expect(pickFields(meta, true)).toBe(meta);
    expect(pickFields(null, ["lang"])).toBeNull();
  });

  // Property: reading a picked field back from the result by the same name gives the stored value
  // (the reference is the filter's own reader), the result holds nothing else, and the input is
  // left untouched.
  const leaf = fc.oneof(fc.constantFrom("x", ""), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constant(null), fc.constant([1, 2]));
  const keys = ["a", "b", "a.b", "c"];
  const node = fc.letrec((tie) => ({ node: fc.dictionary(fc.constantFrom(...keys), fc.oneof({ depthSize: "small" }, leaf, tie("node")), { maxKeys: 4 }) })).node;
  const field = fc.array(fc.constantFrom("a", "b", "c", "a.b"), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("."));

  it("property: each picked field reads back as stored; nothing else comes back", () => {
    fc.assert(
      fc.property(node, fc.array(field, { maxLength: 4 }), (m, fields) => {
        const before = structuredClone(m);
        const picked = pickFields(m, fields);
        expect(m).toEqual(before);
        for (const f of fields) {
          const stored = fieldReader(f)(m);
          if (stored !== undefined) expect(fieldReader(f)(picked)).toEqual(stored);
        }
        // Nothing else: every leaf of the result lies at or inside a field that was asked for.
        const asked = fields.filter((f) => fieldReader(f)(m) !== undefined);
        expect(pickFields(picked, asked)).toEqual(picked);
        if (asked.length === 0) expect(picked).toEqual({});
      }),
      { numRuns: 300 },
    );
  });
});
