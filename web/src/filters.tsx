/** Search filters (collection, format, date range, sender/recipient), shared by search and chat. */
import { FORMATS, type Format } from '../../schemas/document.js';
import type { SearchFilters } from '../../src/client/index.js';

export interface FilterFields {
  collection: string;
  format: string;
  dateFrom: string;
  dateTo: string;
  from: string;
  to: string;
}

export const NO_FILTERS: FilterFields = { collection: '', format: '', dateFrom: '', dateTo: '', from: '', to: '' };

/** The filled fields as the contract's filters (empty fields are no filter). */
export function toFilters(f: FilterFields): SearchFilters {
  return {
    ...(f.collection.trim() ? { collections: [f.collection.trim()] } : {}),
    ...(f.format ? { formats: [f.format as Format] } : {}),
    ...(f.dateFrom ? { dateFrom: f.dateFrom } : {}),
    ...(f.dateTo ? { dateTo: f.dateTo } : {}),
    ...(f.from.trim() ? { from: f.from.trim() } : {}),
    ...(f.to.trim() ? { to: f.to.trim() } : {}),
  };
}

export function FilterForm({
  id,
  value,
  collections,
  onChange,
}: {
  id: string;
  value: FilterFields;
  collections: string[];
  onChange: (next: FilterFields) => void;
}) {
  const field = (name: keyof FilterFields) => ({
    id: `${id}-${name}`,
    value: value[name],
    onInput: (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      onChange({ ...value, [name]: e.currentTarget.value }),
  });
  return (
    <fieldset class="filters">
      <legend>Filters</legend>
      <div class="field">
        <label for={`${id}-collection`}>Collection</label>
        <select {...field('collection')}>
          <option value="">All</option>
          {collections.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`${id}-format`}>Format</label>
        <select {...field('format')}>
          <option value="">All</option>
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`${id}-dateFrom`}>From date</label>
        <input type="date" {...field('dateFrom')} />
      </div>
      <div class="field">
        <label for={`${id}-dateTo`}>To date</label>
        <input type="date" {...field('dateTo')} />
      </div>
      <div class="field">
        <label for={`${id}-from`}>Sender</label>
        <input type="email" placeholder="name@example.org" {...field('from')} />
      </div>
      <div class="field">
        <label for={`${id}-to`}>Recipient</label>
        <input type="email" placeholder="name@example.org" {...field('to')} />
      </div>
    </fieldset>
  );
}
