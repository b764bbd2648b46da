import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../../../test/support/app';
import { ROOT } from './bridge';
import { findPcscd, findVpcdDriver } from './pcscd';

/** What the reader end-to-end tests need from the machine; the missing part, or null. */
export function missingForReaders(): string | null {
  if (!findPcscd()) return 'pcscd is not installed';
  if (!findVpcdDriver()) return 'the vpcd virtual reader driver (vsmartcard-vpcd) is not installed';
  const load = spawnSync(process.execPath, ['-e', "require('nfc-pcsc')"], { cwd: ROOT, encoding: 'utf8' });
  if (load.status !== 0) return `nfc-pcsc cannot be loaded (${load.stderr.trim().split('\n').find((l) => l.includes('Error')) ?? 'no detail'})`;
  return null;
}

/**
 * describe() when pcscd, vpcd and nfc-pcsc are there. Otherwise the tests are skipped with
 * the reason printed, or, with CARD_READER_E2E=required (as in CI), fail with it.
 */
export function describeWithReaders(name: string, body: () => void): void {
  const missing = missingForReaders();
  if (!missing) return describe(name, body);
  if (process.env.CARD_READER_E2E === 'required') {
    return describe(name, () => {
      test('has pcscd, vpcd and nfc-pcsc (CARD_READER_E2E=required)', () => {
        throw new Error(`${missing}; install: apt-get install --no-install-recommends pcscd libpcsclite-dev vsmartcard-vpcd, then npm ci`);
      });
    });
  }
  process.stderr.write(`\nskipping "${name}": ${missing} (apt-get install --no-install-recommends pcscd libpcsclite-dev vsmartcard-vpcd, then npm ci; CARD_READER_E2E=required makes this a failure)\n`);
  describe.skip(name, body);
}

/** The service on its own database, listening on a real local port for the bridge. */
export async function startListeningService(): Promise<{ t: TestApp; url: string; port: number }> {
  const t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { t, url: `http://127.0.0.1:${port}`, port };
}
