// Dates written one way across the console: "5 Mar 2025", and "5 Mar 2025, 14:05" for a moment (the browser's time
// zone, 24-hour clock). Days of the API's UTC calendar (analytics, plan periods) are written the same way, in UTC.
const DAY = { day: "numeric", month: "short", year: "numeric" } as const;
const DATE = new Intl.DateTimeFormat("en-GB", DAY);
const MOMENT = new Intl.DateTimeFormat("en-GB", { ...DAY, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const UTC_DAY = new Intl.DateTimeFormat("en-GB", { ...DAY, timeZone: "UTC" });

/** The day of an ISO date-time, in the browser's time zone: "5 Mar 2025". */
export function dateText(iso: string): string {
  return DATE.format(new Date(iso));
}

/** An ISO date-time to the minute, in the browser's time zone: "5 Mar 2025, 14:05". */
export function momentText(iso: string): string {
  return MOMENT.format(new Date(iso));
}

/** A UTC calendar day (`YYYY-MM-DD`, or the start of one as a date-time): "5 Mar 2025". */
export function utcDayText(day: string): string {
  return day ? UTC_DAY.format(new Date(day.length === 10 ? `${day}T00:00:00Z` : day)) : "";
}
