// test_browser.mjs — the browser the other tests rely on: it runs as an
// unprivileged user inside chromium's own sandbox, it trusts the
// appliance's certificate and no other, and it resolves no name, so it
// reaches nothing but loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseURL, launch, openPage, otherTLSURL } from './browser.mjs';

let browser;

before(async () => {
	browser = await launch();
});

after(async () => {
	await browser?.close();
});

test('the browser runs as an unprivileged user', () => {
	assert.notEqual(process.getuid(), 0);
	assert.notEqual(process.geteuid(), 0);
});

test('chromium runs inside its own sandbox (chrome://sandbox)', async () => {
	const { context, page } = await openPage(browser);
	await page.goto('chrome://sandbox');
	const text = await page.locator('body').innerText();
	assert.match(text, /You are adequately sandboxed/);
	await context.close();
});

test('the appliance\'s certificate is trusted', async () => {
	const { context, page } = await openPage(browser);
	const r = await page.goto(`${baseURL}/robots.txt`);
	assert.equal(r.status(), 200);
	await context.close();
});

test('a server with another certificate is refused', async () => {
	const { context, page } = await openPage(browser);
	await assert.rejects(page.goto(`${otherTLSURL}/`), /ERR_CERT_AUTHORITY_INVALID/);
	await context.close();
});

test('no name resolves: the browser reaches loopback only', async () => {
	const { context, page } = await openPage(browser);
	await assert.rejects(page.goto('https://example.org/'), /ERR_NAME_NOT_RESOLVED/);
	await context.close();
});
