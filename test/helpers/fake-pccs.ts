/**
 * A PCCS on loopback speaking Intel's PCS v4 protocol (the routes and headers
 * dcap-qvl's getCollateral uses), serving one collateral from ../shared/fixtures.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Collateral } from '@phala/dcap-qvl';

export interface FakePccs {
  url: string;
  hits: number;
  close(): Promise<void>;
}

export async function startFakePccs(collateral: Collateral): Promise<FakePccs> {
  const hex = (v: number[] | string) => (typeof v === 'string' ? v : Buffer.from(v).toString('hex'));
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    state.hits++;
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(200, headers);
      res.end(body);
    };
    if (url.pathname === '/sgx/certification/v4/pckcrl') {
      return send(Buffer.from(hex(collateral.pck_crl), 'hex'), {
        'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(collateral.pck_crl_issuer_chain),
      });
    }
    if (url.pathname === '/tdx/certification/v4/tcb' || url.pathname === '/sgx/certification/v4/tcb') {
      return send(`{"tcbInfo":${collateral.tcb_info},"signature":"${hex(collateral.tcb_info_signature)}"}`, {
        'TCB-Info-Issuer-Chain': encodeURIComponent(collateral.tcb_info_issuer_chain),
      });
    }
    if (url.pathname === '/tdx/certification/v4/qe/identity' || url.pathname === '/sgx/certification/v4/qe/identity') {
      return send(
        `{"enclaveIdentity":${collateral.qe_identity},"signature":"${hex(collateral.qe_identity_signature)}"}`,
        { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(collateral.qe_identity_issuer_chain) },
      );
    }
    if (url.pathname === '/sgx/certification/v4/rootcacrl') return send(hex(collateral.root_ca_crl));
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get hits() {
      return state.hits;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
