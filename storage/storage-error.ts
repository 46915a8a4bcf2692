import { SparseDbError } from "../engine/errors.js";

/**
 * storage/ reports failures as SparseDbError with a code the engine and protocol understand:
 * CORRUPTION (a checksum or structure check failed; the message names the file), IO_ERROR (the
 * operating system refused a read or write), UNSUPPORTED_VERSION, LOCKED.
 *
 * engine/errors.ts is shared, dependency-free, and defines only the error type; importing it
 * from storage keeps one error type across the project without storage knowing engine logic.
 */
export function corruption(file: string, what: string): SparseDbError {
  return new SparseDbError(
    "CORRUPTION",
    `checksum/format error in ${file}: ${what}; the file is damaged: restore it from a backup or remove the collection directory`,
  );
}

export function ioError(action: string, cause: unknown): SparseDbError {
  if (cause instanceof SparseDbError) return cause;
  const code = (cause as NodeJS.ErrnoException)?.code;
  const hint =
    code === "ENOSPC" ? "the disk is full: free space and retry" : "check the disk and permissions, then retry";
  return new SparseDbError("IO_ERROR", `${action} failed (${code ?? String(cause)}): ${hint}`, { cause });
}

export function newerVersion(file: string, found: number, supported: number): SparseDbError {
  return new SparseDbError(
    "UNSUPPORTED_VERSION",
    `${file} has format version ${found}, newer than this sparsedb supports (${supported}); upgrade sparsedb to open it`,
  );
}
