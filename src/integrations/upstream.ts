/**
 * The proxy's and the MCP server's connection to the service: verified (and
 * a permit signed) on first need, and opened again on the next request after
 * a failure. There is no path around it: a request either gets a verified
 * Prag or the verification's error.
 */
import type { Prag } from '../client/index.js';

export class Upstream {
  private prag: Prag | undefined;
  private opening: Promise<Prag> | undefined;
  failure: Error | undefined;

  constructor(private readonly open: () => Promise<Prag>) {}

  async get(): Promise<Prag> {
    if (this.prag) return this.prag;
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    try {
      this.prag = await this.opening;
      this.failure = undefined;
      return this.prag;
    } catch (e) {
      this.failure = e as Error;
      throw e;
    }
  }
}
