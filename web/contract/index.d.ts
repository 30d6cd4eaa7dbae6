// The one import of the front ends: API shapes by schema name, and the WebSocket frames.
import type { components, paths } from "./api";
import type { Frames } from "./frames";

export type { paths };
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];
export type ClientFrame = Frames["client"];
export type ServerFrame = Frames["server"];
export type { Citation, CitationsFrame, DoneFrame, ErrorFrame, StartFrame, TokenFrame } from "./frames";
