/**
 * Apple Health's `export.xml`, read as it streams (saxes): real exports are hundreds of MB of `<Record>`
 * elements, far more than any one passage should hold. Records are grouped per kind and per day as they pass
 * — a sum for cumulative kinds (steps, energy, distance), an average and range for others (heart rate,
 * weight), time per value for categories (sleep stages) — so memory holds one small tally per kind and day,
 * never the document. Each kind becomes one document, a section per month, a line per day; workouts,
 * activity rings, clinical-record references and the profile (`<Me>`) become documents of their own.
 */
import { createHash } from 'node:crypto';
import { SaxesParser } from 'saxes';
import type { Section } from '../../schemas/document.js';
import { isoDate } from '../decode.js';
import { asParseError, ParseError } from '../errors.js';
import type { ParsedBody } from '../types.js';

/** True when an XML file's first bytes are an Apple Health export's (its DOCTYPE or root element). */
export function isHealthExport(head: Uint8Array): boolean {
  return /<!DOCTYPE\s+HealthData\b|<HealthData\b/.test(Buffer.from(head).toString('latin1'));
}

/** Bounds on what the tallies may hold: beyond them the export is refused (`too_large`), not half read. */
const MAX_KINDS = 1_000;
const MAX_DAY_TALLIES = 500_000;
const MAX_LISTED = 200_000;
/** Readings of one kind on one day listed one by one; more are summarised. */
const LISTED_PER_DAY = 3;

/** Quantity kinds whose daily figure is a sum (HealthKit's cumulative quantity types). */
const CUMULATIVE = new Set([
  'StepCount',
  'DistanceWalkingRunning',
  'DistanceCycling',
  'DistanceSwimming',
  'DistanceWheelchair',
  'DistanceDownhillSnowSports',
  'ActiveEnergyBurned',
  'BasalEnergyBurned',
  'FlightsClimbed',
  'AppleExerciseTime',
  'AppleStandTime',
  'AppleMoveTime',
  'PushCount',
  'SwimmingStrokeCount',
  'NumberOfTimesFallen',
  'TimeInDaylight',
  'NikeFuel',
]);

interface DayTally {
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** The first few readings with their times, listed when the day has no more than LISTED_PER_DAY. */
  readings: string[];
  /** Categories: seconds and records per value. */
  values?: Map<string, { seconds: number; count: number }>;
}

interface Kind {
  label: string;
  cumulative: boolean;
  days: Map<string, DayTally>;
  elements: number;
}

/** `HKQuantityTypeIdentifierHeartRate` → `Heart rate`; `AsleepCore` → `Asleep core`. */
function words(identifier: string): string {
  const spaced = identifier.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  return spaced.charAt(0) + spaced.slice(1).toLowerCase();
}

const KIND_PREFIX = /^HK(?:Quantity|Category|Correlation|Clinical|DataType|Characteristic)?(?:TypeIdentifier)?/;
const kindName = (type: string) => type.replace(KIND_PREFIX, '') || type;

/** `2024-03-01 07:12:03 +0100` → [`2024-03-01`, `07:12`]; undefined when not such a date. */
function dayAndTime(value: string | undefined): [string, string] | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})/.exec(value ?? '');
  return m?.[1] && m[2] ? [m[1], m[2]] : undefined;
}

const round = (n: number) => String(Math.round(n * 100) / 100);

function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

function dayLine(day: string, kind: Kind, t: DayTally): string {
  if (t.values) {
    const parts = [...t.values].map(([v, s]) => (s.seconds > 0 ? `${v} ${duration(s.seconds)}` : `${v} ×${s.count}`));
    return `${day}: ${parts.join(', ')}`;
  }
  const unit = t.unit ? ` ${t.unit}` : '';
  if (kind.cumulative) return `${day}: ${round(t.sum)}${unit} in total (${t.count} records)`;
  if (t.count <= LISTED_PER_DAY) return `${day}: ${t.readings.join('; ')}`;
  return `${day}: ${round(t.sum / t.count)}${unit} on average, ${round(t.min)}–${round(t.max)} (${t.count} readings)`;
}

/** A document's lines grouped into one section per month (`YYYY-MM`), in date order. */
function byMonth(label: string, lines: ReadonlyArray<[day: string, line: string]>): Section[] {
  const months = new Map<string, string[]>();
  for (const [day, line] of [...lines].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const month = day.slice(0, 7);
    const list = months.get(month) ?? [];
    if (!list.length) months.set(month, list);
    list.push(line);
  }
  return [...months].map(([month, list]) => ({ heading: `${label}, ${month}`, text: list.join('\n') }));
}

