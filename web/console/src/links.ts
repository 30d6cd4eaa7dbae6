// Addresses that come from documents (a cited web page's) become links only when they are web pages' addresses.

/** The address as a link target when it is a web page's (http or https); anything else (javascript:…) is no link. */
export function externalHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}
