// @ts-check
/**
 * @typedef {{ name: string, width: number, height: number, channels: 1 | 2 | 3 | 4, data: Uint8Array }} Pixels
 *   A decoded image: raw pixels, `channels` bytes each, row after row.
 */
export {};
