// test_signin.mjs — signing in and out through the form on /login: the
// admin lands on /admin and a user on /portal (303), with the session in
// the cookie __Host-pgpmg (Secure, HttpOnly, SameSite=Strict, the whole
// host, 64 hex digits); a wrong password is a 401 on the form again with
// an error and no cookie; signing out (POST /logout) ends the session,
// after which /admin sends the browser to /login.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, openPage } from './browser.mjs';
import {
	COOKIE, PAGE, open, signIn, signInOutcome, signOut,
} from './console.mjs';

const admin = env('PGPMG_ADMIN');
const adminPassword = env('PGPMG_ADMIN_PASSWORD');
const user = env('PGPMG_USER');
const userPassword = env('PGPMG_USER_PASSWORD');

let browser;

before(async () => {
	browser = await launch();
});

after(async () => {
	await browser?.close();
});

async function sessionCookie(context) {
	return (await context.cookies()).find((c) => c.name === COOKIE);
}

test('the admin signs in: 303 to /admin, the session in a strict cookie', async () => {
	const { context, page } = await openPage(browser);
	const o = await signIn(page, admin, adminPassword, PAGE.dashboard);
	assert.equal(o.finalStatus, 200, `GET ${PAGE.dashboard} after the sign-in`);
	const c = await sessionCookie(context);
	assert.ok(c, `a cookie ${COOKIE} was set`);
	assert.match(c.value, /^[0-9a-f]{64}$/);
	assert.equal(c.secure, true, 'Secure');
	assert.equal(c.httpOnly, true, 'HttpOnly');
	assert.equal(c.sameSite, 'Strict', 'SameSite=Strict');
	assert.equal(c.path, '/', 'Path=/');
	assert.equal(c.domain, '127.0.0.1', 'the host alone (no Domain)');
	assert.equal(c.expires, -1, 'a session cookie (no Expires, no Max-Age)');
	assert.equal((await context.cookies()).length, 1, 'no other cookie');
	await context.close();
});

test('a user signs in: 303 to /portal', async () => {
	const { context, page } = await openPage(browser);
	const o = await signIn(page, user, userPassword, PAGE.portal);
	assert.equal(o.finalStatus, 200, `GET ${PAGE.portal} after the sign-in`);
	assert.ok(await sessionCookie(context));
	await context.close();
});

test('a wrong password: 401 on the form again, an error, no cookie', async () => {
	const { context, page } = await openPage(browser);
	const o = await signInOutcome(page, user, `${userPassword}-not`);
	assert.equal(o.status, 401);
	assert.equal(o.path, PAGE.login);
	assert.equal(o.ok, 0);
	assert.equal(o.error, 1, `one error banner (${o.text})`);
	assert.equal(await sessionCookie(context), undefined);
	// The address is offered again; the password never.
	assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
	await context.close();
});

test('signing out ends the session: /admin then sends to /login', async () => {
	const { context, page } = await openPage(browser);
	await signIn(page, admin, adminPassword, PAGE.dashboard);
	const sid = (await sessionCookie(context))?.value;
	await signOut(page);
	assert.equal(new URL(page.url()).pathname, PAGE.login);
	assert.equal(await sessionCookie(context), undefined, 'the cookie is cleared');
	const r = await open(page, PAGE.dashboard);
	assert.equal(new URL(r.url()).pathname, PAGE.login);
	// The old id, put back by hand, is no session either.
	await context.addCookies([{
		name: COOKIE, value: sid, domain: '127.0.0.1', path: '/',
		secure: true, httpOnly: true, sameSite: 'Strict',
	}]);
	const r2 = await open(page, PAGE.dashboard);
	assert.equal(new URL(r2.url()).pathname, PAGE.login, 'the ended session opens nothing');
	await context.close();
});
