/**
 * The one error type sparsedb throws for bad input and failed operations. `code` is stable and
 * machine-readable (the TCP protocol sends it as is); `message` says what was wrong and what to do.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_VECTOR"
  | "NOT_FOUND"
  /** A file or folder an encoder reads (tokenizer, IDF table, model folder) is missing or unreadable. */
  | "ENCODER_FILE_NOT_FOUND"
  | "ALREADY_EXISTS"
  | "CORRUPTION"
  | "IO_ERROR"
  | "LOCKED"
  | "UNSUPPORTED_VERSION"
  | "CLOSED"
  | "LIMIT_EXCEEDED"
  | "ENCODER_ERROR"
  | "CANCELLED"
  | "UNAUTHORIZED"
  | "TIMEOUT"
  | "UNAVAILABLE"
  | "INTERNAL";

export class SparseDbError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SparseDbError";
    this.code = code;
  }
}

export function invalidArgument(message: string): SparseDbError {
  return new SparseDbError("INVALID_ARGUMENT", message);
}
