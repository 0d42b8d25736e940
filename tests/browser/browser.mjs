// browser.mjs — what every browser test shares: Debian's chromium started
// by playwright-core the one way the harness (run.sh) allows, and a page
// that records what the browser reports about it.  run.sh passes the
// appliance's address, the certificate to trust and the screenshot
// directory in the environment; a test run without them fails at once.
import { chromium } from 'playwright-core';
import { statSync } from 'node:fs';
import { join } from 'node:path';

// A variable run.sh sets; a test run without it fails at once.
export function env(name) {
	const v = process.env[name];
	if (v === undefined || v === '')
		throw new Error(`${name} is not set: run the browser tests through tests/browser/run.sh`);
	return v;
}

export const baseURL = env('PGPMG_WEB_URL');
export const otherTLSURL = env('PGPMG_OTHER_TLS_URL');
export const outDir = env('PGPMG_BROWSER_OUT');
const spki = env('PGPMG_WEB_SPKI');

// Debian's chromium, never one that playwright downloads.
export const CHROMIUM = '/usr/bin/chromium';

// A page load on loopback takes well under a second; ten leave room for a
// loaded machine without letting a hung browser stall `make check`.
export const PAGE_TIMEOUT_MS = 10000;

// The security headers webd puts on every response (webd/response.c).
export const SECURITY_HEADERS = {
	'strict-transport-security': 'max-age=31536000; includeSubDomains',
	'content-security-policy': "default-src 'self'; script-src 'self'; " +
	    "style-src 'self'; img-src 'self'; object-src 'none'; " +
	    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin',
	'x-frame-options': 'DENY',
};

export function launch() {
	return chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		// run.sh starts us as an unprivileged user, so chromium keeps
		// its own sandbox (playwright would otherwise add --no-sandbox).
		chromiumSandbox: true,
		args: [
			// Trust the appliance's self-signed certificate, and no
			// other: chromium skips the chain check only for a server
			// key with this SHA-256 (of its SubjectPublicKeyInfo).
			`--ignore-certificate-errors-spki-list=${spki}`,
			// Loopback only: no host but 127.0.0.1 resolves (the rule
			// covers address literals too), so nothing the browser
			// would fetch on its own (updates, safe browsing, sync)
			// leaves the machine or waits on the missing network.
			'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-quic',
			'--no-first-run',
			'--disable-gpu',
		],
	});
}

// A fresh context (no cookies, no cache) and a page in it.  `seen` gathers
// the console's messages, uncaught errors, every response (path, status,
// content type) and every Content-Security-Policy
// violation the page reports (the securitypolicyviolation event, forwarded
// to node through a binding that CSP cannot block), across navigations.
export async function openPage(browser) {
	const context = await browser.newContext({
		viewport: { width: 1024, height: 768 },
	});
	context.setDefaultTimeout(PAGE_TIMEOUT_MS);
	context.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
	const page = await context.newPage();
	const seen = { console: [], errors: [], violations: [], responses: [] };
	page.on('console', (m) => seen.console.push({
		type: m.type(), text: m.text(), url: m.location().url,
	}));
	page.on('response', (r) => seen.responses.push({
		path: new URL(r.url()).pathname, status: r.status(),
		type: r.headers()['content-type'] ?? '',
	}));
	page.on('pageerror', (e) => seen.errors.push(String(e)));
	await page.exposeBinding('__pgpmgCspViolation', (source, v) => seen.violations.push(v));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__pgpmgCspViolation({
				directive: e.violatedDirective,
				blocked: e.blockedURI,
				sample: e.sample,
			});
		});
	});
	return { context, page, seen };
}

// A full-page screenshot as DIR/NAME.png; run.sh copies DIR to
// tests/browser/out/.  Returns its path after checking it is a PNG.
export async function screenshot(page, name) {
	const path = join(outDir, `${name}.png`);
	await page.screenshot({ path, fullPage: true });
	if (statSync(path).size === 0)
		throw new Error(`${path} is empty`);
	return path;
}
