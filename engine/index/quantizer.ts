import { SparseDbError } from "../errors.js";

/**
 * Uniform scalar quantization of document weights to `bits`-bit impacts:
 * `impact = round(weight / step)`, `step = maxWeight / (2^bits - 1)`.
 * Rounding to nearest means `|weight - impact * step| <= step / 2` for every posting: the
 * bound that exact search widens its threshold by (see engine/search/query-plan.ts).
 */
export class Quantizer {
  readonly bits: number;
  readonly maxWeight: number;
  readonly maxImpact: number;
  /** The float weight of one impact unit. */
  readonly step: number;

  constructor(bits: number, maxWeight: number) {
    checkBits(bits);
    if (!Number.isFinite(maxWeight) || maxWeight < 0) {
      throw new SparseDbError("INVALID_ARGUMENT", `maxWeight must be a finite number >= 0, got ${maxWeight}`);
    }
    this.bits = bits;
    this.maxWeight = maxWeight;
    this.maxImpact = 2 ** bits - 1;
    // An all-zero (or empty) segment still needs a positive step.
    this.step = maxWeight > 0 ? maxWeight / this.maxImpact : 1;
  }

  quantize(weight: number): number {
    return quantizeWeight(weight, this.step, this.maxImpact);
  }

  dequantize(impact: number): number {
    return impact * this.step;
  }
}

/**
 * The one quantization rule: round to nearest (ties up, as Math.round), capped at maxImpact.
 * The index builder, every algorithm that re-quantizes from the forward index and the range
 * kernel's fast mode (wasm/range-kernel.ts, the same rule in AssemblyScript) apply exactly this.
 */
export function quantizeWeight(weight: number, step: number, maxImpact: number): number {
  const q = Math.round(weight / step);
  return q > maxImpact ? maxImpact : q;
}

export const MIN_BITS = 1;
export const MAX_BITS = 16;

export function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new SparseDbError(
      "INVALID_ARGUMENT",
      `quantization bits must be an integer in ${MIN_BITS}..${MAX_BITS} (8 is the default), got ${String(bits)}`,
    );
  }
}
