const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "1800", "45s", "30m", "12h" or "7d" into seconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const [, amount, unit] = match;
  return Number(amount) * (UNIT_SECONDS[unit || "s"] ?? 1);
}
