// direct.mjs — HTTPS to the console from node itself, without the browser:
// for what a browser cannot do, such as coming from another loopback
// address (127.0.0.2 and up: policyd counts failed sign-ins per client
// address too, and the browser's own, 127.0.0.1, must stay unlocked).
// It trusts the appliance's certificate alone (PGPMG_WEB_CERT, whose
// subjectAltName is IP:127.0.0.1) and sends what the console's page
// would: the Origin of the console, a urlencoded form.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { baseURL, env } from './browser.mjs';

const ca = readFileSync(env('PGPMG_WEB_CERT'));
const origin = new URL(baseURL).origin;

// A request on loopback answers in milliseconds; a sign-in takes one
// password check (0.6 s) unless all four are taken.  Ten seconds is a
// hung server.
const DIRECT_TIMEOUT_MS = 10000;

// method, path; the body as a string; resolves to { status, headers, body }.
export function fetchDirect(method, path, { form, localAddress, headers = {} } = {}) {
	const body = form ? new URLSearchParams(form).toString() : null;
	const u = new URL(path, baseURL);
	return new Promise((resolve, reject) => {
		const req = request({
			host: u.hostname, port: u.port, path: u.pathname + u.search,
			method, ca, localAddress, agent: false,
			timeout: DIRECT_TIMEOUT_MS,
			headers: {
				...(body !== null ? {
					'Content-Type': 'application/x-www-form-urlencoded',
					'Content-Length': Buffer.byteLength(body),
					Origin: origin,
				} : {}),
				...headers,
			},
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({
				status: res.statusCode,
				headers: res.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			}));
			res.on('error', reject);
		});
		req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${DIRECT_TIMEOUT_MS} ms`)));
		req.on('error', reject);
		req.end(body ?? undefined);
	});
}
