// The session's token rules, with a fake clock and a fake API: refreshed before expiry, once per expiry however many
// requests want a token, a refused refresh ends the session (and never loops), a reload keeps the user signed in.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { REFRESH_TOKEN_KEY, Session, SessionEnded, type Tokens, systemClock } from "../src/api/session";

const API = "https://api.example";
const HOUR_S = 3600;

class MemoryStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

interface Call {
  path: string;
  authorization: string | null;
}

/** An API whose /auth/refresh hands out access-2, access-3…, and whose other routes accept only `accepted`. */
class FakeApi {
  calls: Call[] = [];
  refreshAnswers: number[] = [];
  issued = 1;
  accepted = new Set(["access-1"]);
  // False: the user signed out elsewhere, so even freshly refreshed tokens are refused.
  acceptsNewTokens = true;
  offline = false;
  gate: Promise<void> | null = null;

  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const path = String(input).slice(API.length);
    const authorization = new Headers(init.headers).get("authorization");
    this.calls.push({ path, authorization });
    if (this.offline) throw new TypeError("Failed to fetch");
    if (path === "/auth/refresh") {
      if (this.gate) await this.gate;
      const status = this.refreshAnswers.shift() ?? 200;
      if (status !== 200) return Response.json({ error: { code: "unauthorized", message: "no" } }, { status });
      const token = `access-${++this.issued}`;
      if (this.acceptsNewTokens) this.accepted.add(token);
      return Response.json({ tokens: tokens(token) });
    }
    const token = authorization?.replace("Bearer ", "") ?? "";
    if (!this.accepted.has(token)) return Response.json({ message: "Unauthorized" }, { status: 401 });
    return Response.json({ ok: true });
  };

  refreshes(): number {
    return this.calls.filter((call) => call.path === "/auth/refresh").length;
  }
}

function tokens(access: string, expiresIn = HOUR_S): Tokens {
  return { access_token: access, refresh_token: "refresh-1", expires_in: expiresIn, token_type: "Bearer" };
}

let api: FakeApi;
let store: MemoryStore;

beforeEach(() => {
  vi.useFakeTimers();
  api = new FakeApi();
  store = new MemoryStore();
});

afterEach(() => {
  vi.useRealTimers();
});

function signedIn(): Session {
  const session = new Session(API, api.fetch, store, systemClock);
  session.begin(tokens("access-1"));
  return session;
}

describe("refreshing the access token", () => {
  it("keeps the token until shortly before it expires, then refreshes it once on its own", async () => {
    // Given a session whose access token lives an hour
    const session = signedIn();
    // When 58 minutes pass, Then no refresh has happened and requests use the first token
    await vi.advanceTimersByTimeAsync(58 * 60_000);
    expect(api.refreshes()).toBe(0);
    expect(await session.accessToken()).toBe("access-1");
    // When the last minute begins, Then exactly one refresh happened, before the token expired
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.refreshes()).toBe(1);
    expect(await session.accessToken()).toBe("access-2");
    // And the next one comes an hour later, not before
    await vi.advanceTimersByTimeAsync(58 * 60_000);
    expect(api.refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.refreshes()).toBe(2);
  });

  it("gives concurrent requests one shared refresh when the token is due", async () => {
    // Given a token that is due (its timer held back, as a background tab's may be)
    const session = signedIn();
    vi.setSystemTime(Date.now() + 59.5 * 60_000);
    let release!: () => void;
    api.gate = new Promise((resolve) => (release = resolve));
    // When five requests start at once
    const answers = Promise.all([1, 2, 3, 4, 5].map(() => session.fetch("/chatbots")));
    release();
    const responses = await answers;
    // Then one refresh served them all, and each request carried the new token
    expect(api.refreshes()).toBe(1);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    const authorizations = api.calls.filter((call) => call.path === "/chatbots").map((call) => call.authorization);
    expect(new Set(authorizations)).toEqual(new Set(["Bearer access-2"]));
  });

  it("refreshes once and retries once when the API refuses a token before its time", async () => {
    // Given a token the API no longer accepts (keys rotated), well before its expiry
    const session = signedIn();
    api.accepted.delete("access-1");
    // When two requests meet the refusal
    const responses = await Promise.all([session.fetch("/chatbots"), session.fetch("/auth/me")]);
    // Then one refresh, and both succeed on their retry
    expect(api.refreshes()).toBe(1);
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
  });

  it("ends the session when the refresh is refused, and tries no more", async () => {
    // Given a session whose refresh token the API refuses
    const session = signedIn();
    const changes: boolean[] = [];
    session.onChange((now) => changes.push(now));
    api.refreshAnswers = [400];
    // When the token comes due
    await vi.advanceTimersByTimeAsync(59 * 60_000);
    // Then the session ended (the console shows sign-in) and the refresh token is forgotten
    expect(changes).toEqual([false]);
    expect(session.signedIn).toBe(false);
    expect(store.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    // And later requests fail at once, with no other refresh, however long one waits
    await expect(session.fetch("/chatbots")).rejects.toBeInstanceOf(SessionEnded);
    await vi.advanceTimersByTimeAsync(10 * HOUR_S * 1000);
    expect(api.refreshes()).toBe(1);
  });

  it("ends the session when the API refuses even the fresh token, without looping", async () => {
    // Given a user signed out elsewhere: every access token is refused, refreshing still answers
    const session = signedIn();
    api.accepted.clear();
    api.acceptsNewTokens = false;
    // When a request is made
    await expect(session.fetch("/chatbots")).rejects.toBeInstanceOf(SessionEnded);
    // Then it was tried twice around one refresh, and the session is over
    expect(api.calls.map((call) => call.path)).toEqual(["/chatbots", "/auth/refresh", "/chatbots"]);
    expect(session.signedIn).toBe(false);
  });

  it("keeps the session when the API cannot be reached, and lets the next request try again", async () => {
    // Given a due token and no network
    const session = signedIn();
    vi.setSystemTime(Date.now() + 59.5 * 60_000);
    api.offline = true;
    // When a request wants a token, Then it fails as a network failure and the user stays signed in
    await expect(session.accessToken()).rejects.toBeInstanceOf(TypeError);
    expect(session.signedIn).toBe(true);
    // And once the network is back, the next request refreshes
    api.offline = false;
    expect(await session.accessToken()).toBe("access-2");
  });
});

describe("where tokens live", () => {
  it("keeps only the refresh token in storage, so a reload stays signed in and refreshes first", async () => {
    // Given a signed-in session
    signedIn();
    expect([...store.items.entries()]).toEqual([[REFRESH_TOKEN_KEY, "refresh-1"]]);
    // When the page reloads (a new session over the same storage)
    const reloaded = new Session(API, api.fetch, store, systemClock);
    // Then it is signed in, and its first request gets an access token from a refresh
    expect(reloaded.signedIn).toBe(true);
    const response = await reloaded.fetch("/auth/me");
    expect(response.status).toBe(200);
    expect(api.calls.map((call) => call.path)).toEqual(["/auth/refresh", "/auth/me"]);
  });

  it("signs out at the API and forgets the tokens here", async () => {
    const session = signedIn();
    await session.signOut();
    expect(api.calls).toEqual([{ path: "/auth/logout", authorization: "Bearer access-1" }]);
    expect(session.signedIn).toBe(false);
    expect(store.items.size).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * HOUR_S * 1000);
    expect(api.refreshes()).toBe(0);
  });
});
