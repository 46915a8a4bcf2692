import { SparseDbError } from "../errors.js";

/**
 * Fusion of a hybrid search's ranked legs (the sparse leg and the dense leg) into one ranking.
 *
 * API:
 *   type FusionLeg = "sparse" | "dense";   FUSION_LEGS (that order: the order scores are summed in)
 *   interface LegHit<Id> { id: Id; score: number }                   one leg's hit, legs in rank order
 *   interface LegPlace { rank: number; score: number }               rank from 1, the leg's own score
 *   interface FusedHit<Id> { id; score; legs: { sparse?: LegPlace; dense?: LegPlace } }
 *   type Fusion = "rrf" | "dbsf" | { rrf: { k?: number } } | { linear: { sparse: number; dense: number } }
 *   checkFusion(value, what?): Fusion          a clear INVALID_ARGUMENT for anything else
 *   fuse(legs: { sparse?: LegHit<Id>[]; dense?: LegHit<Id>[] }, fusion, limit?): FusedHit<Id>[]
 *       every id of any leg once, by fused score descending, ties by id ascending (numbers
 *       numerically, strings by UTF-16 code units), cut to `limit` when given.
 *
 * The methods (an id absent from a leg gets nothing from it; sums run over the legs in
 * FUSION_LEGS order, in float64):
 * - `"rrf"`, reciprocal rank fusion (Cormack et al. 2009): sum over legs of 1 / (k + rank), rank
 *   from 1; k = 60 unless `{rrf: {k}}` (any finite k >= 0). Scores are not used.
 * - `"dbsf"`, distribution-based score fusion as Qdrant defines it (lib/segment/src/common/
 *   score_fusion.rs, `distr_norm` + `Aggregation::Sum`): each leg's scores are mapped by
 *   (s - lo) / (hi - lo) with lo, hi = mean -+ 3 x the sample standard deviation (divisor n - 1)
 *   of that leg's scores; a leg of one hit, or whose scores are all equal, gives each hit 0.5;
 *   then the normalised scores are summed. NOT clipped, as in Qdrant: a score beyond 3 standard
 *   deviations maps below 0 or above 1 (possible only in legs of more than 10 hits, since no
 *   sample lies further than (n - 1) / sqrt(n) deviations from its mean). Qdrant computes in
 *   float32 with Welford's method; here float64, two passes.
 * - `{linear: {sparse: a, dense: b}}`: a x minmax(sparse score) + b x minmax(dense score), each
 *   leg min-max normalised on its own hits to [0, 1] ((s - min) / (max - min); a leg of one hit,
 *   or all equal, gives 0.5, as Qdrant's `norm`). Weights are finite numbers >= 0.
 * A leg's scores must be finite, and an id may appear once per leg.
 */
export type FusionLeg = "sparse" | "dense";

export const FUSION_LEGS: readonly FusionLeg[] = ["sparse", "dense"];

export interface LegHit<Id> {
  id: Id;
  score: number;
}

export interface LegPlace {
  /** From 1, in the leg's order. */
  rank: number;
  /** The leg's own (unnormalised) score. */
  score: number;
}

export interface FusedHit<Id> {
  id: Id;
  score: number;
  legs: { sparse?: LegPlace; dense?: LegPlace };
}

export type Fusion = "rrf" | "dbsf" | { rrf: { k?: number } } | { linear: { sparse: number; dense: number } };

export const DEFAULT_RRF_K = 60;

