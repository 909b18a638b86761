/**
 * What a client must pin for a deployment (deploy/measure): the compose's
 * SHA-256, the SecretVM images it may run on (registry rows: MRTD, RTMR0-2
 * and the rootfs hash RTMR3 replays with), the RTMR3 each of them must show,
 * and the accepted TCB levels — as the AttestationPolicy every client command
 * takes with --policy.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { parseDocument } from 'yaml';
import { AttestationPolicy, type MeasurementEntry, type TcbStatus } from '../../schemas/attestation.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../crypto/bytes.js';
import type { TdMeasurements } from './quote.js';
import { expectedRtmr3 } from './rtmr.js';

/** The token deploy/docker-compose.yaml holds where the image reference goes. */
export const IMAGE_TOKEN = 'PRAG_IMAGE_PINNED_BY_DIGEST';
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$/;

export class MeasureError extends Error {
  override name = 'MeasureError';
}

/** Puts the digest-pinned image into the compose template (the only change: the rendered bytes are what the VM measures). */
export function renderCompose(template: string, image: string): string {
  if (!PINNED_IMAGE.test(image))
    throw new MeasureError(`image must be pinned by digest (name@sha256:<64 hex>), got "${image}"`);
  const parts = template.split(IMAGE_TOKEN);
  if (parts.length !== 2) throw new MeasureError(`the compose template must hold ${IMAGE_TOKEN} exactly once`);
  return parts.join(image);
}

/** Every service's image is pinned by digest; returns the service names. */
export function checkComposePinned(compose: string): string[] {
  const doc = parseDocument(compose);
  const [error] = doc.errors;
  if (error) throw new MeasureError(`compose is not valid YAML: ${error.message}`);
  const services = (doc.toJS() as { services?: Record<string, { image?: string }> }).services;
  if (!services || !Object.keys(services).length) throw new MeasureError('compose has no services');
  for (const [name, svc] of Object.entries(services)) {
    if (!svc.image || !PINNED_IMAGE.test(svc.image))
      throw new MeasureError(`service "${name}" image "${svc.image ?? ''}" is not pinned by digest`);
  }
  return Object.keys(services);
}

export interface MeasureOptions {
  /** Registry rows the VM may run on. */
  platforms: MeasurementEntry[];
  scheme: 'attest-tool' | 'dstack';
  dstackAppId?: string;
  dockerFilesSha256?: string;
  tcbStatus: Exclude<TcbStatus, 'Revoked'>[];
  serviceId?: string;
  pccsUrl?: string;
  /** Refuse a compose whose images are not pinned by digest (default true; a third party's compose is measured as it is). */
  requirePinned?: boolean;
}

export interface Measurement {
  policy: AttestationPolicy;
  composeSha256: string;
  /** The RTMR3 each allowed platform will show with this compose. */
  rtmr3: Array<{ label?: string; rtmr3: string }>;
}

export function measure(compose: string, options: MeasureOptions): Measurement {
  if (options.requirePinned !== false) checkComposePinned(compose);
  if (!options.platforms.length) throw new MeasureError('no platform (registry row) selected');
  const bytes = utf8ToBytes(compose);
  const rtmr3 = options.platforms.map((p) => {
    if (!p.rootfs_data) throw new MeasureError('every platform needs its rootfs_data for the RTMR3 replay');
    return {
      label: p.label,
      rtmr3: bytesToHex(
        expectedRtmr3({
          compose: bytes,
          rootfsData: hexToBytes(p.rootfs_data),
          scheme: options.scheme,
          dstackAppId: options.dstackAppId ? hexToBytes(options.dstackAppId) : undefined,
          dockerFilesSha256: options.dockerFilesSha256 ? hexToBytes(options.dockerFilesSha256) : undefined,
        }),
      ),
    };
  });
  const composeSha256 = bytesToHex(sha256(bytes));
  const policy = AttestationPolicy.parse({
    v: 1,
    tcb_status: options.tcbStatus,
    measurements: options.platforms,
    compose_sha256: [composeSha256],
    rtmr3_scheme: options.scheme,
    ...(options.dstackAppId ? { dstack_app_id: options.dstackAppId } : {}),
    ...(options.dockerFilesSha256 ? { docker_files_sha256: options.dockerFilesSha256 } : {}),
    ...(options.serviceId ? { service_id: options.serviceId } : {}),
    ...(options.pccsUrl ? { pccs_url: options.pccsUrl } : {}),
  });
  return { policy, composeSha256, rtmr3 };
}

/** Registry rows by label parts (`template/vm_type/version`); an empty filter part matches all. */
export function selectPlatforms(
  rows: MeasurementEntry[],
  filter: { template?: string; vmType?: string; versions?: string[] },
): MeasurementEntry[] {
  return rows.filter((r) => {
    const [template, vmType, version] = (r.label ?? '').split('/');
    return (
      (!filter.template || template === filter.template) &&
      (!filter.vmType || vmType === filter.vmType) &&
      (!filter.versions?.length || filter.versions.includes(version ?? ''))
    );
  });
}

/**
 * The registry rows a running VM is on: MRTD/RTMR0-2 equal to its quote's,
 * and the compose it serves replaying (attest-tool scheme) to its RTMR3.
 */
export function matchRegistry(rows: MeasurementEntry[], td: TdMeasurements, compose: string): MeasurementEntry[] {
  const same = rows.filter(
    (r) => r.mrtd === td.mrtd && r.rtmr0 === td.rtmr0 && r.rtmr1 === td.rtmr1 && r.rtmr2 === td.rtmr2 && r.rootfs_data,
  );
  if (!same.length)
    throw new MeasureError(`no registry image has this quote's MRTD/RTMR0-2 (MRTD ${td.mrtd.slice(0, 16)}…)`);
  const bytes = utf8ToBytes(compose);
  const replaying = same.filter(
    (r) =>
      r.rootfs_data &&
      bytesToHex(expectedRtmr3({ compose: bytes, rootfsData: hexToBytes(r.rootfs_data), scheme: 'attest-tool' })) ===
        td.rtmr3,
  );
  if (!replaying.length)
    throw new MeasureError(
      `the served compose does not replay to the quote's RTMR3 on any of the ${same.length} matching images`,
    );
  return replaying;
}

/** Accepts what either policy accepts (old and new release during an upgrade); the new one's other settings win. */
export function mergePolicies(old: AttestationPolicy, next: AttestationPolicy): AttestationPolicy {
  if (
    old.rtmr3_scheme !== next.rtmr3_scheme ||
    old.dstack_app_id !== next.dstack_app_id ||
    old.docker_files_sha256 !== next.docker_files_sha256
  ) {
    throw new MeasureError(
      'policies with different RTMR3 inputs (scheme, app id, extra files) cannot be merged: publish both',
    );
  }
  const key = (m: MeasurementEntry) => JSON.stringify([m.mrtd, m.rtmr0, m.rtmr1, m.rtmr2, m.rootfs_data, m.rtmr3]);
  const measurements = [...new Map([...old.measurements, ...next.measurements].map((m) => [key(m), m])).values()];
  return AttestationPolicy.parse({
    ...next,
    measurements,
    compose_sha256: [...new Set([...old.compose_sha256, ...next.compose_sha256])],
  });
}
