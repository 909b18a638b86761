/**
 * Dates as people type them, for --since, --after, --before and --expires:
 * 2024-03-15, 2024-03, 2024, 7d / 12h / 45m / 2w (ago, or from now for
 * expiries), and words chrono-node reads (yesterday, last week, next friday).
 */
import { UsageError } from './errors.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const FORMS = '2024-03-15, 2024-03, 2024, 7d, 12h, yesterday, last week';

/** One day, month or year as its first and last instant (local time). */
function calendarSpan(text: string): { start: Date; end: Date } | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), m[2] ? Number(m[2]) - 1 : undefined, m[3] ? Number(m[3]) : undefined];
  if (month !== undefined && month > 11) return undefined;
  const start = new Date(year, month ?? 0, day ?? 1);
  if (day !== undefined && start.getDate() !== day) return undefined; // 2024-02-31
  const end =
    day !== undefined
      ? new Date(year, month ?? 0, day + 1)
      : month !== undefined
        ? new Date(year, month + 1, 1)
        : new Date(year + 1, 0, 1);
  return { start, end: new Date(end.getTime() - 1) };
}

/**
 * `text` as an instant. `direction` says which way a bare amount ("7d") counts from now; `bound` picks a
 * calendar span's first or last instant (--after 2024-03 is March 1st, --before 2024-03 is March 31st).
 */
export async function parseWhen(
  text: string,
  option: string,
  { direction, bound, now = new Date() }: { direction: 'past' | 'future'; bound: 'start' | 'end'; now?: Date },
): Promise<Date> {
  const trimmed = text.trim().toLowerCase();
  const amount = /^(\d{1,5})\s*([mhdw])$/.exec(trimmed);
  if (amount) {
    const ms = Number(amount[1]) * UNIT_MS[amount[2] as keyof typeof UNIT_MS];
    return new Date(now.getTime() + (direction === 'past' ? -ms : ms));
  }
  const span = calendarSpan(trimmed);
  if (span) return bound === 'start' ? span.start : span.end;
  if (/^\d{4}-\d{2}-\d{2}t/.test(trimmed) && !Number.isNaN(Date.parse(text))) return new Date(text);
  // chrono-node is large: loaded only for dates in words.
  const { parseDate } = await import('chrono-node');
  const words = parseDate(trimmed, now, { forwardDate: direction === 'future' });
  if (!words) throw new UsageError(`${option} "${text}" is not a date; try ${FORMS}`);
  // chrono reads a bare "friday" as this week's: looking back, a day still ahead is not what was meant.
  if (direction === 'past' && words.getTime() > now.getTime())
    throw new UsageError(
      `${option} "${text}" is in the future (${localDate(words)}); say "last ${trimmed}" or give a date`,
    );
  return words;
}

/** A local calendar date as YYYY-MM-DD (the search filters' date form). */
export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** --after / --before for search filters: a calendar date. */
export const filterDate = async (text: string, option: '--after' | '--before'): Promise<string> =>
  localDate(await parseWhen(text, option, { direction: 'past', bound: option === '--after' ? 'start' : 'end' }));

/** --since: an instant in the past. */
export const sinceInstant = async (text: string): Promise<string> =>
  (await parseWhen(text, '--since', { direction: 'past', bound: 'start' })).toISOString();

/** --expires: an instant in the future (a date means the end of that day). */
export async function expiryInstant(text: string, now = new Date()): Promise<string> {
  const at = await parseWhen(text, '--expires', { direction: 'future', bound: 'end', now });
  if (at.getTime() <= now.getTime())
    throw new UsageError(`--expires "${text}" is in the past (${at.toISOString()}); give a later date or 30d`);
  return at.toISOString();
}
