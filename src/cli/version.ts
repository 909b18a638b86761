/** PRAG's version, from the package.json beside the sources (src/cli → ../..) or the build (dist/src/cli → ../../..). */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const root = new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url);
  return (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;
}
