/**
 * The function of S8b: parses a JSON document and returns the length of its `items` array (a
 * small number, so the answer costs little to send back).
 * @module
 */

/**
 * @param {string} text
 * @returns {number}
 */
export default function countItems(text) {
  return JSON.parse(text).items.length;
}
