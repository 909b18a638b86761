/**
 * Preload (`node --require`) that forbids the network in the main thread and in every worker thread (a
 * `--require` preload runs in each): any TCP or TLS connection, lookup, HTTP request or fetch writes
 * `network attempt: …` to stderr and throws. Unix-domain sockets (a path, not a host: tsx talks to its own
 * process over one) are local and allowed. The OCR test runs tesseract.js under it to show that nothing is
 * downloaded.
 */
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a `--require` preload is CommonJS */
const dns = require('node:dns');
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');
const https = require('node:https');

function refuse(what) {
  return function refused() {
    process.stderr.write(`network attempt: ${what}\n`);
    throw new Error(`network is forbidden in this process (${what})`);
  };
}

/** A connection to a Unix-domain socket: `(path)`, `({ path })`, or net's normalized `[{ path }, callback]`. */
function isLocal(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'string') return !/^\d+$/.test(first);
  return typeof first === 'object' && first !== null && typeof first.path === 'string';
}

function localOnly(what, original) {
  const refused = refuse(what);
  return function connect(...args) {
    return isLocal(args) ? original.apply(this, args) : refused();
  };
}

net.Socket.prototype.connect = localOnly('net.Socket.connect', net.Socket.prototype.connect);
net.connect = localOnly('net.connect', net.connect);
net.createConnection = localOnly('net.createConnection', net.createConnection);
tls.connect = refuse('tls.connect');
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
http.request = refuse('http.request');
http.get = refuse('http.get');
https.request = refuse('https.request');
https.get = refuse('https.get');
globalThis.fetch = refuse('fetch');
