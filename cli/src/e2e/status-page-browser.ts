import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Opens the gateway's status page in headless Chromium (playwright-core driving /usr/bin/chromium
 * with a fresh user data dir), waits until it lists the decode and prefill instances and the
 * finished request `requestId` with its queue / prefill / transfer / decode bar, and saves a
 * screenshot to `screenshot`. Returns null when done, or why it was skipped (no Chromium).
 */
export async function renderDashboard(
  baseUrl: string,
  requestId: string,
  screenshot: string,
): Promise<string | null> {
  if (!existsSync(CHROMIUM)) return `skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`;
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'pdserve-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 640 },
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/dashboard`);
    for (const id of ['prefill-0', 'decode-0'])
      await page.locator(`#instances tr[data-instance="${id}"]`).waitFor({ timeout: 10_000 });
    const row = page.locator(`#requests tr[data-request-id="${requestId}"][data-status="ok"]`);
    await row.waitFor({ timeout: 10_000 });
    for (const phase of ['queue', 'prefill', 'transfer', 'decode'])
      assert.equal(await row.locator(`.bar [data-phase="${phase}"]`).count(), 1, `a ${phase} segment`);
    assert.equal(await row.locator('td').nth(2).textContent(), 'disaggregated');
    assert.equal(await page.locator('#health').textContent(), 'serving');
    await page.screenshot({ path: screenshot, fullPage: true });
    return null;
  } finally {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
