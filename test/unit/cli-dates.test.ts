import { describe, expect, it } from 'vitest';
import { expiryInstant, filterDate, parseWhen } from '../../src/cli/dates.js';

// Wednesday 2024-03-13, 15:30 local time.
const now = new Date(2024, 2, 13, 15, 30);
const past = { direction: 'past', bound: 'start', now } as const;

describe('dates as people type them', () => {
  it('calendar days, months and years: the first or the last instant of the span', async () => {
    expect(await parseWhen('2024-03-15', '--since', past)).toEqual(new Date(2024, 2, 15));
    expect(await parseWhen('2024-03', '--since', past)).toEqual(new Date(2024, 2, 1));
    expect(await parseWhen('2024-02', '--before', { ...past, bound: 'end' })).toEqual(
      new Date(2024, 2, 1, 0, 0, 0, -1),
    );
    expect(await parseWhen('2023', '--before', { ...past, bound: 'end' })).toEqual(new Date(2024, 0, 1, 0, 0, 0, -1));
    expect(await filterDate('2024-02', '--before')).toBe('2024-02-29');
    expect(await filterDate('2024-02', '--after')).toBe('2024-02-01');
  });

  it('amounts count back for --since and forward for --expires', async () => {
    expect(await parseWhen('7d', '--since', past)).toEqual(new Date(now.getTime() - 7 * 86_400_000));
    expect(await parseWhen('12h', '--since', past)).toEqual(new Date(now.getTime() - 12 * 3_600_000));
    expect(await expiryInstant('30d', now)).toBe(new Date(now.getTime() + 30 * 86_400_000).toISOString());
  });

  it('words through chrono-node', async () => {
    expect((await parseWhen('yesterday', '--since', past)).getDate()).toBe(12);
    const lastWeek = await parseWhen('last week', '--since', past);
    expect(now.getTime() - lastWeek.getTime()).toBeGreaterThanOrEqual(6 * 86_400_000);
    // A bare weekday is the coming one for an expiry; looking back, a day still ahead is refused.
    const future = { direction: 'future', bound: 'end', now } as const;
    expect((await parseWhen('friday', '--expires', future)).getDate()).toBe(15);
    await expect(parseWhen('friday', '--since', past)).rejects.toThrow('say "last friday"');
    expect((await parseWhen('last friday', '--since', past)).getDate()).toBe(8);
  });

  it('nonsense, impossible days and past expiries are refused with the forms to use', async () => {
    await expect(parseWhen('someday soonish', '--since', past)).rejects.toThrow(
      '--since "someday soonish" is not a date; try 2024-03-15',
    );
    await expect(parseWhen('2024-02-31', '--since', past)).rejects.toThrow(/not a date/);
    await expect(parseWhen('2024-13', '--since', past)).rejects.toThrow(/not a date/);
    await expect(expiryInstant('2024-03-01', now)).rejects.toThrow('--expires "2024-03-01" is in the past');
  });
});
