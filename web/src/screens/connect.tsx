/**
 * Connect and verify: the page fetches the service's attestation with a fresh
 * nonce and verifies it here, with the CLI's code, before anything is sent —
 * against the policy `prag web --policy` was started with or a policy file
 * the user loads, and the pin this browser made of the service on first use.
 * Dev evidence (no hardware) is refused until the user acknowledges a red
 * warning.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { z } from 'zod';
import { AttestationPolicy as PolicySchema } from '../../../schemas/attestation.js';
import {
  CHECK_MEANING,
  parsePolicy,
  Pins,
  verify,
  type AttestationCheck,
  type AttestationDetails,
  type AttestationPolicy,
} from '../../../src/client/index.js';
import { errorInfo, formatDate } from '../format.js';

/** What sign-in needs to connect as verified here: the same policy and the same answer about dev evidence. */
export interface Verified {
  url: string;
  details: AttestationDetails;
  policy: AttestationPolicy | undefined;
  allowInsecureDev: boolean;
  policySource: PolicySource;
  /** Who served this page (undefined when `/web.json` did not say). */
  servedBy: WebInfo['served_by'] | undefined;
}

const policyKey = (url: string) => `prag.policy:${url}`;

function savedPolicy(url: string): AttestationPolicy | undefined {
  const saved = localStorage.getItem(policyKey(url));
  if (!saved) return undefined;
  try {
    return parsePolicy(saved);
  } catch {
    return undefined;
  }
}

/**
 * What the server of this page says about itself (`GET /web.json`): who serves it, for which service, and the
 * policy `prag web` verified the service against — the user's own local process, so the page takes it.
 */
const WebInfo = z.object({
  bundle_sha256: z.string().nullable(),
  served_by: z.enum(['service', 'prag-web']),
  service_url: z.string().optional(),
  policy: PolicySchema.optional(),
});
type WebInfo = z.infer<typeof WebInfo>;

async function webInfo(): Promise<WebInfo | undefined> {
  try {
    const res = await fetch('/web.json', { cache: 'no-store' });
    return res.ok ? WebInfo.parse(await res.json()) : undefined;
  } catch {
    return undefined;
  }
}

/** The policy to verify against, and where it came from. */
function choosePolicy(
  url: string,
  info: WebInfo | undefined,
): { policy: AttestationPolicy | undefined; source: PolicySource } {
  // Only the page `prag web` serves takes a policy from its server: the service must not choose its own.
  if (info?.served_by === 'prag-web' && info.policy) return { policy: info.policy, source: 'prag-web' };
  const saved = savedPolicy(url);
  return saved ? { policy: saved, source: 'loaded' } : { policy: undefined, source: 'pin' };
}

type PolicySource = 'prag-web' | 'loaded' | 'pin';

const POLICY_SOURCE: Record<PolicySource, string> = {
  'prag-web':
    'Verified against the policy from prag web (its --policy file); the first verified attestation is pinned.',
  loaded: 'Verified against the loaded policy (from deploy/measure); the first verified attestation is pinned.',
  pin: 'No policy: only dev evidence can verify, and is pinned in this browser; hardware evidence needs a policy.',
};

interface Failure {
  check: AttestationCheck | 'pin';
  message: string;
}

