import type { BertShape } from "../../encoder/model-gen/bert-shape.js";

/**
 * Floating-point operations of one BERT MLM pass over `tokens` tokens (2 per multiply-add): the
 * encoder's dense layers (about 2 x 85M x tokens for bert-base), attention's two tokens x tokens
 * products, and the MLM head (transform plus the 2 x hidden x vocab x tokens decoder).
 */
export function bertFlops(s: BertShape, tokens: number): number {
  const H = s.hidden;
  const dense = s.layers * (4 * H * H + 2 * H * s.intermediate);
  const attention = s.layers * 2 * tokens * H;
  const head = H * H + H * s.vocabSize;
  return 2 * tokens * (dense + attention + head);
}
