/**
 * A JSON number's value read straight from UTF-8 bytes, equal bit for bit to Number.parseFloat
 * of its text (and so to JSON.parse): up to 15 significant digits and a power of ten within
 * 10^±22 take the exact fast path (both are exact doubles, so one multiply or divide rounds
 * correctly: Clinger's fast path); anything else goes through Number.parseFloat of the bytes.
 */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39, LOWER_E = 0x65, UPPER_E = 0x45;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= ZERO && b <= NINE;

export class JsonNumberReader {
  /** Where the number read last ends (exclusive). */
  end = 0;

  /**
   * The number in JSON's grammar at bytes[i..], or NaN when there is none (bytes that are not a
   * JSON number there); `end` is set past it.
   */
  read(bytes: Uint8Array, i: number): number {
    const start = i;
    let negative = false;
    if (bytes[i] === MINUS) {
      negative = true;
      i++;
    }
    let m = 0, digits = 0, pointShift = 0;
    if (bytes[i] === ZERO) i++;
    else if (isDigit(bytes[i])) {
      while (isDigit(bytes[i])) {
        const d = bytes[i++]! - ZERO;
        if (digits < 16) m = m * 10 + d;
        digits++;
      }
    } else return NaN;
    if (bytes[i] === DOT) {
      i++;
      if (!isDigit(bytes[i])) return NaN;
      while (isDigit(bytes[i])) {
        const d = bytes[i++]! - ZERO;
        if (m !== 0 || d !== 0) {
          if (digits < 16) m = m * 10 + d;
          digits++;
        }
        pointShift++;
      }
    }
    let exp = 0;
    const e = bytes[i];
    if (e === LOWER_E || e === UPPER_E) {
      i++;
      let expNegative = false;
      if (bytes[i] === PLUS || bytes[i] === MINUS) expNegative = bytes[i++] === MINUS;
      if (!isDigit(bytes[i])) return NaN;
      while (isDigit(bytes[i])) {
        if (exp < 100_000) exp = exp * 10 + (bytes[i]! - ZERO);
        i++;
      }
      if (expNegative) exp = -exp;
    }
    this.end = i;
    if (m === 0 && digits === 0) return negative ? -0 : 0;
    const e10 = exp - pointShift;
    if (digits <= 15 && e10 >= -22 && e10 <= 22) {
      const v = e10 >= 0 ? m * POW10[e10]! : m / POW10[-e10]!;
      return negative ? -v : v;
    }
    return Number.parseFloat(latin1(bytes, start, i));
  }
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let k = from; k < to; k++) s += String.fromCharCode(bytes[k]!);
  return s;
}
