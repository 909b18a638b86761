/**
 * A record line as the answer to a question about it: its fields, the one
 * that names it first. The ingest parsers write records in a few shapes
 * (ingest/formats): CSV rows as `Column: value; …`, clinical lines (FHIR) as
 * `date — Kind: name; detail; …`, statement lines (OFX) as
 * `date — TYPE amount — payee`, table rows (C-CDA, HTML) as `cell | cell`.
 * Values are never changed, only arranged: a figure reads as it was stored.
 */

/** CSV columns that hold what a row is about, its amount and its date, by name in the languages statements use. */
const DESCRIPTION = /^(?:description|payee|merchant|name|memo|narrative|details|libell[ée]|beschreibung|bezeichnung)/i;
const AMOUNT =
  /^(?:amount|debit|credit|withdrawal|deposit|value|total|d[ée]bit|cr[ée]dit|montant|betrag|importe|withdrawals?|deposits?)/i;
const DATE = /date|datum|fecha/i;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `Column: value; Column: value` → `description: amount on date (the other fields)`. */
function csvRow(line: string): string | undefined {
  const fields = line.split('; ').map((f) => {
    const at = f.indexOf(': ');
    return at > 0 ? { key: f.slice(0, at), value: f.slice(at + 2) } : undefined;
  });
  if (fields.length < 2 || fields.some((f) => f === undefined)) return undefined;
  const pairs = fields.filter((f) => f !== undefined);
  const description = pairs.find((f) => DESCRIPTION.test(f.key));
  const amount = pairs.find((f) => AMOUNT.test(f.key));
  if (!description || !amount) return undefined;
  const date = pairs.find((f) => DATE.test(f.key));
  const rest = pairs.filter((f) => f !== description && f !== amount && f !== date);
  const details = rest.map((f) => `${f.key}: ${f.value}`).join('; ');
  // The column says which way the money went when the figure has no sign (Withdrawal, Deposit).
  const figure = /^amount$/i.test(amount.key) ? amount.value : `${amount.key} ${amount.value}`;
  return `${description.value}: ${figure}${date ? ` on ${date.value}` : ''}${details ? ` (${details})` : ''}`;
}

/** `date — Kind: name; detail; …` → `Kind: name (detail; …; date)`. */
function clinicalLine(line: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) — ([^:;—]+): (.+)$/.exec(line);
  if (!m) return undefined;
  const [, date = '', kind = '', body = ''] = m;
  const [name = '', ...details] = body.split('; ');
  return `${kind}: ${name} (${[...details, date].join('; ')})`;
}

/** `Kind: name; detail; …` (an undated clinical line; no detail names a field) → `Kind: name (detail; …)`. */
function undatedClinicalLine(line: string): string | undefined {
  const m = /^([A-Z][^:;—]{0,40}): ([^;]+); (.+)$/.exec(line);
  if (!m) return undefined;
  const [, kind = '', name = '', rest = ''] = m;
  const details = rest.split('; ');
  return details.some((d) => d.includes(': ')) ? undefined : `${kind}: ${name} (${details.join('; ')})`;
}

/** `cell | cell` with the table's header → `first cell (Column: cell; …)`; without one, the section names the row. */
function tableRow(line: string, section: string | null, header: readonly string[] | undefined): string {
  const cells = line.split(' | ').map((c) => c.trim());
  if (!header) return section ? `${section}: ${cells.filter(Boolean).join(' | ')}` : line;
  const details = cells
    .slice(1)
    .map((c, i) => (c && c !== '-' ? `${header[i + 1] ?? ''}: ${c}` : ''))
    .filter(Boolean);
  return details.length ? `${cells[0] ?? ''} (${details.join('; ')})` : (cells[0] ?? line);
}

export function renderRecord(line: string, section: string | null, header?: readonly string[]): string {
  if (line.includes(' | ')) return tableRow(line, section, header);
  const clinical = clinicalLine(line);
  if (clinical) return clinical;
  if (!ISO_DATE.test(line.slice(0, 10))) return csvRow(line) ?? undatedClinicalLine(line) ?? line;
  return line;
}
