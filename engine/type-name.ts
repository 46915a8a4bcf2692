/** "a string", "an array", "null": how error messages name the kind of value that was given. */
export function typeName(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "nothing";
  if (Array.isArray(x)) return "an array";
  if (x instanceof Uint8Array) return "binary data";
  switch (typeof x) {
    case "object":
      return "an object";
    case "number":
      return "a number";
    case "bigint":
      return "an integer beyond 2^53";
    case "string":
      return "a string";
    case "boolean":
      return "a boolean";
    default:
      return `a ${typeof x}`;
  }
}
