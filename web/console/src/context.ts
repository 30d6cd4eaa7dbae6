// What every page reaches: the runtime config and the API, signed in as the current user.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Accounts, Api } from "./api/client";
import type { Session } from "./api/session";
import type { RuntimeConfig } from "./config";

export interface Console {
  config: RuntimeConfig;
  session: Session;
  accounts: Accounts;
  api: Api;
}

export const ConsoleContext = createContext<Console | null>(null);

export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (value === null) throw new Error("useConsole outside the console");
  return value;
}
