/** Weyl increment of splitmix32: 2^32 / φ, odd, so `seed + k × GOLDEN` visits every 32-bit state. */
const GOLDEN = 0x9e3779b9;

/**
 * The `position`-th output of splitmix32 seeded with `seed`, as a number in [0, 1).
 *
 * splitmix32 is a counter (`seed + (position + 1) × GOLDEN`) run through a 32-bit mixing
 * function (MurmurHash3's `fmix32` finaliser), so any position can be read directly, without
 * drawing the ones before it: that is what lets a chaos policy give its n-th call the same fate
 * whatever order concurrent calls arrive in, and whatever happened to the calls before it. A
 * stream generator (mulberry32) would tie call n to the draws of calls 1 … n − 1 instead.
 *
 * Not for cryptography; plenty for spreading failures. Cost: a few integer multiplications.
 */
export function splitmix32(seed: number, position: number): number {
  // Math.imul keeps the arithmetic in 32 bits; `| 0` wraps the counter the same way.
  let z = (seed + Math.imul(position + 1, GOLDEN)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return (z >>> 0) / 4_294_967_296;
}
