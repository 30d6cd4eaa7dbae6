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

/** What a cited document is called: its name (a web page's is its title), or, for a web page named by its address
 * (one without a title), the last part of its path (`manual.pdf`), else its host. */
export function documentName(filename: string, url: string | null | undefined): string {
  if (!url || filename !== url) return filename;
  try {
    const parsed = new URL(url);
    const last = parsed.pathname.split("/").filter(Boolean).pop();
    return last ? decodeURIComponent(last) : parsed.host;
  } catch {
    return filename;
  }
}

/** Where the HTTP API's reference is: beside the API (`make run` serves it at /docs). */
export function docsUrl(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, "")}/docs`;
}
