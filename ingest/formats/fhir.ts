/**
 * FHIR R4 JSON (a Bundle or a single resource) rendered as readable clinical
 * text: one line per resource with its date, grouped into sections by kind.
 */
import type { Section } from '../../schemas/document.js';
import { decodeText, isoDate, tidyText } from '../decode.js';
import { ParseError } from '../errors.js';
import type { FormatParser } from '../types.js';
import { htmlToPlain } from './html.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;

/** CodeableConcept → its text, else the first coding's display, else code. */
function concept(v: unknown): string | undefined {
  const c = obj(v);
  if (!c) return undefined;
  if (str(c.text)) return str(c.text);
  for (const coding of arr(c.coding)) {
    const d = obj(coding);
    if (d && (str(d.display) ?? str(d.code))) return str(d.display) ?? str(d.code);
  }
  return undefined;
}
const concepts = (v: unknown) =>
  arr(v)
    .map(concept)
    .filter((x): x is string => !!x);
const status = (v: unknown) => concept(v) ?? str(v);

function quantity(v: unknown): string | undefined {
  const q = obj(v);
  if (!q || q.value === undefined) return undefined;
  const value = typeof q.value === 'number' ? Number(q.value.toPrecision(6)).toString() : str(q.value);
  return [value, str(q.unit) ?? str(q.code) ?? str(q.currency)].filter(Boolean).join(' ');
}

/** Observation/component value[x]. */
function value(r: Json): string | undefined {
  return (
    quantity(r.valueQuantity) ??
    concept(r.valueCodeableConcept) ??
    str(r.valueString) ??
    (typeof r.valueBoolean === 'boolean' ? String(r.valueBoolean) : undefined) ??
    str(r.valueInteger) ??
    str(r.valueDateTime)
  );
}

function period(v: unknown): string | undefined {
  const p = obj(v);
  return p ? str(p.start) : undefined;
}

/** The resource's clinically relevant date. */
function when(r: Json): string | undefined {
  return (
    str(r.effectiveDateTime) ??
    period(r.effectivePeriod) ??
    str(r.onsetDateTime) ??
    str(r.recordedDate) ??
    str(r.authoredOn) ??
    str(r.occurrenceDateTime) ??
    str(r.performedDateTime) ??
    period(r.performedPeriod) ??
    period(r.period) ??
    str(r.started) ??
    str(r.date) ??
    str(r.issued) ??
    str(r.created) ??
    period(r.billablePeriod)
  );
}

function humanName(v: unknown): string | undefined {
  const n = obj(arr(v)[0]);
  if (!n) return undefined;
  return str(n.text) ?? [...arr(n.prefix), ...arr(n.given), n.family].map(str).filter(Boolean).join(' ');
}

/** Base64 text attachments (clinical notes in DiagnosticReport/DocumentReference). */
function attachmentText(v: unknown): string | undefined {
  const a = obj(v);
  const type = str(a?.contentType) ?? '';
  if (!a || !str(a.data) || !/^text\/(plain|html)/.test(type)) return undefined;
  const text = decodeText(Buffer.from(String(a.data), 'base64'));
  return tidyText(type.startsWith('text/html') ? htmlToPlain(text) : text);
}

interface Rendered {
  section: string;
  line: string;
  date?: string;
}

