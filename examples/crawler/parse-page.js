// @ts-check
/**
 * What the crawler keeps of a page.
 * @module
 */

/**
 * @typedef {{ url: string, host: string, title: string, links: number, bytes: number }} PageRow
 */

/**
 * The page's title, its number of links and its size.
 * @param {{ url: string, html: string }} page
 * @returns {PageRow}
 */
export function parsePage({ url, html }) {
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() ?? "";
  let links = 0;
  for (let at = html.indexOf("<a "); at >= 0; at = html.indexOf("<a ", at + 3)) links++;
  return { url, host: new URL(url).host, title, links, bytes: Buffer.byteLength(html) };
}