/** One document derived from the export; `key` names it within the export (its `source` suffix). */
export interface HealthDocument {
  id: string;
  key: string;
  /** The export's bytes attributed to it (its share of the export's elements). */
  size: number;
  body: ParsedBody;
}

class Tally {
  readonly kinds = new Map<string, Kind>();
  readonly listed = new Map<string, { label: string; lines: Array<[string, string]>; elements: number }>();
  private dayTallies = 0;
  private listedLines = 0;
  profile: string[] = [];
  profileElements = 0;

  record(a: Record<string, string>): void {
    const type = a.type ?? '';
    const when = dayAndTime(a.startDate);
    if (!type || !when) return;
    let kind = this.kinds.get(type);
    if (!kind) {
      if (this.kinds.size >= MAX_KINDS)
        throw new ParseError('too_large', `export has over ${MAX_KINDS} kinds of record`);
      const name = kindName(type);
      kind = {
        label: words(name),
        cumulative: CUMULATIVE.has(name) || name.startsWith('Dietary'),
        days: new Map(),
        elements: 0,
      };
      this.kinds.set(type, kind);
    }
    kind.elements++;
    const [day, time] = when;
    let t = kind.days.get(day);
    if (!t) {
      if (++this.dayTallies > MAX_DAY_TALLIES)
        throw new ParseError('too_large', `export has over ${MAX_DAY_TALLIES} days of records`);
      t = { unit: a.unit ?? '', count: 0, sum: 0, min: Infinity, max: -Infinity, readings: [] };
      kind.days.set(day, t);
    }
    t.count++;
    const value = a.value ?? '';
    const number = Number(value);
    if (value !== '' && Number.isFinite(number) && !type.startsWith('HKCategory')) {
      t.sum += number;
      t.min = Math.min(t.min, number);
      t.max = Math.max(t.max, number);
      if (t.readings.length < LISTED_PER_DAY) t.readings.push(`${time} ${round(number)}${t.unit ? ` ${t.unit}` : ''}`);
      return;
    }
    // A category (sleep stage, stand hour, symptom): time spent per value.
    const shown = words(value.replace(/^HKCategoryValue/, '').replace(kindName(type), '') || value || 'recorded');
    t.values ??= new Map();
    const start = Date.parse((a.startDate ?? '').replace(' ', 'T').replace(' ', ''));
    const end = Date.parse((a.endDate ?? '').replace(' ', 'T').replace(' ', ''));
    const s = t.values.get(shown) ?? { seconds: 0, count: 0 };
    if (!t.values.has(shown)) t.values.set(shown, s);
    s.count++;
    if (Number.isFinite(start) && Number.isFinite(end) && end > start) s.seconds += (end - start) / 1000;
  }

  list(key: string, label: string, day: string, line: string): void {
    if (++this.listedLines > MAX_LISTED) throw new ParseError('too_large', `export has over ${MAX_LISTED} entries`);
    let l = this.listed.get(key);
    if (!l) {
      l = { label, lines: [], elements: 0 };
      this.listed.set(key, l);
    }
    l.elements++;
    l.lines.push([day, line]);
  }

  workout(a: Record<string, string>): void {
    const when = dayAndTime(a.startDate);
    if (!when) return;
    const activity = words((a.workoutActivityType ?? 'Workout').replace(/^HKWorkoutActivityType/, ''));
    const parts = [activity];
    const add = (value: string | undefined, unit: string | undefined) => {
      if (value && Number.isFinite(Number(value))) parts.push(`${round(Number(value))}${unit ? ` ${unit}` : ''}`);
    };
    add(a.duration, a.durationUnit);
    add(a.totalDistance, a.totalDistanceUnit);
    add(a.totalEnergyBurned, a.totalEnergyBurnedUnit);
    if (a.sourceName) parts.push(`recorded by ${a.sourceName}`);
    this.list('Workouts', 'Workouts', when[0], `${when[0]} ${when[1]}: ${parts.join(', ')}`);
  }

  activity(a: Record<string, string>): void {
    const day = a.dateComponents ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return;
    const ring = (name: string, value?: string, goal?: string, unit?: string) =>
      value
        ? `${name} ${round(Number(value))}${goal ? ` of ${round(Number(goal))}` : ''}${unit ? ` ${unit}` : ''}`
        : '';
    const parts = [
      ring('move', a.activeEnergyBurned, a.activeEnergyBurnedGoal, a.activeEnergyBurnedUnit),
      ring('exercise', a.appleExerciseTime, a.appleExerciseTimeGoal, 'min'),
      ring('stand', a.appleStandHours, a.appleStandHoursGoal, 'h'),
    ].filter(Boolean);
    if (parts.length) this.list('ActivitySummary', 'Activity rings', day, `${day}: ${parts.join(', ')}`);
  }

