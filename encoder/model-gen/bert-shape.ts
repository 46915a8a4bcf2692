/** The sizes of a BERT masked-language model (what a SPLADE model is). */
export interface BertShape {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
}

/** bert-base-uncased: 12 layers, hidden 768, 12 heads (about 110M parameters with the vocab). */
export function baseShape(vocabSize: number): BertShape {
  return { vocabSize, hidden: 768, layers: 12, heads: 12, intermediate: 3072, maxPositions: 512, typeVocabSize: 2 };
}

/** A tiny BERT for tests: 2 layers, hidden 32, 2 heads. */
export function tinyShape(vocabSize: number): BertShape {
  return { vocabSize, hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPositions: 512, typeVocabSize: 2 };
}

/**
 * What sits on top of the encoder layers: "mlm", BertForMaskedLM's head (output logits, what a
 * SPLADE model is); "none", BertModel as a feature-extraction export (output last_hidden_state,
 * what a dense sentence encoder is).
 */
export type BertHead = "mlm" | "none";

/** Shapes of every parameter, by Hugging Face's names for BertForMaskedLM (without the head for "none"). */
export function parameterShapes(s: BertShape, head: BertHead = "mlm"): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = s.hidden;
  m.set("bert.embeddings.word_embeddings.weight", [s.vocabSize, H]);
  m.set("bert.embeddings.position_embeddings.weight", [s.maxPositions, H]);
  m.set("bert.embeddings.token_type_embeddings.weight", [s.typeVocabSize, H]);
  m.set("bert.embeddings.LayerNorm.weight", [H]);
  m.set("bert.embeddings.LayerNorm.bias", [H]);
  for (let l = 0; l < s.layers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    for (const x of ["query", "key", "value"]) {
      m.set(`${p}attention.self.${x}.weight`, [H, H]);
      m.set(`${p}attention.self.${x}.bias`, [H]);
    }
    m.set(`${p}attention.output.dense.weight`, [H, H]);
    m.set(`${p}attention.output.dense.bias`, [H]);
    m.set(`${p}attention.output.LayerNorm.weight`, [H]);
    m.set(`${p}attention.output.LayerNorm.bias`, [H]);
    m.set(`${p}intermediate.dense.weight`, [H, s.intermediate]);
    m.set(`${p}intermediate.dense.bias`, [s.intermediate]);
    m.set(`${p}output.dense.weight`, [s.intermediate, H]);
    m.set(`${p}output.dense.bias`, [H]);
    m.set(`${p}output.LayerNorm.weight`, [H]);
    m.set(`${p}output.LayerNorm.bias`, [H]);
  }
  if (head === "none") return m;
  m.set("cls.predictions.transform.dense.weight", [H, H]);
  m.set("cls.predictions.transform.dense.bias", [H]);
  m.set("cls.predictions.transform.LayerNorm.weight", [H]);
  m.set("cls.predictions.transform.LayerNorm.bias", [H]);
  // The decoder is tied to the word embeddings; stored transposed ([H, V]) so that it is a plain MatMul.
  m.set("cls.predictions.decoder.weight_t", [H, s.vocabSize]);
  m.set("cls.predictions.bias", [s.vocabSize]);
  return m;
}
