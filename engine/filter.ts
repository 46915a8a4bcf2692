import { SparseDbError } from "./errors.js";
import { fieldReader, isMap as isPlainObject } from "./filter-path.js";

/**
 * Metadata filters: a small JSON language over a document's metadata fields.
 *
 *   { "lang": "en" }                                  equality (shorthand for {eq: ...})
 *   { "year": { "gte": 2000, "lt": 2010 } }           numeric range; operators in one object AND together
 *   { "tag": { "in": ["news", "blog"] } }             membership
 *   { "tags": { "contains": "news" } }                an array field holds the value
 *   { "tags": { "containsAny": ["a", "b"] } }         ... holds at least one of them
 *   { "tags": { "containsAll": ["a", "b"] } }         ... holds every one of them
 *   { "author": { "exists": true } }                  present and not null (false: absent or null)
 *   { "source.site": "wiki" }                         a nested field by dotted path
 *   { "lang": "en", "year": { "gt": 1999 } }          several fields in one object AND together
 *   { "or": [ { "lang": "en" }, { "lang": "fr" } ] }  disjunction
 *   { "and": [ ... ] }, { "not": { ... } }            conjunction, negation
 *
 * Rules:
 * - Values compared by `eq` / `in` / `contains*` are scalars: string, finite number, boolean or
 *   null. Equality is strict (the number 1 does not equal the string "1").
 * - Range operators (`gt`, `gte`, `lt`, `lte`) take finite numbers and match only numeric fields.
 * - A condition on a field that is missing, or whose value is an object or array, is false
 *   (and so `not` of it is true), except: `contains`, `containsAny` and `containsAll` match only
 *   array fields (any other value, a string included, is no match; elements that are maps or
 *   arrays never equal a value; `containsAll: []` matches every array, `containsAny: []` none),
 *   and `exists` looks only at presence (`exists: true` matches any value but null, maps and
 *   arrays included).
 * - Field names are dotted paths (engine/filter-path.ts): a key of the metadata spelled exactly
 *   so wins; otherwise "a.b.c" walks nested maps (never into arrays), and `\.` is a literal dot
 *   inside one part ("a\\.b" in JSON). A path that leads nowhere is a missing field.
 * - `and`, `or` and `not` are reserved keys; an empty filter `{}` and `{and: []}` match every
 *   document; `{or: []}` matches none.
 * - Filters are validated eagerly: `compileFilter` throws INVALID_ARGUMENT naming the bad part.
 */
export type FilterScalar = string | number | boolean | null;

export interface FieldOperators {
  eq?: FilterScalar;
  in?: FilterScalar[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  contains?: FilterScalar;
  containsAny?: FilterScalar[];
  containsAll?: FilterScalar[];
  exists?: boolean;
}

export type FieldCondition = FilterScalar | FieldOperators;

export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { [field: string]: FieldCondition | Filter[] | Filter | undefined };

/** A compiled filter: true when a document with this metadata passes. */
export type FilterPredicate = (metadata: unknown) => boolean;

/** Deepest nesting of and/or/not accepted, so a hostile filter cannot blow the stack. */
export const MAX_FILTER_DEPTH = 32;
/** Most conditions and `in` values accepted in one filter, all together. */
export const MAX_FILTER_SIZE = 10_000;

const OPERATORS = ["eq", "in", "gt", "gte", "lt", "lte", "contains", "containsAny", "containsAll", "exists"] as const;
type Operator = (typeof OPERATORS)[number];

/** Validates `filter` and returns a predicate over a document's metadata. */
export function compileFilter(filter: Filter): FilterPredicate {
  const budget = { left: MAX_FILTER_SIZE };
  return compileNode(filter, "filter", 0, budget);
}

function bad(path: string, what: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", `${path}: ${what}`);
}

function spend(budget: { left: number }, n: number, path: string): void {
  budget.left -= n;
  if (budget.left < 0) throw bad(path, `filter is too large (more than ${MAX_FILTER_SIZE} conditions and values)`);
}

function compileNode(node: unknown, path: string, depth: number, budget: { left: number }): FilterPredicate {
  if (depth > MAX_FILTER_DEPTH) throw bad(path, `filter is nested deeper than ${MAX_FILTER_DEPTH} levels`);
  if (!isPlainObject(node)) {
    throw bad(path, `expected a filter object like {"field": value} or {"and": [...]}, got ${describe(node)}`);
  }
  const parts: FilterPredicate[] = [];
  for (const key of Object.keys(node)) {
    const value = node[key];
    const here = `${path}.${key}`;
    spend(budget, 1, here);
    if (key === "and" || key === "or") {
      if (!Array.isArray(value)) throw bad(here, `"${key}" takes an array of filters, got ${describe(value)}`);
      const subs = value.map((f, i) => compileNode(f, `${here}[${i}]`, depth + 1, budget));
      parts.push(key === "and" ? allOf(subs) : anyOf(subs));
    } else if (key === "not") {
      const sub = compileNode(value, here, depth + 1, budget);
      parts.push((m) => !sub(m));
    } else {
      if (key.length === 0) throw bad(here, "field names must be non-empty");
      parts.push(compileField(key, value, here, budget));
    }
  }
  return allOf(parts);
}

function allOf(parts: FilterPredicate[]): FilterPredicate {
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  return (m) => {
    for (const p of parts) if (!p(m)) return false;
    return true;
  };
}

function anyOf(parts: FilterPredicate[]): FilterPredicate {
  if (parts.length === 1) return parts[0]!;
  return (m) => {
    for (const p of parts) if (p(m)) return true;
    return false;
  };
}

function checkScalar(v: unknown, path: string): FilterScalar {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw bad(path, `${v} is not a finite number`);
    return v;
  }
  throw bad(path, `expected a string, finite number, boolean or null, got ${describe(v)}`);
}

