/**
 * A real browser for tests of the HTML page: Debian's headless Chromium (/usr/bin/chromium; `.ci/run` installs it),
 * driven by playwright-core (which never downloads a browser). `open` loads a page from a file and counts every other
 * request the page tries (and refuses it), so a test can assert that the page fetched nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export interface OpenedPage {
  readonly page: Page;
  /** Every request but the page's own (each was refused). */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function openHtml(browser: Browser, html: string): Promise<OpenedPage> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-html-'));
  const file = path.join(dir, 'report.html');
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ javaScriptEnabled: true });
  const requests: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    requests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (request) => {
    if (request.url() !== url && !requests.includes(request.url())) requests.push(request.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return {
    page,
    requests,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
