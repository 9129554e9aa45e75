// The one way the app calls the server: same origin, relative to the app's <base>, the
// session cookie sent by the browser, and the custom header that state-changing calls need
// (a cross-site form cannot send it; see src/sluice/server/auth.py).
import type { components } from "./schema";

export type RunSummary = components["schemas"]["RunSummary"];
export type RunDetail = components["schemas"]["RunDetail"];
export type RunSpec = components["schemas"]["RunSpec"];
export type RunSummaryPage = components["schemas"]["RunSummaryPage"];
export type RunGraph = components["schemas"]["RunGraph"];
export type GraphNode = components["schemas"]["GraphNode"];
export type GraphEdge = components["schemas"]["GraphEdge"];
export type GraphArtifact = components["schemas"]["GraphArtifact"];
export type TaskDetail = components["schemas"]["TaskDetail"];
export type Session = components["schemas"]["Session"];
export type CacheInfo = components["schemas"]["CacheInfo"];

export const UI_API = "apis/sluice/v1";
export const KFP_API = "apis/v2beta1";

/** An error answer of the API, with the server's one-line message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** A URL of the server, resolved against the app's <base> (works behind a path prefix). */
export function apiUrl(path: string, params?: Record<string, string | number | undefined>): string {
  const url = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  return url.toString();
}

/** Call the API and parse its JSON answer; throws ApiError with the server's message. */
export async function api<T>(path: string, init: RequestInit = {}, params?: Record<string, string | number | undefined>): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  const method = (init.method ?? "GET").toUpperCase();
  if (method !== "GET" && method !== "HEAD") headers.set("X-Sluice-Request", "1");
  if (init.body !== undefined && !(init.body instanceof FormData) && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const response = await fetch(apiUrl(path, params), { ...init, headers, credentials: "same-origin" });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { message?: string };
      if (body.message) message = body.message;
    } catch {
      // not JSON: keep the status line
    }
    if (response.status === 401) window.dispatchEvent(new Event("sluice:unauthenticated"));
    throw new ApiError(response.status, message);
  }
  return (await response.json()) as T;
}
