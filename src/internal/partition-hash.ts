/** FNV-1a over a string's UTF-16 code units: the same number in every process. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The partition of an item whose key is `key`: the hash of the key (a string as it is,
 * anything else as JSON) modulo the partitions, the same in every process and on every host.
 */
export function partitionOf(key: unknown, partitions: number): number {
  const text = typeof key === "string" ? key : (JSON.stringify(key) ?? String(key));
  return hash(text) % partitions;
}