/** `value` as a Fusion, or an INVALID_ARGUMENT that says what is accepted. */
export function checkFusion(value: unknown, what = "fusion"): Fusion {
  if (value === "rrf" || value === "dbsf") return value;
  const usage = `use "rrf", "dbsf", {rrf: {k}} or {linear: {sparse, dense}}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new SparseDbError("INVALID_ARGUMENT", `${what} is ${describe(value)}; ${usage}`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== "rrf" && keys[0] !== "linear")) throw new SparseDbError("INVALID_ARGUMENT", `${what} has the field(s) ${keys.map((k) => JSON.stringify(k)).join(", ") || "none"}; ${usage}`);
  const inner = (value as Record<string, unknown>)[keys[0]!];
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) throw new SparseDbError("INVALID_ARGUMENT", `${what}.${keys[0]} is ${describe(inner)}; it must be an object`);
  const fields = inner as Record<string, unknown>;
  const allowed = keys[0] === "rrf" ? ["k"] : ["sparse", "dense"];
  for (const f of Object.keys(fields)) if (!allowed.includes(f)) throw new SparseDbError("INVALID_ARGUMENT", `${what}.${keys[0]} has an unknown field ${JSON.stringify(f)}; its fields are ${allowed.join(", ")}`);
  const number = (name: string, required: boolean): number | undefined => {
    const v = fields[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new SparseDbError("INVALID_ARGUMENT", `${what}.${keys[0]}.${name} is ${describe(v)}; it must be a finite number >= 0`);
    return v;
  };
  if (keys[0] === "rrf") {
    const k = number("k", false);
    return { rrf: k === undefined ? {} : { k } };
  }
  return { linear: { sparse: number("sparse", true)!, dense: number("dense", true)! } };
}

export function fuse<Id extends string | number>(legs: { sparse?: readonly LegHit<Id>[]; dense?: readonly LegHit<Id>[] }, fusion: Fusion, limit?: number): FusedHit<Id>[] {
  const method = checkFusion(fusion);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new SparseDbError("INVALID_ARGUMENT", `limit is ${limit}; it must be an integer >= 0`);
  const byId = new Map<Id, FusedHit<Id>>();
  for (const leg of FUSION_LEGS) {
    const hits = legs[leg];
    if (hits === undefined || hits.length === 0) continue;
    const contribution = legContributions(hits, method, leg);
    hits.forEach((h, i) => {
      let fused = byId.get(h.id);
      if (fused === undefined) {
        fused = { id: h.id, score: 0, legs: {} };
        byId.set(h.id, fused);
      } else if (fused.legs[leg] !== undefined) {
        throw new SparseDbError("INVALID_ARGUMENT", `the ${leg} leg lists id ${JSON.stringify(h.id)} twice (ranks ${fused.legs[leg].rank} and ${i + 1}); a leg holds each id once`);
      }
      fused.legs[leg] = { rank: i + 1, score: h.score };
      fused.score += contribution[i]!;
    });
  }
  const out = [...byId.values()].sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
  return limit === undefined ? out : out.slice(0, limit);
}

/** Ascending: numbers numerically, strings by UTF-16 code units. */
export function compareIds<Id extends string | number>(a: Id, b: Id): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What each hit of one leg adds to its fused score. */
function legContributions<Id>(hits: readonly LegHit<Id>[], fusion: Fusion, leg: FusionLeg): Float64Array {
  const n = hits.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = hits[i]!.score;
    if (typeof s !== "number" || !Number.isFinite(s)) throw new SparseDbError("INVALID_ARGUMENT", `the ${leg} leg's hit ${i + 1} has the score ${describe(s)}; scores must be finite numbers`);
  }
  if (fusion === "rrf" || (typeof fusion === "object" && "rrf" in fusion)) {
    const k = fusion === "rrf" ? DEFAULT_RRF_K : (fusion.rrf.k ?? DEFAULT_RRF_K);
    for (let i = 0; i < n; i++) out[i] = 1 / (k + i + 1);
    return out;
  }
  let lo: number, hi: number;
  if (fusion === "dbsf") {
    let sum = 0;
    for (const h of hits) sum += h.score;
    const mean = sum / n;
    let sq = 0;
    for (const h of hits) sq += (h.score - mean) * (h.score - mean);
    const std = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
    lo = mean - 3 * std;
    hi = mean + 3 * std;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (const h of hits) {
      if (h.score < lo) lo = h.score;
      if (h.score > hi) hi = h.score;
    }
  }
  const weight = typeof fusion === "object" && "linear" in fusion ? fusion.linear[leg] : 1;
  for (let i = 0; i < n; i++) out[i] = weight * (lo === hi ? 0.5 : (hits[i]!.score - lo) / (hi - lo));
  return out;
}

function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (typeof v === "number") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