export function ConnectScreen({ onContinue }: { onContinue: (verified: Verified) => void }) {
  // The page talks only to its own origin (connect-src 'self'): the service itself, or `prag web`'s proxy of it.
  const url = location.origin;
  // Verification waits for this answer: it may carry the policy to verify against.
  const [infoLoad] = useState(webInfo);
  const [info, setInfo] = useState<WebInfo>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure>();
  const [devWarning, setDevWarning] = useState<string>();
  const [acknowledged, setAcknowledged] = useState(false);
  const [verified, setVerified] = useState<Verified>();
  const [policyNote, setPolicyNote] = useState<string>();

  useEffect(() => void infoLoad.then(setInfo), []);

  const check = async (allowInsecureDev: boolean) => {
    setBusy(true);
    setFailure(undefined);
    setVerified(undefined);
    try {
      const page = await infoLoad;
      const { policy, source } = choosePolicy(url, page);
      // The first verified attestation is pinned, and later ones must match it (hardware evidence verifies, and so
      // is pinned, only with a policy).
      const result = await verify(url, { policy, allowInsecureDev, pins: new Pins() });
      if (result.ok)
        setVerified({
          url,
          details: result.details,
          policy,
          allowInsecureDev,
          policySource: source,
          servedBy: page?.served_by,
        });
      else if (result.failed.check === 'dev_evidence' && !allowInsecureDev && !policy)
        setDevWarning(result.failed.message);
      else setFailure(result.failed);
    } catch (e) {
      const { message } = errorInfo(e);
      setFailure({ check: 'response', message });
    } finally {
      setBusy(false);
    }
  };

  const loadPolicy = async (file: File | undefined) => {
    if (!file) return;
    try {
      const policy = parsePolicy(await file.text());
      localStorage.setItem(policyKey(url), JSON.stringify(policy));
      setPolicyNote(`Loaded ${file.name}: this service is verified against it from now on.`);
    } catch (e) {
      setPolicyNote(`${file.name}: ${errorInfo(e).message}`);
    }
  };

  return (
    <div class="layout connect">
      <section class="panel" aria-labelledby="connect-title">
        <h2 id="connect-title">Connect and verify</h2>
        <p class="hint">
          This page checks the service's attestation itself before it encrypts anything to the service's key.
        </p>
        <dl class="facts">
          <div>
            <dt>Service</dt>
            <dd>
              <code data-testid="service-url">{info?.service_url ?? url}</code>
              <span class="small">
                {info?.served_by === 'prag-web' ? (
                  <>
                    Reached through <code>prag web</code> on this machine, which serves this page.
                  </>
                ) : (
                  <>
                    This page was served by the service it verifies; <code>prag web --url SERVICE</code> serves it from
                    your own machine instead (the trustworthy path).
                  </>
                )}
              </span>
            </dd>
          </div>
          <div>
            <dt>Page bundle</dt>
            <dd>
              <code data-testid="bundle-sha256">{info?.bundle_sha256 ?? 'unknown'}</code>
              <span class="small">SHA-256 of this page's files, as its server computed it.</span>
            </dd>
          </div>
        </dl>
        <div class="row">
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setDevWarning(undefined);
              setAcknowledged(false);
              void check(false);
            }}
          >
            {busy ? 'Verifying…' : 'Verify the service'}
          </button>
        </div>
        <div class="row">
          <label class="button secondary" for="policy-file">
            Load a policy file
          </label>
          <input
            id="policy-file"
            class="visually-hidden"
            type="file"
            accept="application/json,.json"
            onChange={(e) => void loadPolicy(e.currentTarget.files?.[0])}
          />
          <button
            type="button"
            class="secondary"
            onClick={() => {
              localStorage.removeItem(policyKey(url));
              new Pins().forget(url);
              setPolicyNote('The loaded policy and the pin of this service are forgotten.');
            }}
          >
            Forget policy and pin
          </button>
          <span class="small" data-testid="policy-source">
            {POLICY_SOURCE[choosePolicy(url, info).source]}
          </span>
        </div>
        {policyNote && <p class="hint">{policyNote}</p>}
        {failure && <AttestationFailure failure={failure} />}
        {devWarning && !verified && (
          <div class="danger-banner" role="alert" data-testid="dev-banner">
            <h3>This service has no hardware attestation</h3>
            <p>
              It runs PRAG's <strong>dev</strong> provider: nothing proves what code runs or who can read your data. Use
              it only for local development, never with real records.
            </p>
            <p class="small">{devWarning}</p>
            <label class="check">
              <input
                type="checkbox"
                checked={acknowledged}
                onChange={(e) => setAcknowledged(e.currentTarget.checked)}
              />
              I understand that nothing is proven and this is for development only
            </label>
            <button type="button" class="danger" disabled={!acknowledged || busy} onClick={() => void check(true)}>
              Continue with dev evidence
            </button>
          </div>
        )}
      </section>
      {verified && (
        <VerificationPanel details={verified.details} policySource={verified.policySource} page={info}>
          <button type="button" onClick={() => onContinue(verified)}>
            Continue to sign in
          </button>
        </VerificationPanel>
      )}
    </div>
  );
}

