import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFilter, type Filter } from "../../engine/filter.js";
import { splitFieldPath } from "../../engine/filter-path.js";
import { SparseDbError } from "../../engine/errors.js";

/**
 * contains / containsAny / containsAll / exists and dotted paths, held to a direct interpreter
 * written from the documented rules (engine/filter.ts, engine/filter-path.ts), over nested
 * metadata with arrays.
 */

const isMap = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);

/** The documented path rule: the exact key wins, else split at unescaped dots and walk maps. */
function lookup(meta: unknown, field: string): unknown {
  if (!isMap(meta)) return undefined;
  if (Object.hasOwn(meta, field)) return meta[field];
  // Escapes: "\." is a dot, "\\" a backslash, inside a part.
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < field.length; i++) {
    if (field[i] === "\\" && (field[i + 1] === "." || field[i + 1] === "\\")) cur += field[++i];
    else if (field[i] === ".") {
      parts.push(cur);
      cur = "";
    } else cur += field[i];
  }
  parts.push(cur);
  if (parts.some((p) => p === "")) return undefined;
  let v: unknown = meta;
  for (const p of parts) {
    if (!isMap(v) || !Object.hasOwn(v, p)) return undefined;
    v = v[p];
  }
  return v;
}

function naive(filter: any, meta: unknown): boolean {
  return Object.entries(filter).every(([key, value]: [string, any]) => {
    if (key === "and") return value.every((f: any) => naive(f, meta));
    if (key === "or") return value.some((f: any) => naive(f, meta));
    if (key === "not") return !naive(value, meta);
    const v = lookup(meta, key);
    const scalar = v === null || ["string", "number", "boolean"].includes(typeof v);
    const cond = value !== null && typeof value === "object" ? value : { eq: value };
    return Object.entries(cond).every(([op, arg]: [string, any]) => {
      const arr = Array.isArray(v) ? (v as unknown[]) : null;
      switch (op) {
        case "eq": return scalar && v === arg;
        case "in": return scalar && arg.some((a: any) => a === v);
        case "gt": return typeof v === "number" && v > arg;
        case "gte": return typeof v === "number" && v >= arg;
        case "lt": return typeof v === "number" && v < arg;
        case "lte": return typeof v === "number" && v <= arg;
        case "contains": return arr !== null && arr.some((x) => x === arg);
        case "containsAny": return arr !== null && arg.some((a: any) => arr.some((x) => x === a));
        case "containsAll": return arr !== null && arg.every((a: any) => arr.some((x) => x === a));
        case "exists": return arg ? v !== undefined && v !== null : v === undefined || v === null;
        default: throw new Error("bad op " + op);
      }
    });
  });
}

const scalar = fc.oneof(fc.constantFrom("x", "y", ""), fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constant(null));
const list = fc.array(fc.oneof(scalar, fc.constant([1]), fc.constant({ x: 1 })), { maxLength: 4 });
const leaf = fc.oneof(scalar, list);
// Nested metadata whose keys include a dotted one, so the exact-key rule is exercised.
const keys = ["a", "b", "a.b", "c"];
const metadata = fc.oneof(
  { weight: 4, arbitrary: fc.letrec((tie) => ({ node: fc.dictionary(fc.constantFrom(...keys), fc.oneof({ depthSize: "small" }, leaf, tie("node")), { maxKeys: 4 }) })).node },
  // Both spellings of a dotted path present at once: the exact key must win.
  {
    weight: 3,
    arbitrary: fc.record(
      { "a.b": leaf, a: fc.oneof(leaf, fc.record({ b: fc.oneof(leaf, fc.record({ c: leaf })), "a.b": leaf, a: leaf }, { requiredKeys: [] })), b: leaf, c: leaf },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, 7, "s", [1, 2]) },
);
const fieldName = fc.constantFrom("a", "b", "c", "a.b", "a.a", "b.a.b", "a.b.c", "a\\.b", "a.a\\.b", "a.", "c.c");
const num = fc.integer({ min: -2, max: 2 });
const condition = fc.oneof(
  scalar,
  fc.record(
    {
      eq: scalar,
      in: fc.array(scalar, { maxLength: 3 }),
      gte: num,
      lt: num,
      contains: scalar,
      containsAny: fc.array(scalar, { maxLength: 3 }),
      containsAll: fc.array(scalar, { maxLength: 3 }),
      exists: fc.boolean(),
    },
    { requiredKeys: [] },
  ).filter((o) => Object.keys(o).length > 0),
);
const { filter } = fc.letrec((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.dictionary(fieldName, condition, { maxKeys: 3 }),
    fc.record({ and: fc.array(tie("filter"), { maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("filter"), { maxLength: 3 }) }),
    fc.record({ not: tie("filter") }),
  ),
}));

function errorOf(f: unknown): SparseDbError {
  try {
    compileFilter(f as Filter);
  } catch (e) {
    if (e instanceof SparseDbError) return e;
    throw e;
  }
  throw new Error("compiled");
}

