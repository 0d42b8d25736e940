// test_bruteforce.mjs — issue 6, "Done when": guessing a password through
// POST /login.  Twenty wrong passwords for mallory, sent as the sign-in
// page sends them (its Origin, a urlencoded form) but from node, from
// 127.0.0.2: policyd counts failures per client address as well as per
// account, and the browser's own address, 127.0.0.1, must stay usable.
//
// policyd's rule (policyd/lockout.h): four failures cost nothing (401);
// the fifth locks the account for 1 s, each further one for twice as
// long (429, Retry-After the lock's seconds); while locked, an attempt
// is refused unchecked (429, Retry-After what is left), and does not
// count.  The test waits out the locks of 1, 2, 4 and 8 s, so that nine
// guesses are checked (the ninth locks for 16 s), and sends the other
// eleven into the lock.  Waiting out locks of up to 900 s for twenty
// checked guesses would take hours; test_console_auth.sh follows the
// rule that far, by clearing the lock in the database.  Then the right
// password, from yet another address (127.0.0.3), is refused too: it is
// the account that is locked, not only the client.
//
// Every attempt is audited (login-failed, with the reason "wrong
// password" or "locked"): the admin sees them on /admin/audit filtered by
// kind, and run.sh counts the rows in the database after the run, from
// the record this test leaves in out/bruteforce.json.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, launch, openPage, outDir } from './browser.mjs';
import { fetchDirect } from './direct.mjs';
import { PAGE, openOk, rows, rowsWith, signIn } from './console.mjs';

const admin = env('PGPMG_ADMIN');
const adminPassword = env('PGPMG_ADMIN_PASSWORD');
const mallory = env('PGPMG_LOCKOUT_USER');
const malloryPassword = env('PGPMG_LOCKOUT_PASSWORD');

const GUESSES = 20;
// The failures in a row that cost nothing, and the longest lock this test
// waits out: the ones after it are sent into the lock.
const FREE = 4;
const WAIT_MAX_S = 8;
const ATTACKER = '127.0.0.2';
const OTHER_CLIENT = '127.0.0.3';

// policyd's rule, for the failures this test reaches (below 20).
function lockAfter(n) {
	return n <= FREE ? 0 : 2 ** (n - FREE - 1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let browser;
const attempts = [];	// { n, status, retryAfter, checked }

before(async () => {
	browser = await launch();
});

after(async () => {
	await browser?.close();
});

async function guess(password, localAddress) {
	const r = await fetchDirect('POST', PAGE.login, {
		form: { csrf: '', address: mallory, password }, localAddress,
	});
	const retry = r.headers['retry-after'];
	return { status: r.status, retryAfter: retry === undefined ? null : Number(retry) };
}

test('twenty wrong passwords: 401 four times, then 429 with Retry-After 1, 2, 4, 8, 16, then 429 unchecked', async () => {
	// The sign-in page first, as a browser would.
	const page = await fetchDirect('GET', PAGE.login, { localAddress: ATTACKER });
	assert.equal(page.status, 200);
	assert.match(page.body, /name="csrf"/);

	let failures = 0;	// checked, so counted by policyd
	let left = 0;		// seconds of the lock the test does not wait out
	for (let n = 1; n <= GUESSES; n++) {
		// The lock the last checked guess set was waited out, unless
		// it is longer than WAIT_MAX_S.
		const checked = lockAfter(failures) <= WAIT_MAX_S;
		const r = await guess(`wrong-guess-${n}`, ATTACKER);
		attempts.push({ n, ...r, checked });
		if (checked) {
			failures++;
			const want = lockAfter(failures);
			if (want === 0) {
				assert.equal(r.status, 401, `guess ${n}: denied`);
				assert.equal(r.retryAfter, null, `guess ${n}: no Retry-After`);
			} else {
				assert.equal(r.status, 429, `guess ${n}: locked`);
				assert.equal(r.retryAfter, want, `guess ${n}: Retry-After ${want}`);
			}
			if (want <= WAIT_MAX_S)
				await sleep(want * 1000 + (want > 0 ? 250 : 0));
			left = want;
		} else {
			assert.equal(r.status, 429, `guess ${n}, while locked: refused`);
			assert.ok(r.retryAfter >= 1 && r.retryAfter <= left,
			    `guess ${n}, while locked: Retry-After ${r.retryAfter}, at most the ${left} s left`);
			left = r.retryAfter;
		}
	}
	assert.equal(failures, 9, 'nine guesses were checked');
	const right = await guess(malloryPassword, OTHER_CLIENT);
	attempts.push({ n: GUESSES + 1, ...right, checked: false });
	assert.equal(right.status, 429, 'the right password, from another address, while the account is locked: refused');
	assert.ok(right.retryAfter >= 1);
	writeFileSync(join(outDir, 'bruteforce.json'), JSON.stringify({
		address: mallory,
		attempts: attempts.length,
		checked: attempts.filter((a) => a.checked).length,
		answers: attempts,
	}, null, 1));
});

test('the admin sees every attempt on /admin/audit (kind login-failed)', async () => {
	assert.ok(attempts.length > 0, 'the guesses were made (the test before)');
	const { page } = await openPage(browser);
	await signIn(page, admin, adminPassword, PAGE.dashboard);
	await openOk(page, `${PAGE.audit}?kind=login-failed`);
	const found = await rowsWith(page, mallory);
	assert.equal(found.length, attempts.length,
	    `one row per attempt for ${mallory}: ${found.length}, want ${attempts.length}`);
	assert.ok(found.every((r) => /login-failed/.test(r.text)), 'all of kind login-failed');
	// The filter filters: the admin's own sign-in just now (kind login)
	// is not listed, nor anything else.
	assert.deepEqual((await rows(page)).filter((r) => !/login-failed/.test(r.text)).map((r) => r.text), []);
});
