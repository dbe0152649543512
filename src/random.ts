// A seeded generator so that the same seed gives bit-identical weights and batches on every
// run and every JS engine: xoshiro128** (32-bit integer arithmetic only), its state filled from
// the seed by splitmix32.
import { ValueError } from './errors.js';

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The generator's whole state, to resume the same sequence later (see fromState). */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.spareNormal ?? NaN];
  }

  /**
   * The generator getState() described, checked first: four uint32 words not all zero (an
   * all-zero xoshiro state only ever yields zeros), and a finite spare normal or NaN/null.
   */
  static fromState(state: readonly (number | null)[]): Random {
    const words = Array.isArray(state) ? state.slice(0, 4) : [];
    if (words.length !== 4 || !words.every((w) => Number.isInteger(w) && w! >= 0 && w! <= 0xffffffff) || words.every((w) => w === 0)) {
      throw new ValueError(`random state ${JSON.stringify(state)}: expected four uint32 words, not all zero`);
    }
    const spare = state[4];
    if (state.length > 5 || (spare !== undefined && spare !== null && !Number.isNaN(spare) && !Number.isFinite(spare))) {
      throw new ValueError(`random state ${JSON.stringify(state)}: the fifth entry must be a finite number, NaN or null`);
    }
    const random = new Random(0);
    [random.s0, random.s1, random.s2, random.s3] = words as number[];
    random.spareNormal = spare === undefined || spare === null || Number.isNaN(spare) ? undefined : spare;
    return random;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal deviate (Box–Muller, both values of each pair used). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle(values: Int32Array): void {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
