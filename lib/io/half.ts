/**
 * float16 and bfloat16 to and from float32, on bit patterns (never through a JS number, so NaN
 * payloads and signalling NaNs survive). Narrowing rounds to nearest, ties to even, as IEEE 754
 * and PyTorch do; values beyond the narrow type's range become infinities, values below its
 * smallest subnormal become signed zeros.
 *
 * NaNs keep their sign and the top bits of their payload. When the kept bits would all be zero
 * (a NaN whose payload lives only in the dropped low bits) the quiet bit is set, so a NaN never
 * turns into an infinity. For the payloads float32 gets from a half value, widening then
 * narrowing gives back the same bits: every float16 and bfloat16 pattern round-trips exactly.
 * @internal
 */

let f16ToF32Table: Uint32Array | undefined;

/** float32 bit patterns of all 65536 float16 values: exact, subnormals and NaN payloads included. */
export function float16ToFloat32Table(): Uint32Array {
  if (f16ToF32Table !== undefined) return f16ToF32Table;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    let mant = h & 0x3ff;
    let bits: number;
    if (exp === 0x1f) {
      bits = sign | 0x7f800000 | (mant << 13);
    } else if (exp !== 0) {
      bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    } else if (mant === 0) {
      bits = sign;
    } else {
      // Subnormal: mant · 2^-24. Shift the leading 1 into the implicit position.
      let e = -14;
      while ((mant & 0x400) === 0) {
        mant <<= 1;
        e--;
      }
      bits = sign | ((e + 127) << 23) | ((mant & 0x3ff) << 13);
    }
    table[h] = bits >>> 0;
  }
  f16ToF32Table = table;
  return table;
}

/** The float16 bit pattern nearest (ties to even) to the float32 with bit pattern `bits`. */
export function float32BitsToFloat16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00;
    const kept = mant >>> 13;
    return sign | 0x7c00 | (kept === 0 ? 0x200 : kept);
  }
  // float16 normals have float32 exponents 113..142; from 143 up the value is at least 2^16.
  if (exp >= 143) return sign | 0x7c00;
  if (exp >= 113) {
    let h = ((exp - 112) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    // A carry out of the mantissa steps the exponent, and out of 0x7bff gives infinity: both right.
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  // Below 2^-25 (half the smallest subnormal, which itself ties to the even 0) everything is zero.
  if (exp < 102) return sign;
  // Subnormal: the 24-bit significand times 2^(exp-150), in units of 2^-24, is m >> (126 - exp).
  const m = mant | 0x800000;
  const shift = 126 - exp; // 14..24
  let h = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  // A carry out of 0x3ff gives 0x400, the smallest normal: right again.
  if (rest > half || (rest === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** The bfloat16 bit pattern nearest (ties to even) to the float32 with bit pattern `bits`. */
export function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) {
    const kept = bits >>> 16;
    return (kept & 0x7f) === 0 ? kept | 0x40 : kept;
  }
  // bfloat16 is the top half of a float32: add just under half an ulp, plus one when the kept
  // part is odd, and truncate. Overflow carries into the exponent and reaches infinity correctly.
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian float16 bytes of `data`. */
export function encodeFloat16(data: Float32Array): Uint8Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(2 * data.length);
  for (let i = 0; i < bits.length; i++) {
    const h = float32BitsToFloat16(bits[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** Little-endian bfloat16 bytes of `data`. */
export function encodeBfloat16(data: Float32Array): Uint8Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(2 * data.length);
  for (let i = 0; i < bits.length; i++) {
    const h = float32BitsToBfloat16(bits[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** Widens little-endian float16 bytes into `out` (float32 bit patterns). */
export function decodeFloat16(src: Uint8Array, out: Uint32Array): void {
  const table = float16ToFloat32Table();
  for (let i = 0; i < out.length; i++) out[i] = table[src[2 * i] | (src[2 * i + 1] << 8)];
}

/** Widens little-endian bfloat16 bytes into `out` (float32 bit patterns): a shift, exact for every value. */
export function decodeBfloat16(src: Uint8Array, out: Uint32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = ((src[2 * i] << 16) | (src[2 * i + 1] << 24)) >>> 0;
}
