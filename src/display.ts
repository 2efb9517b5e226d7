/** Formatting of sizes, rates and durations for people. @module */

/** Bytes in binary units with one decimal, e.g. "1.5 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A duration in seconds, e.g. "2.3 s" or "1 min 05 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
}

/** An ISO 8601 time for tables: "2026-12-07 00:13:15Z" (UTC, to the second), the one format shown. */
export function formatTime(iso: string): string {
  return iso.replace("T", " ").replace(/(\.\d+)?Z$/, "Z");
}

/** Bytes as `formatBytes` shows them, without a ".0": "50 GiB", "49.8 GiB", "512 B". */
export function formatSize(bytes: number): string {
  return formatBytes(bytes).replace(/\.0 /, " ");
}

/**
 * A whole number with a comma between groups of three digits: "20,054". Locale-free on purpose
 * (`toLocaleString` loads the locale's number format first, tens of milliseconds in a browser).
 */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
