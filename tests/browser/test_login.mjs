// test_login.mjs — the sign-in page as a browser sees it: the console's
// root sends it to /login; the form is there; the response carries the
// security headers; the page loads without a CSP violation, an error or an
// inline script; a screenshot goes to tests/browser/out/login.png.  And
// the checks that prove these can fail: a missing page is a 404, and a CSP
// violation is seen when one happens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
	SECURITY_HEADERS, baseURL, launch, openPage, screenshot,
} from './browser.mjs';

// Asked for by the browser on its own and not served by webd: a 404 and
// its console error would be excused for these, and for nothing else.
// None now: /favicon.ico answers 204.  (Playwright does not report the
// favicon's request as a response of the page; the console does, naming
// its URL.)
const KNOWN_MISSING = [];

let browser;
let login;		// { context, page, seen } after the root was opened
let response;		// the navigation's final response (/login)

before(async () => {
	browser = await launch();
	login = await openPage(browser);
	response = await login.page.goto(`${baseURL}/`);
});

after(async () => {
	await browser?.close();
});

function assertSecurityHeaders(headers, what) {
	for (const [name, value] of Object.entries(SECURITY_HEADERS))
		assert.equal(headers[name], value, `${what}: ${name}`);
}

test('/ is redirected (303) to /login, which answers 200', async () => {
	assert.equal(new URL(login.page.url()).pathname, '/login');
	assert.equal(response.status(), 200);
	const from = response.request().redirectedFrom();
	assert.ok(from, 'the navigation went through a redirect');
	assert.equal(new URL(from.url()).pathname, '/');
	const redirect = await from.response();
	assert.equal(redirect.status(), 303);
	assert.equal(await redirect.headerValue('location'), '/login');
	assertSecurityHeaders(await redirect.allHeaders(), 'the 303');
});

test('the page has the sign-in form: address, password, csrf, posting to /login', async () => {
	const { page } = login;
	assert.equal(await page.title(), 'pgpmg: sign in');
	const form = page.locator('form');
	assert.equal(await form.count(), 1);
	assert.equal(await form.getAttribute('method'), 'post');
	assert.equal(await form.getAttribute('action'), '/login');
	const address = page.getByLabel('Address');
	assert.equal(await address.getAttribute('name'), 'address');
	assert.equal(await address.getAttribute('type'), 'email');
	assert.equal(await address.getAttribute('autocomplete'), 'username');
	assert.ok(await address.isEditable());
	const password = page.getByLabel('Password');
	assert.equal(await password.getAttribute('name'), 'password');
	assert.equal(await password.getAttribute('type'), 'password');
	assert.equal(await password.getAttribute('autocomplete'), 'current-password');
	assert.ok(await password.isEditable());
	assert.equal(await page.locator('input[type="hidden"][name="csrf"]').count(), 1);
	assert.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible());
});

test('the response carries the security headers, and no-store', async () => {
	const headers = await response.allHeaders();
	assertSecurityHeaders(headers, '/login');
	assert.equal(headers['cache-control'], 'no-store');
	assert.equal(headers['content-type'], 'text/html; charset=utf-8');
});

test('the stylesheet is served and applied (CSP allows our own files)', async () => {
	const { page, seen } = login;
	const sheets = await page.evaluate(() =>
	    [...document.styleSheets].map((s) => new URL(s.href).pathname));
	assert.deepEqual(sheets, ['/static/pgpmg.css']);
	const css = seen.responses.filter((r) => r.path === '/static/pgpmg.css');
	assert.equal(css.length, 1);
	assert.equal(css[0].status, 200);
	assert.match(css[0].type, /^text\/css/);
});

test('every response of the page load is a success', () => {
	const failed = login.seen.responses.filter((r) => r.status >= 400 &&
	    !KNOWN_MISSING.includes(r.path));
	assert.deepEqual(failed, []);
});

test('no inline script, event handler, javascript: URL or inline style', async () => {
	const found = await login.page.evaluate(() => {
		const bad = [];
		for (const s of document.scripts)
			if (!s.src || s.textContent.trim() !== '')
				bad.push(`inline <script>: ${s.outerHTML.slice(0, 80)}`);
		for (const el of document.querySelectorAll('*')) {
			for (const a of el.attributes) {
				if (/^on/i.test(a.name))
					bad.push(`<${el.localName} ${a.name}>`);
				if (/^\s*javascript:/i.test(a.value))
					bad.push(`<${el.localName} ${a.name}="${a.value}">`);
			}
			if (el.hasAttribute('style'))
				bad.push(`<${el.localName} style>`);
		}
		for (const s of document.querySelectorAll('style'))
			bad.push(`<style>: ${s.textContent.slice(0, 80)}`);
		return bad;
	});
	assert.deepEqual(found, []);
});

test('the console shows no CSP violation, no error, no warning', async () => {
	// The page is loaded, its stylesheet applied: whatever it reports
	// has been reported.  A resource that failed to load is reported
	// with its URL as the message's location.
	const { seen } = login;
	assert.deepEqual(seen.violations, []);
	assert.deepEqual(seen.errors, []);
	const bad = seen.console.filter((m) => (m.type === 'error' ||
	    m.type === 'warning') && !(m.text.startsWith('Failed to load resource:') &&
	    KNOWN_MISSING.includes(new URL(m.url, baseURL).pathname)));
	assert.deepEqual(bad, []);
});

test('a screenshot of the sign-in page: out/login.png', async () => {
	const path = await screenshot(login.page, 'login');
	const png = readFileSync(path);
	assert.deepEqual([...png.subarray(0, 8)],
	    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

// ---- the checks above can fail

test('a page that does not exist is a 404, with the security headers', async () => {
	const { context, page } = await openPage(browser);
	const r = await page.goto(`${baseURL}/no-such-page`);
	assert.equal(r.status(), 404);
	assertSecurityHeaders(await r.allHeaders(), 'the 404');
	await context.close();
});

test('an inline script is refused by the CSP, and the violation is seen', async () => {
	// On a page of its own, so that the checks above see a clean one.
	const { context, page, seen } = await openPage(browser);
	await page.goto(`${baseURL}/login`);
	const ran = await page.evaluate(() => new Promise((resolve) => {
		window.__pgpmgInlineRan = false;
		const s = document.createElement('script');
		s.textContent = 'window.__pgpmgInlineRan = true;';
		document.body.appendChild(s);
		// The violation event is dispatched as a task: let it run.
		setTimeout(() => resolve(window.__pgpmgInlineRan), 100);
	}));
	assert.equal(ran, false, 'the inline script did not run');
	assert.equal(seen.violations.length, 1, JSON.stringify(seen.violations));
	assert.match(seen.violations[0].directive, /^script-src/);
	assert.equal(seen.violations[0].blocked, 'inline');
	await context.close();
});
