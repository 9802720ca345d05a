// Gateway API durations (GEP-2257): one to four components of 1-5 digits and a unit h, m, s or
// ms; the total is the sum of the components (units may repeat). Parsed to milliseconds.

const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const COMPONENT = /([0-9]{1,5})(ms|h|m|s)/g;

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** Milliseconds, or undefined when the string is not a valid GEP-2257 duration. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(COMPONENT)) {
    total += Number.parseInt(m[1] ?? '0', 10) * (UNIT_MS[m[2] ?? ''] ?? 0);
  }
  return total;
}
