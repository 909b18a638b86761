/**
 * TDX quote verification with @phala/dcap-qvl (pure JS): the quote's
 * signature chain to Intel's root, the TCB level from Intel-signed TCB info
 * and QE identity, and their freshness at `nowSecs`. Debug TDs are refused
 * by dcap-qvl itself.
 */
import { Quote, verify, type Collateral } from '@phala/dcap-qvl';
import type { TcbStatus } from '../../schemas/attestation.js';
import { bytesToHex } from '../crypto/bytes.js';
import { AttestationError } from './errors.js';

export interface TdMeasurements {
  mrtd: string;
  rtmr0: string;
  rtmr1: string;
  rtmr2: string;
  rtmr3: string;
  reportData: Uint8Array;
}

export interface VerifiedQuote {
  status: TcbStatus;
  advisoryIds: string[];
  td: TdMeasurements;
}

function tdOf(report: { asTd10(): unknown; asTd15(): unknown }): TdMeasurements | null {
  type Td = {
    mrTd: Uint8Array;
    rtMr0: Uint8Array;
    rtMr1: Uint8Array;
    rtMr2: Uint8Array;
    rtMr3: Uint8Array;
    reportData: Uint8Array;
  };
  const td = (report.asTd10() ?? (report.asTd15() as { base: Td } | null)?.base) as Td | null;
  if (!td) return null;
  return {
    mrtd: bytesToHex(td.mrTd),
    rtmr0: bytesToHex(td.rtMr0),
    rtmr1: bytesToHex(td.rtMr1),
    rtmr2: bytesToHex(td.rtMr2),
    rtmr3: bytesToHex(td.rtMr3),
    reportData: new Uint8Array(td.reportData),
  };
}

/** Parses without verifying: for reading measurements of a quote whose collateral is not at hand. */
export function parseTdQuote(quote: Uint8Array): TdMeasurements {
  const td = tdOf(Quote.parse(quote).report);
  if (!td) throw new AttestationError('quote', 'not a TDX quote');
  return td;
}

export function verifyTdQuote(quote: Uint8Array, collateral: Collateral, nowSecs: number): VerifiedQuote {
  let result: ReturnType<typeof verify>;
  try {
    result = verify(quote, collateral, nowSecs);
  } catch (e) {
    throw new AttestationError('quote', (e as Error).message);
  }
  const td = tdOf(result.report);
  if (!td) throw new AttestationError('quote', 'quote is not from a TDX trust domain');
  return { status: result.status, advisoryIds: result.advisory_ids, td };
}
