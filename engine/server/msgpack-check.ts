import { isUtf8 } from "node:buffer";

/**
 * Checks that a frame body is exactly one MessagePack value of the protocol's types before it is
 * decoded: the standard types only (no extension types, and never the reserved byte 0xc1, which
 * msgpackr would turn into a placeholder object), str that is valid UTF-8, map keys that are str
 * or integers, nesting at most MAX_BODY_DEPTH deep, every length inside the body and no bytes
 * after the value. One pass over the bytes that builds nothing; it throws MalformedBodyError
 * naming the offset of the first fault.
 */
export const MAX_BODY_DEPTH = 128;

export class MalformedBodyError extends Error {}

export function checkMessagePack(b: Uint8Array): void {
  if (b.length === 0) throw new MalformedBodyError("the body is empty");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;

  const need = (n: number, what: string) => {
    if (p + n > b.length) throw new MalformedBodyError(`${what} at byte ${p} runs past the end of the body`);
  };
  const skip = (n: number, what: string) => {
    need(n, what);
    p += n;
  };
  const str = (n: number, at: number) => {
    need(n, "a str");
    let ascii = true;
    for (let i = p; i < p + n && ascii; i++) if (b[i]! >= 0x80) ascii = false;
    if (!ascii && !isUtf8(b.subarray(p, p + n))) throw new MalformedBodyError(`the str at byte ${at} is not valid UTF-8`);
    p += n;
  };
  const len = (bytes: 1 | 2 | 4, what: string): number => {
    need(bytes, what);
    const n = bytes === 1 ? b[p]! : bytes === 2 ? view.getUint16(p) : view.getUint32(p);
    p += bytes;
    return n;
  };

  // An explicit stack of "values still to read" per open container, so that depth costs no
  // recursion. Each entry counts remaining items; for maps, every even item is a key.
  const remaining: number[] = [];
  const isMap: boolean[] = [];

  let values = 1;
  for (;;) {
    // Find the next value to read: the top container's next item, or the body's one value.
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop();
      isMap.pop();
    }
    if (remaining.length === 0 && values === 0) break;
    // Fast path: a run of same-typed fixed-size scalars in an array (terms, weights).
    if (remaining.length > 0 && !isMap[remaining.length - 1]) {
      const top = remaining.length - 1;
      const t = b[p]!;
      const size = FIXED_SIZE[t]!;
      if (size > 0 && p + size <= b.length) {
        let r = remaining[top]!;
        while (r > 0 && b[p] === t && p + size <= b.length) {
          p += size;
          r--;
        }
        remaining[top] = r;
        continue;
      }
    }
    let expectKey = false;
    if (remaining.length > 0) {
      const top = remaining.length - 1;
      expectKey = isMap[top]! && remaining[top]! % 2 === 0;
      remaining[top]!--;
    } else values--;

    need(1, "a value");
    const at = p;
    const t = b[p++]!;
    if (expectKey && !isKeyType(t)) throw new MalformedBodyError(`the map key at byte ${at} is not a str or an integer (type 0x${t.toString(16)})`);
    let open = -1;
    let openMap = false;
    if (t < 0x80 || t >= 0xe0) {
      // positive / negative fixint
    } else if (t < 0x90) {
      open = (t & 0x0f) * 2;
      openMap = true;
    } else if (t < 0xa0) open = t & 0x0f;
    else if (t < 0xc0) str(t & 0x1f, at);
    else {
      switch (t) {
        case 0xc0: case 0xc2: case 0xc3: break;
        case 0xc4: skip(len(1, "a bin length"), "a bin"); break;
        case 0xc5: skip(len(2, "a bin length"), "a bin"); break;
        case 0xc6: skip(len(4, "a bin length"), "a bin"); break;
        case 0xca: skip(4, "a float32"); break;
        case 0xcb: skip(8, "a float64"); break;
        case 0xcc: case 0xd0: skip(1, "an integer"); break;
        case 0xcd: case 0xd1: skip(2, "an integer"); break;
        case 0xce: case 0xd2: skip(4, "an integer"); break;
        case 0xcf: case 0xd3: skip(8, "an integer"); break;
        case 0xd9: str(len(1, "a str length"), at); break;
        case 0xda: str(len(2, "a str length"), at); break;
        case 0xdb: str(len(4, "a str length"), at); break;
        case 0xdc: open = len(2, "an array length"); break;
        case 0xdd: open = len(4, "an array length"); break;
        case 0xde: open = len(2, "a map length") * 2; openMap = true; break;
        case 0xdf: open = len(4, "a map length") * 2; openMap = true; break;
        case 0xc1:
          throw new MalformedBodyError(`byte ${at} is 0xc1, which MessagePack reserves and never uses`);
        default:
          throw new MalformedBodyError(`byte ${at} starts an extension type (0x${t.toString(16)}), which this protocol does not use`);
      }
    }
    if (open > 0) {
      if (remaining.length >= MAX_BODY_DEPTH) throw new MalformedBodyError(`the body nests deeper than ${MAX_BODY_DEPTH} levels (at byte ${at})`);
      // Every item takes at least one byte: a count beyond the bytes left is a lie, caught now.
      if (open > b.length - p) throw new MalformedBodyError(`the container at byte ${at} announces ${openMap ? open / 2 : open} items but the body ends first`);
      remaining.push(open);
      isMap.push(openMap);
    }
  }
  if (p !== b.length) throw new MalformedBodyError(`${b.length - p} bytes follow the value (from byte ${p}); a body holds exactly one value`);
}

/** Bytes taken by a scalar of fixed size with this type byte (type byte included); 0 for others. */
const FIXED_SIZE = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 0x80; i++) t[i] = 1;
  for (let i = 0xe0; i < 0x100; i++) t[i] = 1;
  for (const x of [0xc0, 0xc2, 0xc3]) t[x] = 1;
  for (const x of [0xcc, 0xd0]) t[x] = 2;
  for (const x of [0xcd, 0xd1]) t[x] = 3;
  for (const x of [0xca, 0xce, 0xd2]) t[x] = 5;
  for (const x of [0xcb, 0xcf, 0xd3]) t[x] = 9;
  return t;
})();

function isKeyType(t: number): boolean {
  return t < 0x80 || t >= 0xe0 || (t >= 0xa0 && t < 0xc0) || t === 0xd9 || t === 0xda || t === 0xdb || (t >= 0xcc && t <= 0xd3);
}
