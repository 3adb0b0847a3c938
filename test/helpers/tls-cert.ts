// A throwaway self-signed certificate for the TLS tests, made by the `openssl` command (P-256:
// milliseconds, where an RSA key takes far longer). Self-signed, so the certificate is its own
// CA; the SAN names the addresses the clients dial. Without openssl (OPENSSL.skip) key and cert
// are empty and the caller skips.
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPENSSL } from './tools.js';

export interface TestCert {
  /** The temporary folder holding the files (a place for the test's own, e.g. Unix sockets). */
  dir: string;
  key: Buffer;
  cert: Buffer;
  keyFile: string;
  certFile: string;
}

/** Make the certificate in a temporary folder removed when `t` ends. */
export function makeTestCert(t: Test): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'wafer-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  if (OPENSSL.path === undefined) return { dir, key: Buffer.alloc(0), cert: Buffer.alloc(0), keyFile, certFile };
  const made = spawnSync(OPENSSL.path, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  return { dir, key: readFileSync(keyFile), cert: readFileSync(certFile), keyFile, certFile };
}
