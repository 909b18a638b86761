/**
 * What owners revoked (table `revoked_permits`), checked on every request:
 * single permits by name, and whole devices, recorded as `device:<label>`
 * (a permit name never starts so: schemas/permit.ts).
 */
import { and, eq, inArray } from 'drizzle-orm';
import { revokedPermits } from '../../../schemas/db.js';
import type { Db } from './db.js';

const deviceEntry = (device: string) => `device:${device}`;

export class RevocationRepository {
  constructor(private readonly db: Db) {}

  revoke(owner: string, permitName: string): void {
    this.db.orm.insert(revokedPermits).values({ owner, permitName, revokedAt: Date.now() }).onConflictDoNothing().run();
  }

  revokeDevice(owner: string, device: string): void {
    this.revoke(owner, deviceEntry(device));
  }

  /** Whether the permit, or the device it was signed for, was revoked. */
  isRevoked(owner: string, permitName: string, device: string): boolean {
    return (
      this.db.orm
        .select()
        .from(revokedPermits)
        .where(
          and(eq(revokedPermits.owner, owner), inArray(revokedPermits.permitName, [permitName, deviceEntry(device)])),
        )
        .get() !== undefined
    );
  }
}
