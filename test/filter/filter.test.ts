import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileFilter, MAX_FILTER_DEPTH, type Filter } from "../../engine/filter.js";
import { SparseDbError } from "../../engine/errors.js";

/** A direct interpreter of the filter language, written from its documented rules. */
function naive(filter: any, meta: any): boolean {
  return Object.entries(filter).every(([key, value]: [string, any]) => {
    if (key === "and") return value.every((f: any) => naive(f, meta));
    if (key === "or") return value.some((f: any) => naive(f, meta));
    if (key === "not") return !naive(value, meta);
    const has = meta !== null && typeof meta === "object" && !Array.isArray(meta) && Object.hasOwn(meta, key);
    const v = has ? meta[key] : undefined;
    const scalar = v === null || ["string", "number", "boolean"].includes(typeof v);
    if (!scalar) return false;
    const cond = value !== null && typeof value === "object" ? value : { eq: value };
    return Object.entries(cond).every(([op, arg]: [string, any]) => {
      switch (op) {
        case "eq": return v === arg;
        case "in": return arg.some((a: any) => a === v);
        case "gt": return typeof v === "number" && v > arg;
        case "gte": return typeof v === "number" && v >= arg;
        case "lt": return typeof v === "number" && v < arg;
        case "lte": return typeof v === "number" && v <= arg;
        default: throw new Error("bad op " + op);
      }
    });
  });
}

const fields = ["a", "b", "c", "lang"];
const scalar = fc.oneof(
  fc.constantFrom("x", "y", "en", ""),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -0.5),
  fc.boolean(),
  fc.constant(null),
);
const num = fc.integer({ min: -3, max: 3 });
const condition = fc.oneof(
  scalar,
  fc.record(
    { eq: scalar, in: fc.array(scalar, { maxLength: 4 }), gt: num, gte: num, lt: num, lte: num },
    { requiredKeys: [] },
  ).filter((o) => Object.keys(o).length > 0),
);
const { filter } = fc.letrec((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.dictionary(fc.constantFrom(...fields), condition, { maxKeys: 3 }),
    fc.record({ and: fc.array(tie("filter"), { maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("filter"), { maxLength: 3 }) }),
    fc.record({ not: tie("filter") }),
  ),
}));
const metadata = fc.oneof(
  fc.dictionary(fc.constantFrom(...fields, "other"), fc.oneof(scalar, fc.constant([1]), fc.constant({ x: 1 })), {
    maxKeys: 5,
  }),
  fc.constantFrom(undefined, null, 7, "s", [1, 2]),
);

describe("compileFilter", () => {
  it("agrees with a naive interpreter on random filters and documents", () => {
    fc.assert(
      fc.property(filter, fc.array(metadata, { minLength: 1, maxLength: 20 }), (f, docs) => {
        const p = compileFilter(f as Filter);
        for (const d of docs) expect(p(d)).toBe(naive(f, d));
      }),
      { numRuns: 500 },
    );
  });

  it("matches equality, in and ranges", () => {
    const docs = [
      { id: 1, lang: "en", year: 1999, tag: "news" },
      { id: 2, lang: "fr", year: 2005, tag: "blog" },
      { id: 3, lang: "en", year: 2010 },
      { id: 4, year: "2005" },
    ];
    const ids = (f: Filter) => docs.filter(compileFilter(f)).map((d) => d.id);
    expect(ids({ lang: "en" })).toEqual([1, 3]);
    expect(ids({ year: { gte: 2000, lt: 2010 } })).toEqual([2]);
    expect(ids({ tag: { in: ["news", "blog"] } })).toEqual([1, 2]);
    expect(ids({ or: [{ lang: "fr" }, { year: { gt: 2009 } }] })).toEqual([2, 3]);
    expect(ids({ not: { lang: "en" } })).toEqual([2, 4]);
    expect(ids({ lang: "en", year: { lte: 1999 } })).toEqual([1]);
    expect(ids({})).toEqual([1, 2, 3, 4]);
    expect(ids({ or: [] })).toEqual([]);
    expect(ids({ year: 2005 })).toEqual([2]); // strict: "2005" is not 2005
  });

  it("never reads inherited properties", () => {
    expect(compileFilter({ a: 1 })(Object.create({ a: 1 }))).toBe(false);
    expect(compileFilter({ not: { constructor: { eq: null } } })({})).toBe(true);
  });

  it.each([
    [{ a: { gtt: 1 } }, /filter\.a\.gtt: unknown operator "gtt"/],
    [{ and: { a: 1 } }, /filter\.and: "and" takes an array/],
    [{ or: [{ a: 1 }, 5] }, /filter\.or\[1\]: expected a filter object/],
    [{ a: { gt: "5" } }, /filter\.a\.gt: range bounds must be finite numbers/],
    [{ a: { in: 3 } }, /filter\.a\.in: "in" takes an array/],
    [{ a: { in: [1, {}] } }, /filter\.a\.in\[1\]: expected a string/],
    [{ a: [1, 2] }, /filter\.a: expected a string, finite number/],
    [{ a: {} }, /filter\.a: empty condition/],
    [{ a: Number.NaN }, /filter\.a: NaN is not a finite number/],
    [{ "": 1 }, /field names must be non-empty/],
    [null, /filter: expected a filter object/],
    [[{ a: 1 }], /filter: expected a filter object/],
  ])("rejects %j with INVALID_ARGUMENT naming the bad part", (f, message) => {
    let err: unknown;
    try {
      compileFilter(f as any);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SparseDbError);
    expect((err as SparseDbError).code).toBe("INVALID_ARGUMENT");
    expect((err as Error).message).toMatch(message);
  });

  it("rejects filters nested too deep instead of overflowing the stack", () => {
    let f: any = { a: 1 };
    for (let i = 0; i < MAX_FILTER_DEPTH + 5; i++) f = { not: f };
    expect(() => compileFilter(f)).toThrow(/nested deeper/);
  });

  it("rejects filters that are too large", () => {
    expect(() => compileFilter({ a: { in: Array.from({ length: 20_000 }, (_, i) => i) } })).toThrow(/too large/);
  });
});
