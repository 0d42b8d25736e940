// test_refusals.mjs — issue 6, "Done when": what the console refuses.
// - Cross-site request forgery: while the admin is signed in, a page
//   elsewhere posts a form to /admin/policy/set on its own.  From another
//   origin of the same site (https://127.0.0.1 on another port, run.sh's
//   server with the appliance's certificate) the browser sends the
//   session cookie along, and the console must refuse by itself (403);
//   from another site (plain http, a server of this test) the browser
//   holds the cookie back, and the console refuses too.  The forged form
//   carries the admin's password, so that nothing but the forgery is
//   wrong with it; afterwards /admin/policy shows the keyword unchanged.
// - A key operation without the password again, empty or left out, or
//   with a wrong one: 401, and no key is made.
// - A user (alice) reaching /admin, /admin/policy or /admin/keys: 403;
//   and posting the generate form from her own portal page, with her own
//   CSRF token and password: 403, no key made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { baseURL, env, launch, openPage } from './browser.mjs';
import {
	ACTION, PAGE, assertRefused, fill, form, open, openOk, outcomeOf,
	passwordAgain, policyShown, rowsWith, signIn, submit,
} from './console.mjs';

const admin = env('PGPMG_ADMIN');
const adminPassword = env('PGPMG_ADMIN_PASSWORD');
const alice = env('PGPMG_USER');
const alicePassword = env('PGPMG_USER_PASSWORD');
const forgeURL = env('PGPMG_FORGE_URL');
const forgedKeyword = env('PGPMG_FORGED_KEYWORD');
// Internal addresses that no test gives a key.
const NO_KEY = 'carol@example.com';
const NOT_BY_USER = 'erin@example.com';

let browser;
let admin1;		// { context, page } of the signed-in admin
let adminIn = false;
let plainSite;		// the http server of the cross-site page

before(async () => {
	browser = await launch();
	admin1 = await openPage(browser);
	plainSite = createServer((req, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(forgedPage());
	});
	await new Promise((resolve) => plainSite.listen(0, '127.0.0.1', resolve));
});

after(async () => {
	await browser?.close();
	plainSite?.close();
});

function esc(s) {
	return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

// The page elsewhere: a form that posts itself to the console.
function forgedPage() {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>elsewhere</title></head><body>
<form method="post" action="${esc(baseURL)}/admin/policy/set">
<input type="hidden" name="csrf" value="">
<input type="hidden" name="key" value="keyword">
<input type="hidden" name="value" value="${esc(forgedKeyword)}">
<input type="hidden" name="password" value="${esc(adminPassword)}">
<button type="submit">win a prize</button>
</form>
<script>document.forms[0].submit();</script>
</body></html>`;
}

async function signInAdmin() {
	if (!adminIn) {
		await signIn(admin1.page, admin, adminPassword, PAGE.dashboard);
		adminIn = true;
	}
	return admin1.page;
}

// Open a page elsewhere, which posts to the console; the outcome there.
async function forged(page, url) {
	const [last] = await Promise.all([
		page.waitForNavigation({ url: `${baseURL}/admin/policy/set` }),
		// Its load is cut short by the form it posts: wait for the
		// response alone.
		page.goto(url, { waitUntil: 'commit' }),
	]);
	const o = await outcomeOf(page, last);
	let req = last.request();
	while (req.redirectedFrom())
		req = req.redirectedFrom();
	return { o, headers: await req.allHeaders() };
}

test('a form posted from another origin of the same site: 403, the policy unchanged', async () => {
	const page = await signInAdmin();
	const before = await policyShown(page, 'keyword');
	assert.notEqual(before, forgedKeyword);
	const { o, headers } = await forged(page, forgeURL);
	assert.equal(headers.origin, new URL(forgeURL).origin, 'the browser said where the form came from');
	assert.match(headers.cookie ?? '', /__Host-pgpmg=[0-9a-f]{64}/,
	    'the browser sent the session along (same site): only the console stands in the way');
	assertRefused(o, 403, 'the forged POST');
	assert.equal(await policyShown(page, 'keyword'), before, 'the keyword is unchanged');
});

test('a form posted from another site: 403, the policy unchanged', async () => {
	const page = await signInAdmin();
	const before = await policyShown(page, 'keyword');
	const { port } = plainSite.address();
	const { o, headers } = await forged(page, `http://127.0.0.1:${port}/`);
	assert.equal(headers.origin, `http://127.0.0.1:${port}`);
	assert.doesNotMatch(headers.cookie ?? '', /__Host-pgpmg/, 'the browser held the cookie back (SameSite=Strict)');
	assertRefused(o, 403, 'the forged POST');
	assert.equal(await policyShown(page, 'keyword'), before, 'the keyword is unchanged');
});

// The generate form for `address`, the password field as `how` leaves it.
async function generate(page, address, how) {
	await openOk(page, PAGE.keys);
	const f = await form(page, ACTION.keyGenerate);
	await fill(f, 'address', address);
	// As a forged or broken request would come: the browser's own check
	// of required fields off.
	await f.evaluate((e) => { e.noValidate = true; });
	if (how === 'empty')
		await passwordAgain(f, '');
	else if (how === 'wrong')
		await passwordAgain(f, `${adminPassword}-not`);
	else if (how === 'left out')
		await f.locator('[name="password"]').evaluate((e) => e.remove());
	return submit(page, f);
}

test('generating a key without the password again: 401, no key made', async () => {
	const page = await signInAdmin();
	for (const how of ['empty', 'left out', 'wrong'])
		assertRefused(await generate(page, NO_KEY, how), 401,
		    `the password again ${how}`, { withBanner: true });
	await openOk(page, PAGE.keys);
	assert.deepEqual((await rowsWith(page, NO_KEY)).map((r) => r.text), [], `no key for ${NO_KEY}`);
});

test('a user is refused the admin pages (403), and the admin forms', async () => {
	const { context, page } = await openPage(browser);
	await signIn(page, alice, alicePassword, PAGE.portal);
	for (const p of [PAGE.dashboard, PAGE.policy, PAGE.keys]) {
		const r = await open(page, p);
		assert.equal(r.status(), 403, `GET ${p} as a user`);
		assert.equal(new URL(r.url()).pathname, p, 'no redirect');
	}
	// The generate form as a page of the portal would post it: her
	// own session, token and password, the admin's action.
	await openOk(page, PAGE.portal);
	const csrf = await page.locator('input[type="hidden"][name="csrf"]').first().inputValue();
	assert.match(csrf, /^[0-9a-f]{64}$/, 'the portal\'s forms carry her CSRF token');
	await page.evaluate(({ action, csrf, address, password }) => {
		const f = document.createElement('form');
		f.method = 'post';
		f.action = action;
		for (const [name, value] of Object.entries({ csrf, address, password })) {
			const i = document.createElement('input');
			i.type = 'hidden';
			i.name = name;
			i.value = value;
			f.appendChild(i);
		}
		const b = document.createElement('button');
		b.type = 'submit';
		f.appendChild(b);
		f.id = 'as-admin';
		document.body.appendChild(f);
	}, { action: ACTION.keyGenerate, csrf, address: NOT_BY_USER, password: alicePassword });
	assertRefused(await submit(page, page.locator('#as-admin')), 403, 'generate, posted by a user');
	await context.close();

	const admin2 = await signInAdmin();
	await openOk(admin2, PAGE.keys);
	assert.deepEqual((await rowsWith(admin2, NOT_BY_USER)).map((r) => r.text), [], `no key for ${NOT_BY_USER}`);
});
