// Where the APIs are: written next to the console at deploy (config.json), never built into it.
import type { RuntimeConfig as DeployedConfig } from "@parley/contract";
import { isRecord } from "./api/errors";

/** What the console reads of config.json (the visitors' API is the widget's). */
export type RuntimeConfig = Pick<DeployedConfig, "apiUrl" | "websocketUrl">;

export async function loadConfig(http: typeof fetch = fetch): Promise<RuntimeConfig> {
  const response = await http(new URL("config.json", document.baseURI), { cache: "no-cache" });
  if (!response.ok) throw new Error(`The console's config.json could not be read (${response.status}).`);
  const config: unknown = await response.json();
  if (!isRecord(config) || typeof config["apiUrl"] !== "string" || typeof config["websocketUrl"] !== "string") {
    throw new Error("The console's config.json does not name apiUrl and websocketUrl.");
  }
  return { apiUrl: config["apiUrl"].replace(/\/$/, ""), websocketUrl: config["websocketUrl"] };
}
