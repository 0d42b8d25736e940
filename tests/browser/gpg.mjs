// gpg.mjs — GnuPG for the browser tests, as the browser user: running
// gpg, and what gpg --show-keys says of a key file (in a home of its own,
// so that nothing is imported anywhere).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// gpg on a message or a key of a few kilobytes.
const GPG_TIMEOUT_MS = 20000;

// Run gpg with input; resolves to { code, stdout, stderr }.
export function gpg(args, input = '') {
	return new Promise((resolve, reject) => {
		const p = spawn('gpg', ['--batch', '--no-tty', ...args], {
			stdio: ['pipe', 'pipe', 'pipe'],
			timeout: GPG_TIMEOUT_MS,
		});
		const out = [];
		const err = [];
		p.stdout.on('data', (d) => out.push(d));
		p.stderr.on('data', (d) => err.push(d));
		p.on('error', reject);
		p.on('close', (code, signal) => resolve({
			code: signal ? `signal ${signal}` : code,
			stdout: Buffer.concat(out).toString('utf8'),
			stderr: Buffer.concat(err).toString('utf8'),
		}));
		p.stdin.on('error', () => {});	// gpg may exit before reading
		p.stdin.end(input);
	});
}

// What gpg --show-keys says of a key file, in a home of its own:
// [{ type: 'pub'|'sec', validity, fpr, uids: [] }].
export async function showKeys(text) {
	const home = mkdtempSync(join(tmpdir(), 'gpg-show-'));
	try {
		const file = join(home, 'key.asc');
		writeFileSync(file, text);
		const r = await gpg(['--homedir', home, '--with-colons', '--show-keys', file]);
		if (r.code !== 0)
			throw new Error(`gpg --show-keys: exit ${r.code}: ${r.stderr.trim()}`);
		const keys = [];
		let key = null;
		let wantFpr = false;
		for (const line of r.stdout.split('\n')) {
			const f = line.split(':');
			if (f[0] === 'pub' || f[0] === 'sec') {
				key = { type: f[0], validity: f[1], fpr: null, uids: [] };
				keys.push(key);
				wantFpr = true;
			} else if (f[0] === 'sub' || f[0] === 'ssb') {
				wantFpr = false;
			} else if (f[0] === 'fpr' && key && wantFpr) {
				key.fpr = f[9];
				wantFpr = false;
			} else if (f[0] === 'uid' && key) {
				key.uids.push(f[9]);
			}
		}
		return keys;
	} finally {
		rmSync(home, { recursive: true, force: true });
	}
}
