/** iCalendar (RFC 5545) and vCard (RFC 6350) share a syntax; ical.js reads both into components. */
import ICAL from 'ical.js';
import { asParseError, ParseError } from '../errors.js';

type Component = InstanceType<typeof ICAL.Component>;

/**
 * Parameters one content line may carry (real ones carry a few). ical.js looks for the line's value from every
 * parameter on (`indexOf(':')` per parameter), quadratic in a line of thousands of parameters.
 */
const MAX_PARAMETERS = 100;

/** Refuses a content line (RFC 5545 §3.1; folds included) with more than MAX_PARAMETERS parameters, in one pass. */
function checkParameters(text: string): void {
  let params = 0;
  let inValue = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      // A fold (a line break then a space or tab) continues the line (§3.1).
      const next = text.charCodeAt(i + 1);
      if (next !== 0x20 && next !== 0x09) [params, inValue, quoted] = [0, false, false];
    } else if (inValue) continue;
    else if (c === 0x22) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 0x3a) inValue = true;
    else if (c === 0x3b && ++params > MAX_PARAMETERS)
      throw new ParseError('too_large', `a line carries more than ${MAX_PARAMETERS} parameters`);
  }
}

/** Top-level components of an iCalendar or vCard text (a .vcf often holds many cards). */
export function components(text: string, what: string): Component[] {
  checkParameters(text);
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text);
  } catch (e) {
    throw asParseError(e, `unreadable ${what}`);
  }
  const list = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed]) as unknown[][];
  if (!list.length || !Array.isArray(list[0])) throw new ParseError('corrupt', `unreadable ${what}: no component`);
  return list.map((jcal) => new ICAL.Component(jcal));
}

/** A property's values as text: structured values (N, ADR) joined, dates as written, blank parts dropped. */
export function valuesOf(component: Component, name: string): string[] {
  return component.getAllProperties(name).flatMap((p) =>
    p
      .getValues()
      .map((v: unknown) =>
        (Array.isArray(v)
          ? v
              .flat()
              .filter((x) => x !== '' && x !== null)
              .join(', ')
          : String(v)
        )
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .filter(Boolean),
  );
}

/** The first value of a property, or undefined. */
export const valueOf = (component: Component, name: string): string | undefined => valuesOf(component, name)[0];