function checkBound(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw bad(path, `range bounds must be finite numbers, got ${describe(v)}`);
  }
  return v;
}

function compileField(field: string, cond: unknown, path: string, budget: { left: number }): FilterPredicate {
  const fieldOf = fieldReader(field);
  if (!isPlainObject(cond)) {
    const want = checkScalar(cond, path);
    return (m) => fieldOf(m) === want;
  }
  const keys = Object.keys(cond);
  if (keys.length === 0) throw bad(path, `empty condition; use one of ${OPERATORS.join(", ")}`);
  const tests: ((v: unknown) => boolean)[] = [];
  for (const op of keys) {
    const arg = cond[op];
    const here = `${path}.${op}`;
    if (!(OPERATORS as readonly string[]).includes(op)) {
      throw bad(here, `unknown operator "${op}"; use one of ${OPERATORS.join(", ")} (or and/or/not around field conditions)`);
    }
    switch (op as Operator) {
      case "eq": {
        const want = checkScalar(arg, here);
        tests.push((v) => v === want);
        break;
      }
      case "in": {
        if (!Array.isArray(arg)) throw bad(here, `"in" takes an array of values, got ${describe(arg)}`);
        spend(budget, arg.length, here);
        const set = new Set<FilterScalar>(arg.map((x, i) => checkScalar(x, `${here}[${i}]`)));
        tests.push((v) => (v === null || typeof v !== "object") && set.has(v as FilterScalar));
        break;
      }
      case "gt": {
        const b = checkBound(arg, here);
        tests.push((v) => typeof v === "number" && v > b);
        break;
      }
      case "gte": {
        const b = checkBound(arg, here);
        tests.push((v) => typeof v === "number" && v >= b);
        break;
      }
      case "lt": {
        const b = checkBound(arg, here);
        tests.push((v) => typeof v === "number" && v < b);
        break;
      }
      case "lte": {
        const b = checkBound(arg, here);
        tests.push((v) => typeof v === "number" && v <= b);
        break;
      }
      case "contains": {
        if (Array.isArray(arg)) throw bad(here, `"contains" takes one value; for several use "containsAny" or "containsAll"`);
        const want = checkScalar(arg, here);
        tests.push((v) => Array.isArray(v) && v.includes(want));
        break;
      }
      case "containsAny":
      case "containsAll": {
        if (!Array.isArray(arg)) throw bad(here, `"${op}" takes an array of values, got ${describe(arg)}`);
        spend(budget, arg.length, here);
        const wants = arg.map((x, i) => checkScalar(x, `${here}[${i}]`));
        tests.push(op === "containsAny" ? (v) => Array.isArray(v) && wants.some((w) => v.includes(w)) : (v) => Array.isArray(v) && wants.every((w) => v.includes(w)));
        break;
      }
      case "exists": {
        if (typeof arg !== "boolean") throw bad(here, `"exists" takes true or false, got ${describe(arg)}`);
        tests.push(arg ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null);
        break;
      }
    }
  }
  // Every operator is false on a missing field (undefined) but "exists: false", which is true.
  return (m) => {
    const v = fieldOf(m);
    for (const t of tests) if (!t(v)) return false;
    return true;
  };
}

function describe(x: unknown): string {
  if (x === undefined) return "undefined";
  if (Array.isArray(x)) return "an array";
  if (x === null) return "null";
  if (typeof x === "object") return "an object";
  if (typeof x === "string") return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + "..." : x)}`;
  return `${typeof x} ${String(x)}`;
}
