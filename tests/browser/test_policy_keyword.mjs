// test_policy_keyword.mjs — issue 6, "Done when": the keyword policy set
// in the browser decides what happens to mail.  The admin signs in, sets
// mode "keyword" and the keyword "[secure]" on /admin/policy, each with
// the password again, and sees both on the page.  Then two mails from an
// internal sender (who has no key: nothing to sign with) to bob of
// partner.example (whose public key the gateway holds) go through smtpd:
// the one with the keyword in its Subject leaves as RFC 3156
// multipart/encrypted, its text nowhere in the clear, and bob's gpg
// decrypts it to that text; the one without leaves plain, its text there
// and no PGP message in it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { env, launch, openPage } from './browser.mjs';
import { PAGE, assertOk, policyShown, setPolicy, signIn } from './console.mjs';
import {
	form, message, partner, partnerDecrypt, pgpMessage, relayed, sendMail,
} from './mail.mjs';

const admin = env('PGPMG_ADMIN');
const adminPassword = env('PGPMG_ADMIN_PASSWORD');
const KEYWORD = '[secure]';
// An internal sender without a key of its own.
const SENDER = 'dave@example.com';

let browser;
let page;
let policySet = false;

before(async () => {
	browser = await launch();
	({ page } = await openPage(browser));
});

after(async () => {
	await browser?.close();
});

test('the admin sets mode keyword and the keyword on /admin/policy', async () => {
	await signIn(page, admin, adminPassword, PAGE.dashboard);
	assertOk(await setPolicy(page, 'mode', 'keyword', adminPassword), 'mode keyword');
	assertOk(await setPolicy(page, 'keyword', KEYWORD, adminPassword), `keyword ${KEYWORD}`);
	assert.equal(await policyShown(page, 'mode'), 'keyword');
	assert.equal(await policyShown(page, 'keyword'), KEYWORD);
	policySet = true;
});

// A mail from SENDER to the partner, its text unique to this run; the
// copy the relay got, and the text.
async function mailThrough(subject) {
	const nonce = randomBytes(8).toString('hex');
	const text = `The figures for the quarter are ${nonce}.`;
	const messageId = `${nonce}@browser.test`;
	await sendMail({
		from: SENDER, to: partner,
		message: message({ from: SENDER, to: partner, subject, messageId, body: text }),
	});
	return { got: await relayed(messageId), text };
}

function needPolicy() {
	if (!policySet)
		throw new Error('the policy was not set through the console (the test before failed): the mail would prove nothing');
}

test('a mail with the keyword in its Subject leaves encrypted, and bob decrypts it', async () => {
	needPolicy();
	const { got, text } = await mailThrough(`Quarterly figures ${KEYWORD}`);
	assert.equal(form(got), 'encrypted', `multipart/encrypted with a PGP message:\n${got.slice(0, 600)}`);
	assert.match(got, /^Content-Type: application\/pgp-encrypted\r?$/m, 'the version part');
	assert.match(got, /^Version: 1\r?$/m);
	assert.ok(!got.includes(text), 'the text is nowhere in the clear');
	assert.ok(!got.includes('Quarterly figures'), 'nor the Subject');
	const clear = await partnerDecrypt(pgpMessage(got));
	assert.ok(clear.includes(text), `bob's gpg decrypts it to the text:\n${clear.slice(0, 600)}`);
});

test('a mail without the keyword leaves plain', async () => {
	needPolicy();
	const { got, text } = await mailThrough('Quarterly figures');
	assert.equal(form(got), 'plain', got.slice(0, 600));
	assert.ok(got.includes(text), 'the text is there as sent');
	assert.ok(!got.includes('-----BEGIN PGP'), 'no PGP message or signature');
	assert.match(got, /^Subject: Quarterly figures\r?$/m);
});