  clinical(a: Record<string, string>): void {
    const when = dayAndTime(a.receivedDate) ?? dayAndTime(a.startDate);
    if (!when) return;
    const kind = words(kindName(a.type ?? 'ClinicalRecord'));
    const from = a.sourceName ? ` from ${a.sourceName}` : '';
    const file = a.resourceFilePath ? ` (${a.resourceFilePath.replace(/^\//, '')})` : '';
    this.list('ClinicalRecord', 'Clinical records', when[0], `${when[0]}: ${kind}${from}${file}`);
  }

  me(a: Record<string, string>): void {
    this.profileElements++;
    for (const [name, value] of Object.entries(a)) {
      const shown = value.replace(/^HK(?:BiologicalSex|BloodType|FitzpatrickSkinType|CardioFitnessMedicationsUse)/, '');
      if (shown && shown !== 'NotSet') this.profile.push(`${words(kindName(name))}: ${words(shown)}`);
    }
  }
}

/** Reads a whole export from its stream and returns its documents, or throws a ParseError. */
export async function healthDocuments(stream: AsyncIterable<Uint8Array>): Promise<HealthDocument[]> {
  const tally = new Tally();
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8');
  const parser = new SaxesParser({ position: false });
  let depth = 0;
  let exportDate: string | undefined;
  let sawRoot = false;
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => {
    const a = tag.attributes as Record<string, string>; // plain names: the parser tracks no namespaces
    if (depth === 0) sawRoot = tag.name === 'HealthData';
    else if (depth === 1) {
      if (tag.name === 'Record') tally.record(a);
      else if (tag.name === 'Workout') tally.workout(a);
      else if (tag.name === 'ActivitySummary') tally.activity(a);
      else if (tag.name === 'ClinicalRecord') tally.clinical(a);
      else if (tag.name === 'Me') tally.me(a);
      else if (tag.name === 'ExportDate') exportDate = a.value;
    }
    depth++;
  });
  parser.on('closetag', () => {
    depth--;
  });
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      bytes += chunk.length;
      hash.update(chunk);
      parser.write(decoder.decode(chunk, { stream: true }));
    }
    parser.write(decoder.decode()).close();
  } catch (e) {
    throw e instanceof ParseError ? e : asParseError(e, 'unreadable Apple Health export');
  }
  if (!sawRoot) throw new ParseError('format_mismatch', 'content is not an Apple Health export (no <HealthData>)');
  return assemble(tally, hash.digest('hex'), bytes, exportDate);
}

function assemble(tally: Tally, fileHash: string, bytes: number, exportDate?: string): HealthDocument[] {
  const parts: Array<{ key: string; label: string; elements: number; sections: Section[]; count: number }> = [];
  for (const [type, kind] of tally.kinds) {
    const lines = [...kind.days].map(([day, t]): [string, string] => [day, dayLine(day, kind, t)]);
    parts.push({
      key: kindName(type),
      label: kind.label,
      elements: kind.elements,
      sections: byMonth(kind.label, lines),
      count: kind.elements,
    });
  }
  for (const [key, l] of tally.listed)
    parts.push({ key, label: l.label, elements: l.elements, sections: byMonth(l.label, l.lines), count: l.elements });
  const exported = dayAndTime(exportDate)?.[0];
  if (tally.profile.length)
    parts.push({
      key: 'Me',
      label: 'Profile',
      elements: tally.profileElements,
      count: tally.profileElements,
      sections: [
        { heading: 'Profile', text: [...tally.profile, ...(exported ? [`Exported: ${exported}`] : [])].join('\n') },
      ],
    });
  if (!parts.length) throw new ParseError('no_text', 'the Apple Health export holds no records');
  const elements = parts.reduce((n, p) => n + p.elements, 0);
  return parts.map((p) => {
    // Lines start with their day and sections run in month order, so the first and last lines bound the span.
    const day = (line: string | undefined) => (line && /^\d{4}-\d{2}-\d{2}/.test(line) ? line.slice(0, 10) : undefined);
    const first = day(p.sections[0]?.text.split('\n')[0]);
    const last = day(p.sections.at(-1)?.text.split('\n').at(-1));
    return {
      id: createHash('sha256').update(`${fileHash}\0${p.key}`).digest('hex'),
      key: p.key,
      size: Math.round((bytes * p.elements) / Math.max(1, elements)),
      body: {
        title: `Apple Health: ${p.label}`,
        mediaType: 'application/xml',
        format: 'health',
        date: isoDate(last ?? exported),
        dateStart: isoDate(first),
        dateEnd: isoDate(last),
        meta: { kind: 'clinical', standard: 'apple-health', resourceCounts: { [p.label]: p.count } },
        sections: p.sections,
      },
    };
  });
}
