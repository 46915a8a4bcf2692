import { createDenseEncoder, createEncoder, defaultEncoderConfig } from "../../encoder/index.js";
import type { DenseEncoder, DenseEncoderConfig, EncoderConfig, Encoder } from "../../encoder/index.js";
import { CollectionStore } from "../collection/collection-store.js";
import type { CollectionOpener } from "./collection-backend.js";

/**
 * The real storage and encoder backends. Loaded by Database.open only when the caller does not
 * substitute its own, so that the database layer can be tested without them (and without loading
 * ONNX Runtime).
 */
export const openStoredCollection: CollectionOpener = (dir, options) => CollectionStore.open(dir, options);

export function createEncoderFromConfig(config: EncoderConfig): Promise<Encoder> {
  return createEncoder(config);
}

export function createDenseEncoderFromConfig(config: DenseEncoderConfig): Promise<DenseEncoder> {
  return createDenseEncoder(config);
}

export { defaultEncoderConfig };
