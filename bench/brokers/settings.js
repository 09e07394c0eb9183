/** Jobs in flight per consumer process, in every B1 contender. */
export const IN_FLIGHT = 50;
