// Hash routes (`#/chatbots/<id>/documents`): locally the console shares its origin with the API, whose paths
// (/chatbots/…) a path-based route would collide with.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "signin" }
  | { page: "signup" }
  | { page: "chatbots" }
  | { page: "chatbot"; id: string; tab: ChatbotTab }
  | { page: "keys" }
  | { page: "team" }
  | { page: "join"; code: string }
  | { page: "usage" }
  | { page: "inbox" }
  | { page: "missing" };

export const CHATBOT_TABS = [
  "settings",
  "documents",
  "sources",
  "playground",
  "embed",
  "conversations",
  "analytics",
  "gaps",
] as const;
export type ChatbotTab = (typeof CHATBOT_TABS)[number];

const PLAIN_PAGES = ["signin", "signup", "chatbots", "keys", "team", "usage", "inbox"] as const;
type PlainPage = (typeof PLAIN_PAGES)[number];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "chatbots" };
  if (parts.length === 1 && (PLAIN_PAGES as readonly string[]).includes(parts[0])) {
    return { page: parts[0] as PlainPage };
  }
  if (parts[0] === "join" && parts.length === 2 && parts[1]) return { page: "join", code: parts[1] };
  if (parts[0] === "chatbots" && parts.length <= 3 && parts[1]) {
    const tab = (parts[2] ?? "settings") as ChatbotTab;
    if (CHATBOT_TABS.includes(tab)) return { page: "chatbot", id: parts[1], tab };
  }
  return { page: "missing" };
}

export function href(route: Route): string {
  switch (route.page) {
    case "chatbot":
      return `#/chatbots/${encodeURIComponent(route.id)}/${route.tab}`;
    case "join":
      return `#/join/${encodeURIComponent(route.code)}`;
    case "missing":
      return "#/";
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}
