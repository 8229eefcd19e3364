/**
 * MurmurHash3 (Austin Appleby's public-domain algorithm), the two variants Cosmos DB uses to
 * compute effective partition keys:
 *
 * - x86_32: hash of V1 ("Hash" without version) partition keys;
 * - x64_128: hash of V2 ("Hash" version 2) and "MultiHash" partition keys.
 *
 * The emulator hashes every written item, so x64_128 avoids BigInt (about 10x slower here): each
 * 64-bit lane is held as two unsigned 32-bit halves in plain numbers, and the arithmetic helpers
 * below return their result through a module-level register pair (a typed array, so that storing
 * a result never allocates a heap number).
 */

// ---------------------------------------------------------------------------------------------
// x86_32
// ---------------------------------------------------------------------------------------------

const X86_C1 = 0xcc9e2d51;
const X86_C2 = 0x1b873593;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function scrambleK32(k: number): number {
  return Math.imul(rotl32(Math.imul(k, X86_C1), 15), X86_C2);
}

/** MurmurHash3 x86_32 of `data`; returns the hash as an unsigned 32-bit integer. */
export function murmurHash3x86_32(data: Uint8Array, seed = 0): number {
  const length = data.length;
  const blockEnd = length - (length & 3);
  let h = seed | 0;

  let i = 0;
  for (; i < blockEnd; i += 4) {
    const k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    h ^= scrambleK32(k);
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  const tail = length & 3;
  if (tail !== 0) {
    let k = data[i];
    if (tail >= 2) k |= data[i + 1] << 8;
    if (tail === 3) k |= data[i + 2] << 16;
    h ^= scrambleK32(k);
  }

  h ^= length;
  return fmix32(h);
}

// ---------------------------------------------------------------------------------------------
// x64_128
// ---------------------------------------------------------------------------------------------

// 64-bit result register of the helpers below: [high half, low half].
const reg = new Uint32Array(2);
const HI = 0;
const LO = 1;

/** reg = (ah:al) * (bh:bl) mod 2^64. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  // Exact high word of the 32x32 product al*bl, from 16-bit limbs (every term stays < 2^53).
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const cross = a0 * b1 + a1 * b0 + ((a0 * b0) >>> 16);
  const carry = a1 * b1 + Math.floor(cross / 0x10000);
  reg[LO] = Math.imul(al, bl) >>> 0;
  reg[HI] = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** reg = (ah:al) + (bh:bl) mod 2^64. */
function add64(ah: number, al: number, bh: number, bl: number): void {
  const sum = al + bl;
  reg[LO] = sum >>> 0;
  reg[HI] = (ah + bh + (sum > 0xffffffff ? 1 : 0)) >>> 0;
}

/** reg = rotl64(ah:al, r) for 0 < r < 32. */
function rotl64(ah: number, al: number, r: number): void {
  reg[HI] = ((ah << r) | (al >>> (32 - r))) >>> 0;
  reg[LO] = ((al << r) | (ah >>> (32 - r))) >>> 0;
}

/** reg = fmix64(ah:al). */
function fmix64(ah: number, al: number): void {
  al = (al ^ (ah >>> 1)) >>> 0; // k ^= k >>> 33
  mul64(ah, al, 0xff51afd7, 0xed558ccd);
  reg[LO] = (reg[LO] ^ (reg[HI] >>> 1)) >>> 0;
  mul64(reg[HI], reg[LO], 0xc4ceb9fe, 0x1a85ec53);
  reg[LO] = (reg[LO] ^ (reg[HI] >>> 1)) >>> 0;
}

// c1 = 0x87c37b91114253d5, c2 = 0x4cf5ad432745937f
const C1_HI = 0x87c37b91;
const C1_LO = 0x114253d5;
const C2_HI = 0x4cf5ad43;
const C2_LO = 0x2745937f;

/** reg = rotl64(k * c1, 31) * c2: the mixing of the first lane's block. */
function scrambleK1(kh: number, kl: number): void {
  mul64(kh, kl, C1_HI, C1_LO);
  rotl64(reg[HI], reg[LO], 31);
  mul64(reg[HI], reg[LO], C2_HI, C2_LO);
}

/** reg = rotl64(k * c2, 33) * c1: the mixing of the second lane's block. */
function scrambleK2(kh: number, kl: number): void {
  mul64(kh, kl, C2_HI, C2_LO);
  rotl64(reg[LO], reg[HI], 1); // rotl by 33 = swap halves, then rotl by 1
  mul64(reg[HI], reg[LO], C1_HI, C1_LO);
}

function readUint32LE(data: Uint8Array, i: number): number {
  return (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
}

/** Little-endian integer of the `count` (0..4) bytes of `data` starting at `i`. */
function readPartialLE(data: Uint8Array, i: number, count: number): number {
  let value = 0;
  for (let b = count - 1; b >= 0; b--) value = (value << 8) | data[i + b];
  return value >>> 0;
}

/**
 * MurmurHash3 x64_128 of `data` as 32-bit words: writes [h1 high, h1 low, h2 high, h2 low] to
 * `out` (allocation-free; for hot paths).
 */
export function murmurHash3x64_128Words(data: Uint8Array, seed: number, out: Uint32Array): void {
  const length = data.length;
  const blockEnd = length - (length & 15);
  let h1h = 0;
  let h1l = seed >>> 0;
  let h2h = 0;
  let h2l = seed >>> 0;

  let i = 0;
  for (; i < blockEnd; i += 16) {
    scrambleK1(readUint32LE(data, i + 4), readUint32LE(data, i));
    h1h = (h1h ^ reg[HI]) >>> 0;
    h1l = (h1l ^ reg[LO]) >>> 0;
    rotl64(h1h, h1l, 27);
    add64(reg[HI], reg[LO], h2h, h2l);
    mul64(reg[HI], reg[LO], 0, 5);
    add64(reg[HI], reg[LO], 0, 0x52dce729);
    h1h = reg[HI];
    h1l = reg[LO];

    scrambleK2(readUint32LE(data, i + 12), readUint32LE(data, i + 8));
    h2h = (h2h ^ reg[HI]) >>> 0;
    h2l = (h2l ^ reg[LO]) >>> 0;
    rotl64(h2h, h2l, 31);
    add64(reg[HI], reg[LO], h1h, h1l);
    mul64(reg[HI], reg[LO], 0, 5);
    add64(reg[HI], reg[LO], 0, 0x38495ab5);
    h2h = reg[HI];
    h2l = reg[LO];
  }

  const tail = length & 15;
  if (tail > 8) {
    const rest = tail - 8;
    scrambleK2(
      readPartialLE(data, i + 12, Math.max(rest - 4, 0)),
      readPartialLE(data, i + 8, Math.min(rest, 4)),
    );
    h2h = (h2h ^ reg[HI]) >>> 0;
    h2l = (h2l ^ reg[LO]) >>> 0;
  }
  if (tail > 0) {
    const first = Math.min(tail, 8);
    scrambleK1(
      readPartialLE(data, i + 4, Math.max(first - 4, 0)),
      readPartialLE(data, i, Math.min(first, 4)),
    );
    h1h = (h1h ^ reg[HI]) >>> 0;
    h1l = (h1l ^ reg[LO]) >>> 0;
  }

  // Finalization (length < 2^32, so it only touches the low halves).
  h1l = (h1l ^ length) >>> 0;
  h2l = (h2l ^ length) >>> 0;
  add64(h1h, h1l, h2h, h2l);
  h1h = reg[HI];
  h1l = reg[LO];
  add64(h2h, h2l, h1h, h1l);
  h2h = reg[HI];
  h2l = reg[LO];
  fmix64(h1h, h1l);
  h1h = reg[HI];
  h1l = reg[LO];
  fmix64(h2h, h2l);
  h2h = reg[HI];
  h2l = reg[LO];
  add64(h1h, h1l, h2h, h2l);
  h1h = reg[HI];
  h1l = reg[LO];
  add64(h2h, h2l, h1h, h1l);
  h2h = reg[HI];
  h2l = reg[LO];

  out[0] = h1h;
  out[1] = h1l;
  out[2] = h2h;
  out[3] = h2l;
}

const words = new Uint32Array(4);

/**
 * MurmurHash3 x64_128 of `data`. Returns the canonical 16-byte digest: h1 then h2, each as a
 * little-endian 64-bit integer (what the reference C implementation writes to its output).
 */
export function murmurHash3x64_128(data: Uint8Array, seed = 0): Buffer {
  murmurHash3x64_128Words(data, seed, words);
  const digest = Buffer.allocUnsafe(16);
  digest.writeUInt32LE(words[1], 0);
  digest.writeUInt32LE(words[0], 4);
  digest.writeUInt32LE(words[3], 8);
  digest.writeUInt32LE(words[2], 12);
  return digest;
}