function render(r: Json): Rendered | undefined {
  const type = str(r.resourceType) ?? 'Resource';
  const date = when(r);
  const on = (d?: string) => (d ? `${d.slice(0, 10)} — ` : '');
  const join = (...parts: (string | undefined | false)[]) => parts.filter(Boolean).join('; ');
  switch (type) {
    case 'Patient': {
      const address = obj(arr(r.address)[0]);
      return {
        section: 'Patient',
        line: join(
          `Patient: ${humanName(r.name) ?? 'unknown'}`,
          str(r.gender) && `gender ${str(r.gender)}`,
          str(r.birthDate) && `born ${str(r.birthDate)}`,
          str(r.deceasedDateTime) && `deceased ${str(r.deceasedDateTime)?.slice(0, 10)}`,
          address && [str(address.city), str(address.state), str(address.country)].filter(Boolean).join(', '),
          concepts(arr(r.communication).map((c) => obj(c)?.language)).length > 0 &&
            `language ${concepts(arr(r.communication).map((c) => obj(c)?.language)).join(', ')}`,
        ),
      };
    }
    case 'Condition':
      return {
        section: 'Conditions',
        date,
        line: `${on(date)}Condition: ${join(concept(r.code) ?? 'unspecified', status(r.clinicalStatus) && `status ${status(r.clinicalStatus)}`, str(r.abatementDateTime) && `resolved ${str(r.abatementDateTime)?.slice(0, 10)}`)}`,
      };
    case 'MedicationRequest':
    case 'MedicationStatement':
    case 'MedicationAdministration': {
      const med = concept(r.medicationCodeableConcept) ?? str(obj(r.medicationReference)?.display) ?? 'medication';
      const dosage = arr(r.dosageInstruction ?? r.dosage)
        .map((d) => str(obj(d)?.text))
        .filter(Boolean)
        .join(', ');
      return {
        section: 'Medications',
        date,
        line: `${on(date)}Medication: ${join(med, str(r.status) && `status ${str(r.status)}`, dosage && `dosage ${dosage}`, concepts(r.reasonCode).length > 0 && `for ${concepts(r.reasonCode).join(', ')}`)}`,
      };
    }
    case 'AllergyIntolerance': {
      const reactions = arr(r.reaction).flatMap((x) => concepts(obj(x)?.manifestation));
      return {
        section: 'Allergies',
        date,
        line: `${on(date)}Allergy: ${join(concept(r.code) ?? 'unspecified', arr(r.category).map(str).filter(Boolean).join(', '), str(r.criticality) && `criticality ${str(r.criticality)}`, reactions.length > 0 && `reaction ${reactions.join(', ')}`, status(r.clinicalStatus) && `status ${status(r.clinicalStatus)}`)}`,
      };
    }
    case 'Observation': {
      const components = arr(r.component).map((c) => {
        const o = obj(c) ?? {};
        return `${concept(o.code) ?? 'component'} ${value(o) ?? ''}`.trim();
      });
      const interp = concepts(r.interpretation);
      return {
        section: 'Observations and lab results',
        date,
        line: `${on(date)}${concept(r.code) ?? 'Observation'}: ${join(value(r) ?? (components.length ? components.join(', ') : 'no value'), interp.length > 0 && `interpretation ${interp.join(', ')}`, concepts(r.category).join(', '))}`,
      };
    }
    case 'Encounter': {
      const cls = obj(r.class);
      return {
        section: 'Encounters',
        date,
        line: `${on(date)}Encounter: ${join(concepts(r.type).join(', ') || 'visit', cls && (str(cls.display) ?? str(cls.code)) && `class ${str(cls.display) ?? str(cls.code)}`, concepts(r.reasonCode).length > 0 && `reason ${concepts(r.reasonCode).join(', ')}`, str(obj(r.serviceProvider)?.display) && `at ${str(obj(r.serviceProvider)?.display)}`)}`,
      };
    }
    case 'Immunization':
      return {
        section: 'Immunizations',
        date,
        line: `${on(date)}Immunization: ${concept(r.vaccineCode) ?? 'vaccine'}`,
      };
    case 'Procedure':
      return {
        section: 'Procedures',
        date,
        line: `${on(date)}Procedure: ${join(concept(r.code) ?? 'procedure', concepts(r.reasonCode).length > 0 && `reason ${concepts(r.reasonCode).join(', ')}`)}`,
      };
    case 'DiagnosticReport':
    case 'DocumentReference': {
      const notes = [...arr(r.presentedForm), ...arr(r.content).map((c) => obj(c)?.attachment)]
        .map(attachmentText)
        .filter(Boolean);
      const title = concept(r.code) ?? concept(r.type) ?? type;
      return {
        section: 'Reports and notes',
        date,
        line: `${on(date)}${title}${str(r.conclusion) ? `: ${str(r.conclusion)}` : ''}${notes.length ? `\n${notes.join('\n')}` : ''}`,
      };
    }
    case 'CarePlan':
      return {
        section: 'Care plans and goals',
        date,
        line: `${on(date)}Care plan: ${join(
          concepts(r.category).join(', ') || 'plan',
          str(r.status) && `status ${str(r.status)}`,
          arr(r.activity)
            .map((a) => concept(obj(obj(a)?.detail)?.code))
            .filter(Boolean)
            .join(', '),
        )}`,
      };
    case 'Goal':
      return {
        section: 'Care plans and goals',
        date,
        line: `Goal: ${join(concept(r.description) ?? 'goal', str(r.lifecycleStatus) && `status ${str(r.lifecycleStatus)}`)}`,
      };
    case 'ImagingStudy': {
      const series = arr(r.series)
        .map((s) =>
          [concept(obj(s)?.modality) ?? str(obj(obj(s)?.modality)?.display), str(obj(obj(s)?.bodySite)?.display)]
            .filter(Boolean)
            .join(' of '),
        )
        .filter(Boolean);
      return { section: 'Procedures', date, line: `${on(date)}Imaging study: ${series.join(', ') || 'imaging'}` };
    }
    case 'Claim':
    case 'ExplanationOfBenefit': {
      const total = quantity(r.total) ?? quantity(obj(arr(r.total)[0])?.amount);
      return {
        section: 'Billing',
        date,
        line: `${on(date)}${type === 'Claim' ? 'Claim' : 'Explanation of benefit'}: ${join(concept(r.type) ?? 'claim', total && `total ${total}`)}`,
      };
    }
    case 'Organization':
    case 'Practitioner':
    case 'PractitionerRole':
    case 'Location':
      return {
        section: 'Care team and organizations',
        line: `${type}: ${str(r.name) ?? humanName(r.name) ?? 'unnamed'}`,
      };
    default: {
      const narrative = str(obj(r.text)?.div);
      const what = concept(r.code) ?? concept(r.type) ?? (narrative ? htmlToPlain(narrative) : undefined);
      return what ? { section: 'Other', date, line: `${on(date)}${type}: ${what}` } : undefined;
    }
  }
}

