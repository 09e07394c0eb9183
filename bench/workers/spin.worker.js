/** Spins the CPU for `ms` (the item) and answers it: CPU work of a known cost (W1). */
export default function spin(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // CPU work.
  }
  return ms;
}
