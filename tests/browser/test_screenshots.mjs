// test_screenshots.mjs — issue 6, "Done when": a screenshot of every page
// of the console, in tests/browser/out/ (the sign-in page's, login.png,
// is test_login.mjs's): the admin's dashboard, policy, users, keys, audit
// and notices, and a user's portal.  Each page answers 200 and loads
// without a Content-Security-Policy violation or a script error: the
// pages are seen as they are, not as an error page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, openPage, screenshot } from './browser.mjs';
import { PAGE, openOk, signIn } from './console.mjs';

const admin = env('PGPMG_ADMIN');
const adminPassword = env('PGPMG_ADMIN_PASSWORD');
const user = env('PGPMG_USER');
const userPassword = env('PGPMG_USER_PASSWORD');

let browser;
let asAdmin;
let asUser;
let adminIn = null;	// the sign-in's promise, shared by the tests
let userIn = null;

before(async () => {
	browser = await launch();
	asAdmin = await openPage(browser);
	asUser = await openPage(browser);
});

after(async () => {
	await browser?.close();
});

async function shoot({ page, seen }, path, name) {
	const v = seen.violations.length;
	const e = seen.errors.length;
	await openOk(page, path);
	await screenshot(page, name);
	// The stylesheet applied and the page fits its window: a rule lost
	// to a stray brace, or a table wider than the frame, shows here.
	const fit = await page.evaluate(() => ({
		page: document.documentElement.scrollWidth,
		window: window.innerWidth,
		main: getComputedStyle(document.querySelector('main')).maxWidth,
	}));
	assert.ok(fit.page <= fit.window, `${path} is ${fit.page}px wide in a ${fit.window}px window`);
	assert.notEqual(fit.main, 'none', `${path}: the stylesheet sets main's width`);
	assert.deepEqual(seen.violations.slice(v), [], `no CSP violation on ${path}`);
	assert.deepEqual(seen.errors.slice(e), [], `no script error on ${path}`);
}

const adminPages = [
	['dashboard', PAGE.dashboard],
	['policy', PAGE.policy],
	['users', PAGE.users],
	['keys', PAGE.keys],
	['audit', PAGE.audit],
	['notices', PAGE.notices],
];

for (const [name, path] of adminPages) {
	test(`${path}: out/${name}.png`, async () => {
		adminIn ??= signIn(asAdmin.page, admin, adminPassword, PAGE.dashboard);
		await adminIn;
		await shoot(asAdmin, path, name);
	});
}

test(`${PAGE.portal}: out/portal.png`, async () => {
	userIn ??= signIn(asUser.page, user, userPassword, PAGE.portal);
	await userIn;
	await shoot(asUser, PAGE.portal, 'portal');
});