const SECTION_ORDER = [
  'Patient',
  'Conditions',
  'Allergies',
  'Medications',
  'Observations and lab results',
  'Reports and notes',
  'Encounters',
  'Procedures',
  'Immunizations',
  'Care plans and goals',
  'Care team and organizations',
  'Billing',
  'Other',
];

function isFhirResource(v: unknown): v is Json {
  const r = obj(v);
  return !!r && typeof r.resourceType === 'string' && /^[A-Z][A-Za-z]+$/.test(r.resourceType);
}

export const parseFhir: FormatParser = async ({ bytes, name }) => {
  let root: unknown;
  try {
    root = JSON.parse(decodeText(bytes));
  } catch (e) {
    throw new ParseError('corrupt', `invalid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (!isFhirResource(root))
    throw new ParseError('unsupported_format', 'JSON is not a FHIR resource (no resourceType)');
  const resources =
    root.resourceType === 'Bundle'
      ? arr(root.entry)
          .map((e) => obj(e)?.resource)
          .filter(isFhirResource)
      : [root];
  const bySection = new Map<string, Rendered[]>();
  const counts: Record<string, number> = {};
  let patient: string | undefined;
  for (const r of resources) {
    counts[String(r.resourceType)] = (counts[String(r.resourceType)] ?? 0) + 1;
    if (r.resourceType === 'Patient') patient ??= humanName(r.name);
    const out = render(r);
    if (!out) continue;
    const list = bySection.get(out.section) ?? [];
    list.push(out);
    bySection.set(out.section, list);
  }
  const sections: Section[] = [];
  const dates: string[] = [];
  for (const heading of SECTION_ORDER) {
    const items = bySection.get(heading);
    if (!items) continue;
    items.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? ''));
    for (const i of items) if (i.date) dates.push(i.date);
    sections.push({ heading, text: items.map((i) => i.line).join('\n') });
  }
  if (!sections.length) throw new ParseError('no_text', 'FHIR content has no renderable resources');
  const known = dates
    .map((d) => isoDate(d))
    .filter((d): d is string => !!d)
    .sort();
  const latest = known.at(-1);
  const kind = root.resourceType === 'Bundle' ? 'record' : String(root.resourceType);
  return {
    title: patient ? `FHIR ${kind} — ${patient}` : `FHIR ${kind} — ${name}`,
    mediaType: 'application/fhir+json',
    format: 'fhir',
    date: isoDate(str(root.timestamp)) ?? latest,
    dateStart: known[0],
    dateEnd: latest,
    meta: { kind: 'clinical', standard: 'fhir-r4', patient, resourceCounts: counts },
    sections,
  };
};
