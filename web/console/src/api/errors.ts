// What the console shows when a request fails: the API's own sentence, never a stack.

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The error a failed response carries: Parley's `{"error": {code, message}}` or API Gateway's `{"message"}`. */
export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: a proxy's page or an empty body
  }
  if (isRecord(body)) {
    const error = body["error"];
    if (isRecord(error) && typeof error["message"] === "string") {
      return new ApiError(error["message"], response.status, String(error["code"] ?? "error"));
    }
    if (typeof body["message"] === "string") {
      return new ApiError(body["message"], response.status, "gateway");
    }
  }
  return new ApiError(`The server answered ${response.status} ${response.statusText}`.trim(), response.status, "http");
}

/** A sentence for anything thrown: an ApiError's message, or a network failure said plainly. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "The server could not be reached. Check your connection and try again.";
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
