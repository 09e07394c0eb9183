import assert from "node:assert/strict";
import { type AcknowledgedSource, from, type Run } from "../../src/index.js";

/** An order of a customer: the partition tests' item, keyed by `customer`. */
export interface Order {
  readonly customer: string;
  readonly seq: number;
}

/** 20 customers × `perCustomer` orders, interleaved. */
export function orders(perCustomer: number): Order[] {
  const out: Order[] = [];
  for (let seq = 0; seq < perCustomer; seq++) {
    for (let c = 0; c < 20; c++) out.push({ customer: `c${c}`, seq });
  }
  return out;
}

/** Notes `order` in `seen`: each customer's sequence numbers, in the order processed. */
export function record(seen: Map<string, number[]>, order: Order): void {
  seen.set(order.customer, [...(seen.get(order.customer) ?? []), order.seq]);
}

/** Asserts each customer's orders were processed once each, 0 … perCustomer − 1 in order. */
export function assertEachInOrder(seen: ReadonlyMap<string, number[]>, perCustomer: number): void {
  for (const [customer, seqs] of seen) {
    assert.deepEqual(
      seqs,
      Array.from({ length: perCustomer }, (_, i) => i),
      `${customer}'s orders in order`,
    );
  }
}

/**
 * A partition worker of the tests: each order handled in turn (1 ms each, so a worker holds
 * its partitions a while), then given to `handled`.
 */
export function orderWorker(
  source: AcknowledgedSource<Order>,
  handled: (order: Order) => void,
): Run<never> {
  return from(source)
    .map(
      async (order: Order) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return order;
      },
      { concurrency: 1 },
    )
    .forEach(handled)
    .run();
}
