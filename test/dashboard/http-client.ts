import { type IncomingMessage, request } from "node:http";

/** An answer read to its end. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * One HTTP request on a connection of its own (no agent, no keep-alive), so that nothing of
 * the client outlives the test: `fetch` would keep a pooled socket open.
 */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers ?? {}, agent: false },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
        response.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A POST with a JSON body to a control. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return send(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** One Server-Sent Event. */
export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

/** An open event stream: read its events one by one. */
export interface EventReader {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  /** The next event; rejects if the stream ends first. */
  next(): Promise<StreamEvent>;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  /** Drops the connection. */
  close(): void;
}

/** Opens `url` as an event stream (`GET`, one connection of its own). */
export function openEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (response) => {
      const queued: StreamEvent[] = [];
      const waiting: { resolve: (e: StreamEvent) => void; reject: (e: Error) => void }[] = [];
      let buffer = "";
      let done = false;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) continue;
          const parsed = { event, data: JSON.parse(data) as unknown };
          const waiter = waiting.shift();
          if (waiter !== undefined) waiter.resolve(parsed);
          else queued.push(parsed);
        }
      });
      const ended = new Promise<void>((resolveEnd) =>
        response.on("close", () => {
          done = true;
          for (const waiter of waiting.splice(0)) waiter.reject(new Error("The stream ended"));
          resolveEnd();
        }),
      );
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        next: () => {
          const event = queued.shift();
          if (event !== undefined) return Promise.resolve(event);
          if (done) return Promise.reject(new Error("The stream ended"));
          return new Promise((res, rej) => waiting.push({ resolve: res, reject: rej }));
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}
