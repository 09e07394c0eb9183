import type { WireControlAnswer } from "../wire.js";

/**
 * Sends one control request (`POST /control/<name>` with a JSON body) and resolves with the
 * server's answer; a refused request resolves too, with `error` saying why (the server's
 * message, or what went wrong on the way). Never rejects.
 */
export async function sendControl(
  name: "pause" | "resume" | "concurrency",
  body: object,
  token: string | null,
): Promise<WireControlAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`control/${name}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as WireControlAnswer;
    if (!response.ok && answer.error === undefined) {
      return { error: `The server answered ${response.status}` };
    }
    return answer;
  } catch (error) {
    return { error: `The dashboard server did not answer: ${String(error)}` };
  }
}
