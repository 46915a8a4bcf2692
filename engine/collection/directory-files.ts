import { segmentFileStem } from "../../storage/deletion-file.js";

/**
 * File names in a collection directory (FORMAT.md, "Collection directory"):
 *   MANIFEST, MANIFEST.tmp, LOCK, wal-<n>.log, seg-<n>.sdb, seg-<n>.del-<gen>
 * <n> is a file number from the manifest's counter, zero-padded to 6 digits.
 */
export const walFileName = (n: number): string => `wal-${String(n).padStart(6, "0")}.log`;
export const segmentFileName = (id: number): string => `${segmentFileStem(id)}.sdb`;

export type DirectoryEntry =
  | { kind: "wal"; number: number; name: string }
  | { kind: "segment"; number: number; name: string }
  | { kind: "deletions"; number: number; gen: number; name: string }
  | { kind: "temp"; name: string };

/** Classifies a directory entry; null for names sparsedb does not own (left alone). */
export function parseEntry(name: string): DirectoryEntry | null {
  let m = /^wal-(\d+)\.log$/.exec(name);
  if (m) return { kind: "wal", number: Number(m[1]), name };
  m = /^seg-(\d+)\.sdb$/.exec(name);
  if (m) return { kind: "segment", number: Number(m[1]), name };
  m = /^seg-(\d+)\.del-(\d+)$/.exec(name);
  if (m) return { kind: "deletions", number: Number(m[1]), gen: Number(m[2]), name };
  if (name === "MANIFEST.tmp") return { kind: "temp", name };
  return null;
}
