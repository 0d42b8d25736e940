// mail.mjs — mail through the appliance for the browser tests: a small
// SMTP client (node:net, nothing from npm) that hands a message to smtpd
// on 127.0.0.1:PGPMG_SMTP_PORT, the copy the relay received (run.sh's
// smtp-sink writes each message it is given as one file in
// PGPMG_SINK_DIR), what form it left in (encrypted, signed, plain), and
// decryption as the outside correspondent, whose GnuPG home is
// PGPMG_PARTNER_GNUPGHOME.
import { readFileSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { env } from './browser.mjs';
import { gpg } from './gpg.mjs';

const smtpPort = Number(env('PGPMG_SMTP_PORT'));
const sinkDir = env('PGPMG_SINK_DIR');
export const partner = env('PGPMG_PARTNER');
export const partnerFpr = env('PGPMG_PARTNER_FPR');
const partnerHome = env('PGPMG_PARTNER_GNUPGHOME');

// smtpd answers the end of data once the relay took the message, after
// cryptod encrypted it: seconds at most on loopback.  Twenty is a hung
// server, not a slow one.
const SMTP_REPLY_TIMEOUT_MS = 20000;
// The relay has the message when smtpd says 250 to the end of data; the
// wait covers only the file appearing in the directory listing.
const RELAYED_TIMEOUT_MS = 5000;

// ---------------------------------------------------------------- SMTP

// One SMTP conversation: EHLO, MAIL, RCPT, DATA, the message, QUIT.
// Resolves to the replies ([{ code, text }]) once the end of data was
// answered 2xx; rejects naming the step and the reply otherwise.
export function sendMail({ from, to, message }) {
	const data = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
	const steps = [
		{ send: null, want: 2, what: 'greeting' },
		{ send: 'EHLO browser.test', want: 2, what: 'EHLO' },
		{ send: `MAIL FROM:<${from}>`, want: 2, what: 'MAIL' },
		{ send: `RCPT TO:<${to}>`, want: 2, what: 'RCPT' },
		{ send: 'DATA', want: 3, what: 'DATA' },
		{ send: `${data.endsWith('\r\n') ? data : `${data}\r\n`}.`, want: 2, what: 'end of data' },
		{ send: 'QUIT', want: 2, what: 'QUIT' },
	];
	return new Promise((resolve, reject) => {
		const sock = createConnection({ host: '127.0.0.1', port: smtpPort });
		const replies = [];
		let buf = '';
		let lines = [];
		let step = 0;
		const fail = (e) => { sock.destroy(); reject(e); };
		sock.setTimeout(SMTP_REPLY_TIMEOUT_MS, () =>
		    fail(new Error(`SMTP: no reply to ${steps[step].what} within ${SMTP_REPLY_TIMEOUT_MS} ms`)));
		sock.on('error', (e) => fail(new Error(`SMTP: ${e.message}`)));
		sock.on('data', (chunk) => {
			buf += chunk.toString('latin1');
			let i;
			while ((i = buf.indexOf('\r\n')) !== -1) {
				const line = buf.slice(0, i);
				buf = buf.slice(i + 2);
				lines.push(line);
				if (!/^\d{3} /.test(line) && line.length > 3 && line[3] === '-')
					continue;	// a line of a multi-line reply
				const code = Number(line.slice(0, 3));
				const reply = { code, text: lines.join('\n') };
				lines = [];
				replies.push(reply);
				const s = steps[step];
				if (Math.floor(code / 100) !== s.want) {
					fail(new Error(`SMTP: ${s.what} answered ${reply.text}`));
					return;
				}
				if (++step === steps.length) {
					sock.end();
					resolve(replies);
					return;
				}
				sock.write(`${steps[step].send}\r\n`, 'latin1');
			}
		});
	});
}

// A message of our own: headers and a text body, CRLF.
export function message({ from, to, subject, messageId, body }) {
	return [
		`From: ${from}`, `To: ${to}`, `Subject: ${subject}`,
		`Message-ID: <${messageId}>`, 'Date: Sun, 06 Dec 2026 10:00:00 +0000',
		'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '',
		body, '',
	].join('\r\n');
}

// ---------------------------------------------------------------- the relay

// The message in a file of smtp-sink's: what follows its own header block,
// which ends with its Received field (three lines).
function sinkMessage(text) {
	const lines = text.split('\n');
	let i = lines.findIndex((l) => l.startsWith('Received: '));
	if (i === -1)
		return text;
	for (i++; i < lines.length && lines[i].startsWith('\t'); i++)
		;
	return lines.slice(i).join('\n');
}

// The message the relay received with this Message-ID, as it came.
export async function relayed(messageId) {
	const want = `\nMessage-ID: <${messageId}>`;
	const deadline = Date.now() + RELAYED_TIMEOUT_MS;
	for (;;) {
		for (const name of readdirSync(sinkDir)) {
			const text = readFileSync(join(sinkDir, name), 'latin1');
			if (text.includes(want))
				return sinkMessage(text);
		}
		if (Date.now() > deadline)
			throw new Error(`the relay did not receive <${messageId}> within ${RELAYED_TIMEOUT_MS} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

// The top-level header block's Content-Type, unfolded.
export function contentType(msg) {
	const head = msg.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
	const m = head.match(/^Content-Type:\s*(.*)$/im);
	return m ? m[1].trim() : '';
}

// The form a relayed message left in: "encrypted" (RFC 3156
// multipart/encrypted with an armoured PGP message), "signed" (RFC 3156
// multipart/signed) or "plain".
export function form(msg) {
	const ct = contentType(msg);
	if (/^multipart\/encrypted\s*;/i.test(ct) &&
	    /protocol="?application\/pgp-encrypted"?/i.test(ct) &&
	    msg.includes('-----BEGIN PGP MESSAGE-----'))
		return 'encrypted';
	if (/^multipart\/signed\s*;/i.test(ct))
		return 'signed';
	return 'plain';
}

// The armoured PGP message in a relayed message.
export function pgpMessage(msg) {
	const m = msg.match(/-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*?-----END PGP MESSAGE-----/);
	if (!m)
		throw new Error('no armoured PGP message');
	return m[0];
}

// ---------------------------------------------------------------- the partner

// Decrypt as the partner (whose key pair has no passphrase).
export async function partnerDecrypt(armour) {
	const r = await gpg(['--homedir', partnerHome, '--pinentry-mode', 'loopback',
	    '--passphrase', '', '--decrypt'], armour);
	if (r.code !== 0)
		throw new Error(`gpg --decrypt as ${partner}: exit ${r.code}: ${r.stderr.trim()}`);
	return r.stdout;
}
