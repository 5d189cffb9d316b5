/** Bit-exact conversions between float32 and the 16-bit float formats stored in model files. */
export const HalfFloat = {
  /** IEEE binary16 bits -> float32 value. */
  f16ToF32(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) return sign * frac * 2 ** -24;
    if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    return sign * (1 + frac / 1024) * 2 ** (exp - 15);
  },

  /** float32 bits -> binary16 bits, rounding to nearest even (overflow to inf, NaN kept). */
  f32BitsToF16(bits: number): number {
    const sign = (bits >>> 16) & 0x8000;
    const exp = (bits >>> 23) & 0xff;
    let mant = bits & 0x7fffff;
    if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
    let e = exp - 127 + 15;
    if (e >= 0x1f) return sign | 0x7c00;
    if (e <= 0) {
      if (e < -10) return sign;
      mant |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = mant & ((1 << shift) - 1);
      let out = mant >>> shift;
      if (rest > half || (rest === half && out & 1)) out++;
      return sign | out;
    }
    const rest = mant & 0x1fff;
    let out = (e << 10) | (mant >>> 13);
    if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++;
    e = out >>> 10;
    return sign | (e >= 0x1f ? 0x7c00 : out);
  },

  /** float32 bits -> bfloat16 bits, rounding to nearest even (NaN kept quiet). */
  f32BitsToBf16(bits: number): number {
    if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
    return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
  },
};
