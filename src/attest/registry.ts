/**
 * SecretVM's known-good image registry (secretvm-verify artifacts_registry/tdx.csv:
 * template_name,vm_type,artifacts_ver,mrtd,rtmr0,rtmr1,rtmr2,rootfs_data,host_id)
 * → measurement policy entries.
 */
import { MeasurementEntry } from '../../schemas/attestation.js';

export function parseTdxRegistry(csv: string): MeasurementEntry[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim());
  const header = lines
    .shift()
    ?.split(',')
    .map((h) => h.trim());
  const col = (name: string) => {
    const i = header?.indexOf(name) ?? -1;
    if (i < 0) throw new Error(`registry has no "${name}" column`);
    return i;
  };
  const [template, vmType, version, mrtd, r0, r1, r2, rootfs] = [
    'template_name',
    'vm_type',
    'artifacts_ver',
    'mrtd',
    'rtmr0',
    'rtmr1',
    'rtmr2',
    'rootfs_data',
  ].map(col) as [number, number, number, number, number, number, number, number];
  return lines.map((line) => {
    const f = line.split(',').map((v) => v.trim().toLowerCase()); // the upstream file has stray spaces
    return MeasurementEntry.parse({
      label: `${f[template]}/${f[vmType]}/${f[version]}`,
      mrtd: f[mrtd],
      rtmr0: f[r0],
      rtmr1: f[r1],
      rtmr2: f[r2],
      rootfs_data: f[rootfs],
    });
  });
}
