/** How the page words sizes, dates and errors. */
import { AttestationError, ReceiptError, ServiceError } from '../../src/client/index.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A date (or date-time) as the reader's locale shows it; "—" when there is none. */
export function formatDate(iso: string | null | undefined, withTime = false): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return withTime ? date.toLocaleString() : date.toLocaleDateString();
}

/** A `secret1…` address shortened for tables (the full one is in the title attribute). */
export const shortAddress = (address: string): string =>
  address.length > 20 ? `${address.slice(0, 12)}…${address.slice(-6)}` : address;

export interface ErrorInfo {
  /** The service's error code (schemas/errors.ts), the failed attestation check, or `error`. */
  code: string;
  message: string;
}

export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof ServiceError) return { code: e.code, message: e.message.replace(`${e.code}: `, '') };
  if (e instanceof AttestationError) return { code: e.check, message: e.message };
  if (e instanceof ReceiptError) return { code: `receipt_${e.problem}`, message: e.message };
  if (e instanceof Error) return { code: e.name === 'Error' ? 'error' : e.name, message: e.message };
  return { code: 'error', message: String(e) };
}
