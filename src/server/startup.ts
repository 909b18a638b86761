/**
 * Start-up: the TEE provider, the stores under the master key, the service's
 * signing key and its statement (bound by the TEE), the LLM; then the queued
 * uploads a previous run left are resumed.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openEngine } from '../engine/open.js';
import { ParseSandbox } from '../engine/parse-sandbox.js';
import { createLlm } from '../llm/providers.js';
import type { Llm } from '../llm/types.js';
import { devProvider, DEV_WARNING } from '../tee/dev.js';
import { openKeyring, suppliedMasterKey } from '../tee/master-key.js';
import { loadOrCreateServiceKey } from '../tee/service-key.js';
import type { TeeProvider } from '../tee/provider.js';
import { secretVmProvider } from '../tee/secretvm.js';
import { tdxProvider } from '../tee/tdx.js';
import type { ServiceConfig } from './config.js';
import { ServiceIdentity } from './identity.js';
import { loadWebBundle } from './web.js';
import { PragService } from './service.js';

export function teeProvider(config: ServiceConfig): TeeProvider {
  switch (config.tee) {
    case 'dev':
      return devProvider();
    case 'tdx':
      return tdxProvider(config.tsmReportDir);
    case 'secretvm':
      return secretVmProvider(config.secretvm);
  }
}

/** Parts a caller (a test) may supply instead of the configured ones. */
export interface StartupOverrides {
  tee?: TeeProvider;
  llm?: Llm;
  /** The web bundle to serve and state (default web/dist, src/server/web.ts). */
  webDir?: string;
}

export async function openService(
  dataDir: string,
  config: ServiceConfig,
  engineConfig: Config,
  log: Logger,
  overrides: StartupOverrides = {},
): Promise<PragService> {
  const tee = overrides.tee ?? teeProvider(config);
  const llm = 'llm' in overrides ? overrides.llm : createLlm(config.llm, { cacheDir: dataDir });
  if (!tee.secure) log.warn(DEV_WARNING);
  const supplied = suppliedMasterKey({ hex: config.masterKey, file: config.masterKeyFile });
  let opened: ReturnType<typeof openKeyring> | undefined;
  const sandbox = new ParseSandbox(config.parse);
  const engine = await openEngine(dataDir, engineConfig, {
    sealer: (stores) =>
      (opened = openKeyring(stores, {
        dataDir,
        supplied,
        escrow: config.keyEscrow === 'operator',
        warn: (m) => log.warn(m),
      })).keyring,
    parser: sandbox.parse,
  }).catch(async (e: unknown) => {
    await sandbox.close();
    throw e;
  });
  try {
    if (!opened) throw new Error('the engine opened without its sealer');
    const { keyring, origin } = opened;
    const web = loadWebBundle(overrides.webDir);
    const identity = new ServiceIdentity(
      loadOrCreateServiceKey(dataDir, engine.stores, (m) => log.warn(m)),
      tee,
      origin,
      config.epochKeyPeriodS,
      web?.sha256,
    );
    const service = new PragService({
      config,
      engine,
      keyring,
      identity,
      maxFileBytes: engineConfig.maxFileBytes,
      llm,
      sandbox,
      log,
      web,
    });
    await identity.bind();
    const { statement } = identity;
    log.info({ service_id: statement.service_id, provider: tee.name, key_origin: origin }, 'service keys ready');
    if (origin === 'operator-escrow')
      log.warn(
        'key escrow: the operator supplied the master key and can read stored data; clients refuse this by default',
      );
    service.uploads.resume();
    log.info(
      { llm: config.llm.provider, attestation: config.llm.attestation, model: config.llm.model ?? null },
      'answers',
    );
    if (config.llm.attestation === 'warn')
      log.warn(
        'LLM worker attestation is "warn": retrieved passages may go to a worker whose attestation failed; answers say so',
      );
    return service;
  } catch (e) {
    await engine.close();
    await sandbox.close();
    throw e;
  }
}
