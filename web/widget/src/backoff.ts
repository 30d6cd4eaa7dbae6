// Reconnect delays: doubling from one second up to thirty, each drawn from its upper half ("equal jitter"), so that
// the visitors of a page whose connections dropped together do not all come back in the same instant.
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 30_000;

/** How long to wait before reconnect attempt number `attempt` (0 for the first), given a random number in [0, 1). */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
