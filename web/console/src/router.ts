// Hash routes (`#/chatbots/<id>/documents`): locally the console shares its origin with the API, whose paths
// (/chatbots/…) a path-based route would collide with.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "signin" }
  | { page: "signup" }
  | { page: "chatbots" }
  | { page: "chatbot"; id: string; tab: ChatbotTab }
  | { page: "usage" }
  | { page: "missing" };

export const CHATBOT_TABS = ["settings", "documents", "playground", "embed"] as const;
export type ChatbotTab = (typeof CHATBOT_TABS)[number];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: "chatbots" };
  if (parts.length === 1 && (parts[0] === "signin" || parts[0] === "signup" || parts[0] === "chatbots")) {
    return { page: parts[0] };
  }
  if (parts.length === 1 && parts[0] === "usage") return { page: "usage" };
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
