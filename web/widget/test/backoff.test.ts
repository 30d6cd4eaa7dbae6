import { describe, expect, it } from "vitest";
import { FIRST_DELAY_MS, MAX_DELAY_MS, reconnectDelay } from "../src/backoff";

describe("reconnectDelay", () => {
  it("waits between half and all of one second before the first attempt", () => {
    expect(reconnectDelay(0, () => 0)).toBe(FIRST_DELAY_MS / 2);
    expect(reconnectDelay(0, () => 0.999999)).toBe(FIRST_DELAY_MS);
  });

  it("doubles its ceiling with each attempt", () => {
    const ceilings = [0, 1, 2, 3, 4].map((attempt) => reconnectDelay(attempt, () => 0.999999));

    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it("never waits longer than thirty seconds however many attempts failed", () => {
    expect(reconnectDelay(5, () => 0.999999)).toBe(MAX_DELAY_MS);
    expect(reconnectDelay(60, () => 0.999999)).toBe(MAX_DELAY_MS);
    expect(reconnectDelay(60, () => 0)).toBe(MAX_DELAY_MS / 2);
  });

  it("spreads visitors that dropped together over the upper half of the window", () => {
    const delays = [0.1, 0.4, 0.7].map((draw) => reconnectDelay(3, () => draw));

    expect(new Set(delays).size).toBe(3);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(4_000);
      expect(delay).toBeLessThanOrEqual(8_000);
    }
  });
});
