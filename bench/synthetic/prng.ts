/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit): four words of state,
 * passes PractRand to many terabytes, and is a handful of integer operations in JavaScript.
 * Seeded through splitmix32 so that nearby seeds (42, 43; or one stream per document) give
 * unrelated streams without warm-up. Never Math.random: the synthetic corpus must be a pure
 * function of its seed.
 */
export class Sfc32 {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  constructor(seed: number, stream = 0) {
    this.reseed(seed, stream);
  }

  /** Resets the state to the stream `(seed, stream)`: cheap, so a stream per document is fine. */
  reseed(seed: number, stream: number): void {
    // Fold the full 53-bit integer range of both numbers into the splitmix32 seed.
    let s = mix32((seed >>> 0) ^ mix32(Math.floor(seed / 4294967296) >>> 0) ^ 0x9e3779b9);
    s = mix32(s ^ (stream >>> 0)) ^ mix32((Math.floor(stream / 4294967296) >>> 0) + 0x632be5ab);
    s = (s + 0x9e3779b9) | 0;
    this.a = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.b = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.c = mix32(s);
    this.d = 1;
  }

  /** The next uint32. */
  nextUint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = ((c << 21) | (c >>> 11)) + t;
    this.c |= 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A standard normal variate (Box-Muller; one of the pair is dropped for simplicity). */
  nextNormal(): number {
    const u = (this.nextUint32() + 1) / 4294967297; // (0, 1): log(0) never happens
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** splitmix32's finalizer: a bijective avalanche of a 32-bit word. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
