/**
 * The text an error message quotes for what caused it: an Error's message, or the value as
 * a string. Never throws: an object without a prototype (or with a throwing `toString`)
 * still makes an error, described by its type.
 */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  try {
    return String(cause);
  } catch {
    return typeof cause;
  }
}