describe("filter operators contains, exists and dotted paths", () => {
  it("agree with a direct interpreter on random nested documents and filters", () => {
    fc.assert(
      fc.property(filter, fc.array(metadata, { minLength: 1, maxLength: 12 }), (f, docs) => {
        const p = compileFilter(f as Filter);
        for (const d of docs) expect(p(d), JSON.stringify({ f, d })).toBe(naive(f, d));
      }),
      { numRuns: 600 },
    );
  });

  it("contains, containsAny and containsAll match array fields only", () => {
    const docs = [
      { id: 1, tags: ["news", "sport", 3] },
      { id: 2, tags: ["blog"] },
      { id: 3, tags: "news" }, // a string is not an array: no substring or element match
      { id: 4, tags: [] },
      { id: 5, tags: [["news"], { news: 1 }] }, // nested arrays and maps never equal a value
      { id: 6 },
    ];
    const ids = (f: Filter) => docs.filter(compileFilter(f)).map((d) => d.id);
    expect(ids({ tags: { contains: "news" } })).toEqual([1]);
    expect(ids({ tags: { contains: 3 } })).toEqual([1]);
    expect(ids({ tags: { contains: "3" } })).toEqual([]); // strict equality
    expect(ids({ tags: { containsAny: ["blog", "sport"] } })).toEqual([1, 2]);
    expect(ids({ tags: { containsAll: ["news", "sport"] } })).toEqual([1]);
    expect(ids({ tags: { containsAll: [] } })).toEqual([1, 2, 4, 5]); // every array
    expect(ids({ tags: { containsAny: [] } })).toEqual([]);
    expect(ids({ not: { tags: { contains: "news" } } })).toEqual([2, 3, 4, 5, 6]);
  });

  it("exists looks at presence: null counts as absent", () => {
    const docs = [{ id: 1, a: 0 }, { id: 2, a: null }, { id: 3 }, { id: 4, a: { b: 1 } }, { id: 5, a: [] }, { id: 6, a: false }];
    const ids = (f: Filter) => docs.filter(compileFilter(f)).map((d) => d.id);
    expect(ids({ a: { exists: true } })).toEqual([1, 4, 5, 6]);
    expect(ids({ a: { exists: false } })).toEqual([2, 3]);
    expect(ids({ "a.b": { exists: true } })).toEqual([4]);
    expect(ids({ a: { exists: true, gte: 0 } })).toEqual([1]); // operators in one map AND together
  });

  it("dotted paths walk nested maps; an exact key wins; escapes address keys with dots", () => {
    const m = { source: { site: "wiki", meta: { lang: "en" } }, "source.site": "exact", list: [{ x: 1 }], a: { "b.c": 7 } };
    const p = (f: Filter) => compileFilter(f)(m);
    expect(p({ "source.meta.lang": "en" })).toBe(true);
    expect(p({ "source.site": "exact" })).toBe(true); // the top-level key spelled "source.site"
    expect(p({ "source.site": "wiki" })).toBe(false);
    expect(p({ "list.0.x": 1 })).toBe(false); // never into arrays
    expect(p({ "a.b\\.c": 7 })).toBe(true);
    expect(p({ "a.b.c": 7 })).toBe(false);
    expect(p({ "source.meta": { exists: true } })).toBe(true);
    expect(p({ "source.nowhere.deeper": { exists: false } })).toBe(true);
    expect(compileFilter({ "constructor.name": { exists: true } })({})).toBe(false); // own properties only
    expect(splitFieldPath("a.b\\.c\\\\d")).toEqual(["a", "b.c\\d"]);
    expect(splitFieldPath("a..b")).toBeNull();
  });

  it.each([
    [{ tags: { contains: ["a", "b"] } }, /^filter\.tags\.contains: "contains" takes one value; for several use "containsAny" or "containsAll"$/],
    [{ tags: { contains: { a: 1 } } }, /^filter\.tags\.contains: expected a string, finite number, boolean or null, got an object$/],
    [{ tags: { containsAny: "a" } }, /^filter\.tags\.containsAny: "containsAny" takes an array of values, got the string "a"$/],
    [{ tags: { containsAll: [1, [2]] } }, /^filter\.tags\.containsAll\[1\]: expected a string, finite number, boolean or null, got an array$/],
    [{ "a.b": { exists: "yes" } }, /^filter\.a\.b\.exists: "exists" takes true or false, got the string "yes"$/],
    [{ or: [{ "x.y": { exists: 1 } }] }, /^filter\.or\[0\]\.x\.y\.exists: "exists" takes true or false, got number 1$/],
    [{ "a.b": { has: 1 } }, /^filter\.a\.b\.has: unknown operator "has"/],
  ])("rejects %j with INVALID_ARGUMENT naming the path in the filter", (f, message) => {
    const e = errorOf(f);
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toMatch(message);
  });

  it("counts containsAny / containsAll values against the filter's size limit", () => {
    expect(errorOf({ t: { containsAny: Array.from({ length: 20_000 }, (_, i) => i) } }).message).toMatch(/too large/);
  });
});
