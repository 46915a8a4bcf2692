import { SparseDbError } from "../../engine/errors.js";

/**
 * A compact text form for a term-share table (one probability per vocabulary term), so the
 * built-in statistics stay a small committed TypeScript module: each share is stored as
 * round(-log2(share) * 2048) in a little-endian uint16, base64-encoded (about 81 KB for BERT's
 * 30522 terms). The relative error is below 0.02%; shares under 2^-32 are clamped to 2^-32.
 */
const STEPS_PER_OCTAVE = 2048;
const MAX_CODE = 65535;

export function encodeShares(shares: Float64Array): string {
  const codes = new Uint16Array(shares.length);
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i]!;
    const code = s > 0 ? Math.round(-Math.log2(s) * STEPS_PER_OCTAVE) : MAX_CODE;
    codes[i] = Math.min(MAX_CODE, Math.max(0, code));
  }
  const bytes = Buffer.alloc(codes.length * 2);
  for (let i = 0; i < codes.length; i++) bytes.writeUInt16LE(codes[i]!, i * 2);
  return bytes.toString("base64");
}

/** Decodes `encodeShares`' text and renormalizes the shares to sum to 1. */
export function decodeShares(text: string, expectedLength: number): Float64Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== expectedLength * 2) {
    throw new SparseDbError(
      "CORRUPTION",
      `term-share table holds ${bytes.length / 2} terms, expected ${expectedLength}; regenerate it with \`npm run bench -- synthetic fit --write\``,
    );
  }
  const shares = new Float64Array(expectedLength);
  let sum = 0;
  for (let i = 0; i < expectedLength; i++) {
    shares[i] = 2 ** (-bytes.readUInt16LE(i * 2) / STEPS_PER_OCTAVE);
    sum += shares[i]!;
  }
  for (let i = 0; i < expectedLength; i++) shares[i] = shares[i]! / sum;
  return shares;
}
