/**
 * Key files in the data directory: written owner-only and made durable
 * (file and directory fsynced) before anything that depends on them commits,
 * so a hard reset cannot leave data whose key was never stored.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `hex` to a new file (`wx`: never over a key another process just wrote), durably. */
export function writeKeyFile(file: string, hex: string, flag: 'wx' | 'w' = 'wx'): void {
  const fd = openSync(file, flag, 0o600);
  try {
    writeSync(fd, `${hex}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDir(dirname(file));
}

/** Renames a key file into place, durably. */
export function renameKeyFile(from: string, to: string): void {
  renameSync(from, to);
  syncDir(dirname(to));
}
