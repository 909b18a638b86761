/**
 * What `prag` prints when a command fails, and its exit code (docs/cli.md):
 * 0 success, 1 failure (or some items failed), 2 usage error (a bad option,
 * argument, config value or named file).
 */
import { ZodError, type z } from 'zod';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called; its message names what is wrong and the fix. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const NETWORK_CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the service running, on this host and port?)',
  ECONNRESET: 'the connection was reset (wrong scheme? an https service needs https://)',
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name could not be resolved (DNS unavailable)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the connection closed without a reply (wrong scheme? an https service needs https://)',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS failed: the service does not speak https here (use http://?)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'TLS failed: the service does not speak https here (use http://?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS failed: the service's certificate is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS failed: the service's certificate chain is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS failed: the service's certificate cannot be verified",
  CERT_HAS_EXPIRED: "TLS failed: the service's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS failed: the service's certificate is for another host name",
};

/** The innermost `code` of an error and its causes (undici wraps the socket error as `cause`). */
function errorCode(e: unknown): string | undefined {
  let code: string | undefined;
  for (let at: unknown = e, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    const own = (at as { code?: unknown }).code;
    if (typeof own === 'string') code = own;
  }
  return code;
}

/** A transport failure (no HTTP answer at all) as "cannot reach URL: cause", or undefined for any other error. */
export function unreachable(url: string, e: unknown): string | undefined {
  const code = errorCode(e);
  const transport = e instanceof TypeError && e.message === 'fetch failed';
  const cause = (e as Error).cause;
  if (transport && cause instanceof Error && cause.message === 'bad port')
    return `cannot reach ${url}: fetch refuses this port (one of the ports browsers block); run the service on another`;
  if (!transport && (code === undefined || !(code in NETWORK_CAUSES))) return undefined;
  const why =
    (code && NETWORK_CAUSES[code]) ??
    (code?.startsWith('HPE_')
      ? 'the reply is not HTTP (wrong scheme? an https service needs https://)'
      : (code ?? (cause instanceof Error ? cause.message : 'network error')));
  return `cannot reach ${url}: ${why}`;
}

/** A file system error on a file the user named, as one line naming the file; undefined for other errors. */
export function fileProblem(e: unknown): string | undefined {
  const { code, path } = e as { code?: unknown; path?: unknown };
  if (typeof path !== 'string') return undefined;
  switch (code) {
    case 'ENOENT':
      return `${path} does not exist`;
    case 'EISDIR':
      return `${path} is a directory, not a file`;
    case 'ENOTDIR':
      return `${path}: a part of the path is not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `${path} cannot be read or written by you (permission denied)`;
    default:
      return undefined;
  }
}

/** A validation issue as a person reads it: "query is too long (at most 4000 characters)". */
export function issueText(issue: z.core.$ZodIssue): string {
  const what = issue.path.join('.') || 'the request';
  if (issue.code === 'too_big' && issue.origin === 'string')
    return `${what} is too long (at most ${String(issue.maximum)} characters)`;
  if (issue.code === 'too_big' && issue.origin === 'array')
    return `${what} has too many items (at most ${String(issue.maximum)})`;
  if (issue.code === 'too_small' && issue.origin === 'string')
    return Number(issue.minimum) <= 1
      ? `${what} is empty`
      : `${what} is too short (at least ${String(issue.minimum)} characters)`;
  return `${what}: ${issue.message}`;
}

export function describeError(e: unknown): { message: string; exitCode: number } {
  if (e instanceof UsageError) return { message: e.message, exitCode: EXIT_USAGE };
  if (e instanceof ZodError)
    return {
      message: e.issues.map(issueText).join('; '),
      exitCode: EXIT_USAGE,
    };
  if ((e as { code?: unknown }).code === 'permit_revoked')
    return {
      message: `${(e as Error).message}: the device label was revoked; sign for another with --as LABEL (or \`prag config set device LABEL\`)`,
      exitCode: EXIT_FAILURE,
    };
  const file = fileProblem(e);
  if (file) return { message: file, exitCode: EXIT_USAGE };
  return { message: e instanceof Error ? e.message : String(e), exitCode: EXIT_FAILURE };
}
