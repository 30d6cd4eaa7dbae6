// The signed-in user's tokens. The refresh token is kept in localStorage so that a reload keeps the user signed in
// (the API is on another origin in AWS and answers tokens in JSON, so an HttpOnly cookie is not an option without a
// cookie-setting endpoint); the access token, the one that opens the API, lives only in memory and is refreshed
// shortly before it expires: once per expiry, however many requests want it at that moment.
import type { Schema } from "@parley/contract";
import { ApiError } from "./errors";

export type Tokens = Schema<"Tokens">;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type KeyValueStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export const REFRESH_TOKEN_KEY = "parley.refresh_token";
// A token is refreshed a minute before it expires (a fifth of its lifetime when that is shorter).
const REFRESH_MARGIN_MS = 60_000;

/** The session is over (signed out, or the refresh token was refused): the user signs in again. */
export class SessionEnded extends ApiError {
  constructor() {
    super("Your session has ended. Sign in again.", 401, "session_ended");
  }
}

interface AccessToken {
  token: string;
  refreshAt: number;
}

export class Session {
  private access: AccessToken | null = null;
  private refreshToken: string | null;
  private refreshing: Promise<string> | null = null;
  private timer: unknown = null;
  private readonly listeners = new Set<(signedIn: boolean) => void>();

  constructor(
    readonly apiUrl: string,
    private readonly http: typeof fetch,
    private readonly store: KeyValueStore,
    private readonly clock: Clock = systemClock,
  ) {
    this.refreshToken = store.getItem(REFRESH_TOKEN_KEY);
  }

  get signedIn(): boolean {
    return this.refreshToken !== null;
  }

  /** Calls `listener` with true when a session begins and false when it ends; returns the unsubscribe. */
  onChange(listener: (signedIn: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start a session with the tokens of a sign-in or sign-up. */
  begin(tokens: Tokens): void {
    this.refreshToken = tokens.refresh_token;
    this.store.setItem(REFRESH_TOKEN_KEY, tokens.refresh_token);
    this.keep(tokens);
    this.notify(true);
  }

  /** A valid access token: the current one, or a fresh one when it is about to expire. */
  async accessToken(): Promise<string> {
    if (this.refreshToken === null) throw new SessionEnded();
    if (this.access !== null && this.clock.now() < this.access.refreshAt) return this.access.token;
    return this.refresh();
  }

  /** Exchange the refresh token for a new access token; callers at the same moment share one exchange. */
  refresh(): Promise<string> {
    if (this.refreshing === null) {
      this.refreshing = this.exchange().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** `fetch` on the API with the access token; a token refused before its time is refreshed and the request sent
   * once more; refused again, the session ends. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const token = await this.accessToken();
    const response = await this.send(path, init, token);
    if (response.status !== 401) return response;
    const fresh = await (this.access?.token === token ? this.refresh() : this.accessToken());
    const retried = await this.send(path, init, fresh);
    if (retried.status === 401) {
      this.end();
      throw new SessionEnded();
    }
    return retried;
  }

  /** Sign out everywhere (the API revokes the tokens), and forget them here whatever the API answers. */
  async signOut(): Promise<void> {
    try {
      const token = await this.accessToken();
      await this.send("/auth/logout", { method: "POST" }, token);
    } catch {
      // Signed out here all the same; the access token expires on its own.
    } finally {
      this.end();
    }
  }

  private async exchange(): Promise<string> {
    const refreshToken = this.refreshToken;
    if (refreshToken === null) throw new SessionEnded();
    // A network failure is thrown as is: the session stays, and the next request tries again.
    const response = await this.http(`${this.apiUrl}/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    if (this.refreshToken !== refreshToken) throw new SessionEnded(); // signed out meanwhile
    if (!response.ok) {
      this.end();
      throw new SessionEnded();
    }
    const { tokens } = (await response.json()) as Schema<"TokenRefresh">;
    this.keep(tokens);
    return tokens.access_token;
  }

  private keep(tokens: Tokens): void {
    const lifetime = tokens.expires_in * 1000;
    const lead = Math.min(REFRESH_MARGIN_MS, lifetime / 5);
    this.access = { token: tokens.access_token, refreshAt: this.clock.now() + lifetime - lead };
    if (tokens.refresh_token && tokens.refresh_token !== this.refreshToken) {
      this.refreshToken = tokens.refresh_token;
      this.store.setItem(REFRESH_TOKEN_KEY, tokens.refresh_token);
    }
    this.clock.clearTimeout(this.timer);
    // Refreshed ahead of time so a request never waits for it; a failure ends the session (a network failure
    // leaves it to the next request).
    this.timer = this.clock.setTimeout(() => {
      this.refresh().catch(() => undefined);
    }, lifetime - lead);
  }

  private send(path: string, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return this.http(`${this.apiUrl}${path}`, { ...init, headers });
  }

  private end(): void {
    const wasSignedIn = this.refreshToken !== null;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.access = null;
    this.refreshToken = null;
    this.store.removeItem(REFRESH_TOKEN_KEY);
    if (wasSignedIn) this.notify(false);
  }

  private notify(signedIn: boolean): void {
    for (const listener of this.listeners) listener(signedIn);
  }
}