function AttestationFailure({ failure }: { failure: Failure }) {
  return (
    <div class="error-panel" role="alert" data-testid="attestation-failed">
      <h3>
        Verification failed: check <code data-testid="failed-check">{failure.check}</code>
      </h3>
      <p>
        <strong>What it should have shown:</strong> {CHECK_MEANING[failure.check]}
      </p>
      <p>{failure.message}</p>
      <p class="small">Nothing was sent to this service. Do not use it until the failure is explained.</p>
    </div>
  );
}

const PROVIDER_MEANING: Record<string, string> = {
  dev: 'No TEE: keys are generated by the process; anyone with the machine can read everything.',
  tdx: 'An Intel TDX guest: the quote proves the measured VM generated and holds the keys.',
  secretvm: "Secret Network's SecretVM (Intel TDX): the quote proves the measured VM and its compose file.",
};

const ORIGIN_MEANING: Record<string, string> = {
  enclave: 'Keys derived inside the VM: the operator cannot know them.',
  'operator-escrow': 'The operator supplied key material: the operator could read stored data.',
};

export function VerificationPanel({
  details,
  policySource,
  page,
  children,
}: {
  details: AttestationDetails;
  policySource: PolicySource;
  page: WebInfo | undefined;
  children?: ComponentChildren;
}) {
  const { tcb, measurements } = details;
  const bundleMatch =
    details.webSha256 === undefined
      ? 'the service states no bundle hash'
      : page?.bundle_sha256 === details.webSha256
        ? 'matches this page'
        : 'DIFFERS from this page';
  const rows: Array<[string, string, string]> = [
    ['Provider', details.provider, PROVIDER_MEANING[details.provider] ?? ''],
    [
      'TCB status',
      tcb ? `${tcb.status}${tcb.advisoryIds.length ? ` (${tcb.advisoryIds.join(', ')})` : ''}` : 'not applicable',
      "Intel's verdict on the CPU's microcode and firmware; the policy lists the statuses it accepts.",
    ],
    [
      'Measurements',
      measurements
        ? `MRTD ${measurements.mrtd.slice(0, 16)}…, RTMR3 ${measurements.rtmr3.slice(0, 16)}…`
        : 'none (no hardware quote)',
      'Hashes of the firmware, kernel and workload the VM booted: they name the exact image.',
    ],
    [
      'Policy match',
      details.insecure
        ? 'no policy (dev evidence)'
        : details.policyMatch
          ? `matches ${details.policyMatch.label ?? 'an allowed image'}`
          : policySource === 'prag-web'
            ? 'matches the policy from prag web'
            : policySource === 'loaded'
              ? 'matches the loaded policy'
              : 'pinned on first use',
      'The measurements, TCB status and key origin are among those the policy allows.',
    ],
    ['Key origin', details.keyOrigin, ORIGIN_MEANING[details.keyOrigin] ?? ''],
    ['Service id', details.serviceId, 'Derived from the service signing key; your permit is signed for it.'],
    [
      'Web bundle',
      `${details.webSha256 ?? '—'} (${bundleMatch})`,
      'The page bundle hash the attested service states; compare it with the page you run.',
    ],
    [
      'Encryption key',
      `valid until ${formatDate(details.epochKeyUntil, true)}`,
      'Requests are sealed to a short-lived key signed by the service key (forward secrecy).',
    ],
  ];
  if (details.composeSha256)
    rows.push(['Compose', details.composeSha256, 'SHA-256 of the docker-compose the VM measured.']);
  return (
    <section class="panel" aria-labelledby="verification-title" data-testid="verification-panel">
      <h2 id="verification-title">
        Verification{' '}
        <span class={details.insecure ? 'badge danger' : 'badge ok'}>
          {details.insecure ? 'dev: not attested' : 'attested'}
        </span>
      </h2>
      {details.insecure && (
        <p class="danger-banner" role="status">
          Dev evidence acknowledged: nothing about this service is hardware-attested.
        </p>
      )}
      <dl class="facts">
        {rows.map(([name, value, meaning]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>
              <code>{value}</code>
              <span class="small">{meaning}</span>
            </dd>
          </div>
        ))}
      </dl>
      {children}
    </section>
  );
}
