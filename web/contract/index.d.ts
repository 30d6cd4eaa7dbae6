// The one import of the front ends: API shapes by schema name, and the WebSocket frames.
import type { components, paths } from "./api";
import type { Frames } from "./frames";

export type { paths };
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];
export type ClientFrame = Frames["client"];
export type ServerFrame = Frames["server"];
export type { Citation, CitationsFrame, DoneFrame, ErrorFrame, StartFrame, TokenFrame } from "./frames";

/** config.json, served beside the front ends and written at deploy (local/stack/web.py serves the local one). */
export interface RuntimeConfig {
  /** The owners' HTTP API (CORS: the console's origins). */
  apiUrl: string;
  /** The visitors' HTTP API, /public/* (CORS: every origin). */
  publicApiUrl: string;
  websocketUrl: string;
  /** Written at deploy (functions/web_config), absent locally. */
  region?: string;
  userPoolClientId?: string;
}
