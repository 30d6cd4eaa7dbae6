// Reading again what the back end is still working on: every two seconds while it works, not once it is done.

export const POLL_MS = 2000;

/**
 * Reads `read()` every `everyMs` and hands each result to `show`, until `settled(result)`; a failed read goes to
 * `failed` and is tried again. Returns what stops it (an effect's cleanup).
 */
export function pollUntil<T>(
  read: () => Promise<T>,
  settled: (value: T) => boolean,
  show: (value: T) => void,
  failed: (error: unknown) => void,
  everyMs: number = POLL_MS,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try {
      const value = await read();
      if (stopped) return;
      show(value);
      if (settled(value)) return;
    } catch (error) {
      if (stopped) return;
      failed(error);
    }
    timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, everyMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
