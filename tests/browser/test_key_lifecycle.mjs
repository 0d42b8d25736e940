// test_key_lifecycle.mjs — issue 6, "Done when": a key's life in the
// console.  The admin generates a key for alice on /admin/keys (password
// again); the table shows it with its fingerprint and the expiry
// key-lifetime gives it; the admin signs out.  Alice signs in to /portal,
// sees the key, downloads its public part (an attachment: an armoured
// public key, no secret, gpg reads the same fingerprint and her
// address), revokes it (password again), and the portal shows it revoked;
// downloaded again, gpg sees the revocation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { env, launch, openPage, screenshot } from './browser.mjs';
import {
	ACTION, COLUMN, DOWNLOAD, PAGE, assertOk, cell, fill, fingerprintIn, form,
	notRevoked, openOk, passwordAgain, rowsWith, signIn, signOut, submit,
} from './console.mjs';
import { showKeys } from './gpg.mjs';

const admin = env('PGPMG_ADMIN');
const adminPassword = env('PGPMG_ADMIN_PASSWORD');
const alice = env('PGPMG_USER');
const alicePassword = env('PGPMG_USER_PASSWORD');
const lifetimeDays = Number(env('PGPMG_KEY_LIFETIME_DAYS'));

let browser;
let page;
let fpr = null;		// alice's key, once the admin made it
let aliceIn = false;

before(async () => {
	browser = await launch();
	({ page } = await openPage(browser));
});

after(async () => {
	await browser?.close();
});

// The one row of the page's key table for alice's address.
async function aliceRow(what) {
	const found = await rowsWith(page, alice);
	assert.equal(found.length, 1, `${what}: one row for ${alice} (${found.length})`);
	return found[0];
}

function dayOffset(dateText) {
	const m = dateText.match(/\b(\d{4}-\d{2}-\d{2})\b/);
	assert.ok(m, `an ISO date in "${dateText}"`);
	return Math.round((Date.parse(`${m[1]}T00:00:00Z`) - Date.now()) / 86400000);
}

test('the admin generates a key for alice on /admin/keys', async () => {
	await signIn(page, admin, adminPassword, PAGE.dashboard);
	await openOk(page, PAGE.keys);
	assert.equal((await rowsWith(page, alice)).length, 0, 'no key for alice before');
	const f = await form(page, ACTION.keyGenerate);
	await fill(f, 'address', alice);
	await passwordAgain(f, adminPassword);
	assertOk(await submit(page, f), `generating a key for ${alice}`);

	await openOk(page, PAGE.keys);
	const row = await aliceRow('/admin/keys');
	fpr = fingerprintIn(cell(row, COLUMN.fingerprint));
	const days = dayOffset(cell(row, COLUMN.expiry));
	assert.ok(Math.abs(days - lifetimeDays) <= 1,
	    `it expires in key-lifetime (${lifetimeDays}) days: ${cell(row, COLUMN.expiry)}`);
	assert.ok(notRevoked(cell(row, COLUMN.revoked)), `not revoked: "${cell(row, COLUMN.revoked)}"`);
	await signOut(page);
});

test('alice sees her key on /portal, and downloads its public part', async () => {
	if (fpr === null)
		throw new Error('the admin made no key for alice (the test before failed)');
	await signIn(page, alice, alicePassword, PAGE.portal);
	aliceIn = true;
	const row = await aliceRow('/portal');
	assert.equal(fingerprintIn(cell(row, COLUMN.fingerprint)), fpr);
	assert.ok(notRevoked(cell(row, COLUMN.revoked)));
	assert.ok(row.links.includes(DOWNLOAD.portalKey(fpr)),
	    `a link ${DOWNLOAD.portalKey(fpr)} in the row (links: ${row.links.join(' ')})`);
	await screenshot(page, 'portal-key');

	const text = await download(DOWNLOAD.portalKey(fpr));
	assert.match(text, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n/);
	assert.match(text, /-----END PGP PUBLIC KEY BLOCK-----\r?\n?$/);
	assert.ok(!/PRIVATE KEY/.test(text), 'no secret key in it');
	const keys = await showKeys(text);
	assert.equal(keys.length, 1, 'one key');
	assert.equal(keys[0].type, 'pub', 'a public key');
	assert.equal(keys[0].fpr, fpr, 'the fingerprint the table shows');
	// The user ID is the address, bare (as keyd makes it) or in <>.
	assert.ok(keys[0].uids.some((u) => u === alice || u.endsWith(`<${alice}>`)),
	    `for ${alice}: ${keys[0].uids}`);
	assert.notEqual(keys[0].validity, 'r', 'not revoked yet');
});

// Click the download link on the page; its content.
async function download(href) {
	const link = page.locator(`a[href="${href}"]`);
	assert.equal(await link.count(), 1, `one link ${href}`);
	const [d] = await Promise.all([page.waitForEvent('download'), link.click()]);
	const failure = await d.failure();
	assert.equal(failure, null, `the download of ${href}`);
	return readFileSync(await d.path(), 'utf8');
}

test('alice revokes her key: the portal shows it revoked, and so does the key', async () => {
	if (fpr === null || !aliceIn)
		throw new Error('alice has no key, or is not signed in (a test before failed)');
	await openOk(page, PAGE.portal);
	const f = await form(page, ACTION.portalKeyRevoke, { fpr });
	await passwordAgain(f, alicePassword);
	assertOk(await submit(page, f), 'revoking her key');

	await openOk(page, PAGE.portal);
	const row = await aliceRow('/portal after the revocation');
	assert.equal(fingerprintIn(cell(row, COLUMN.fingerprint)), fpr);
	assert.ok(!notRevoked(cell(row, COLUMN.revoked)),
	    `shown revoked: "${cell(row, COLUMN.revoked)}"`);
	const keys = await showKeys(await download(DOWNLOAD.portalKey(fpr)));
	assert.equal(keys[0]?.fpr, fpr);
	assert.equal(keys[0]?.validity, 'r', 'gpg sees the key revoked');
});
