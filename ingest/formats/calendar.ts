/** Calendars (.ics, iCalendar RFC 5545): one line block per event, to-do and journal entry, in date order. */
import type { Section } from '../../schemas/document.js';
import { decodeText, isoDate } from '../decode.js';
import { ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';
import { components, valueOf, valuesOf } from './ical.js';

const ENTRIES = ['vevent', 'vtodo', 'vjournal'] as const;
const KIND: Record<(typeof ENTRIES)[number], string> = { vevent: 'Event', vtodo: 'To-do', vjournal: 'Journal entry' };
/** Entries per section: a section is what a citation points at. */
const PER_SECTION = 20;

/** `mailto:ann@example.org` → `ann@example.org`. */
const address = (v: string) => v.replace(/^mailto:/i, '');

export const parseCalendar: FormatParser = async ({ bytes, name }) => {
  const calendars = components(decodeText(bytes), 'calendar').filter((c) => c.name === 'vcalendar');
  if (!calendars.length) throw new ParseError('format_mismatch', 'content is not an iCalendar file (no VCALENDAR)');
  const entries: Array<{ start: string; text: string }> = [];
  let calendarName: string | undefined;
  for (const calendar of calendars) {
    calendarName ??= valueOf(calendar, 'x-wr-calname');
    for (const kind of ENTRIES)
      for (const e of calendar.getAllSubcomponents(kind)) {
        const start = valueOf(e, 'dtstart') ?? valueOf(e, 'due') ?? '';
        const line = (label: string, values: string[]) => (values.length ? `${label}: ${values.join('; ')}` : '');
        const text = [
          `${KIND[kind]}: ${valueOf(e, 'summary') ?? '(no title)'}`,
          line('Starts', valuesOf(e, 'dtstart')),
          line('Ends', valuesOf(e, 'dtend')),
          line('Due', valuesOf(e, 'due')),
          line('Repeats', valuesOf(e, 'rrule')),
          line('Location', valuesOf(e, 'location')),
          line('Organizer', valuesOf(e, 'organizer').map(address)),
          line('Attendees', valuesOf(e, 'attendee').map(address)),
          line('Status', valuesOf(e, 'status')),
          line('Description', valuesOf(e, 'description')),
        ]
          .filter(Boolean)
          .join('\n');
        entries.push({ start, text });
      }
  }
  if (!entries.length) throw new ParseError('no_text', 'the calendar holds no events, to-dos or journal entries');
  entries.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const sections: Section[] = [];
  for (let i = 0; i < entries.length; i += PER_SECTION) {
    const group = entries.slice(i, i + PER_SECTION);
    const first = group[0]?.start.slice(0, 10);
    const last = group.at(-1)?.start.slice(0, 10);
    sections.push({
      heading:
        first && last ? (first === last ? first : `${first} to ${last}`) : `entries ${i + 1}–${i + group.length}`,
      text: group.map((g) => g.text).join('\n\n'),
    });
  }
  return {
    title: calendarName ?? name,
    mediaType: 'text/calendar',
    format: 'ics',
    date: isoDate(entries.at(-1)?.start),
    dateStart: isoDate(entries.find((e) => e.start)?.start), // undated to-dos sort first
    dateEnd: isoDate(entries.at(-1)?.start),
    meta: { kind: 'calendar', events: entries.length },
    sections,
  };
};
