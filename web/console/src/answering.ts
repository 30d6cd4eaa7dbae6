// How this deployment answers (GET /usage's `answers`), for the pages that show it: the model settings, the
// chatbots' list, the playground.
import { useEffect, useState } from "preact/hooks";
import type { AnswerOptions } from "./api/client";
import { useConsole } from "./context";

/** The answer options once read (null until then, or if they could not be: the pages then show what they did). */
export function useAnswerOptions(): AnswerOptions | null {
  const { api } = useConsole();
  const [options, setOptions] = useState<AnswerOptions | null>(null);
  useEffect(() => {
    let current = true;
    api.answerOptions().then(
      (read) => current && setOptions(read),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, []);
  return options;
}
