/** One stream entry as Redis returns it: its id and its flat field list. */
export type RawEntry = [id: string, fields: string[] | null];

/** The field an entry's value is written to, as JSON. */
export const DATA_FIELD = "data";

/** The fields of an entry holding `value`. */
export function encodeEntry(value: unknown): string[] {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`Cannot write the item to a Redis stream as JSON: ${String(error)}`, {
      cause: error,
    });
  }
  if (json === undefined) {
    throw new TypeError(`Cannot write ${typeof value} to a Redis stream: JSON has no form for it`);
  }
  return [DATA_FIELD, json];
}

/** The value an entry holds; throws a TypeError naming the entry when it holds none. */
export function decodeEntry([id, fields]: RawEntry): unknown {
  if (fields !== null) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === DATA_FIELD) {
        try {
          return JSON.parse(fields[i + 1]!);
        } catch (error) {
          throw new TypeError(`Stream entry ${id}: its "data" field is not JSON`, { cause: error });
        }
      }
    }
  }
  throw new TypeError(`Stream entry ${id} has no "data" field (a deleted entry, or not sluice's)`);
}

/** The raw field list of an entry, for its dead letter. */
export function rawData(fields: string[] | null): string {
  if (fields === null) return "";
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === DATA_FIELD) return fields[i + 1]!;
  }
  return JSON.stringify(fields);
}
