// console.mjs — the console as the scenario tests see it: its pages and
// forms, the labels a person reads, the result banner, and the flows made
// of them (sign in and out, fill and post a form with the password asked
// again, read a table).  Every selector of the console's pages is in this
// file and nowhere else, so that the pages' author has one list to check.
//
// Elements are found as a person finds them where the wording is agreed
// (the sign-in form's labels, "Your password", the buttons "Sign in" and
// "Sign out"); otherwise by the form's action and the field's name, which
// are the console's interface (docs: issue 6).  Every lookup counts what
// is there at once and throws a sentence naming what is missing, instead
// of waiting out a locator's timeout: a page that is not written yet
// fails its test in a moment, and says so.
import assert from 'node:assert/strict';
import { baseURL } from './browser.mjs';

// ---------------------------------------------------------------- the list

export const PAGE = {
	login: '/login',
	dashboard: '/admin',
	policy: '/admin/policy',
	users: '/admin/users',
	keys: '/admin/keys',
	audit: '/admin/audit',		// ?process=&kind=&actor=&since=&until=
	notices: '/admin/notices',
	portal: '/portal',
};

// Each form's action; its fields are named where it is used.  Every form
// of a signed-in page has a hidden field `csrf`; a form of a change has
// `password` too, labelled LABEL.passwordAgain.
export const ACTION = {
	login: '/login',			// address, password
	logout: '/logout',			// (csrf)
	policySet: '/admin/policy/set',		// key, value, password
	keyGenerate: '/admin/keys/generate',	// address, password
	keyRevoke: '/admin/keys/revoke',	// fpr, password
	portalKeyRevoke: '/portal/key/revoke',	// fpr, password
};

// The downloads: an armoured public key, as an attachment.
export const DOWNLOAD = {
	portalKey: (fpr) => `/portal/key?fpr=${fpr}`,
	adminKey: (fpr) => `/admin/keys/export?fpr=${fpr}`,
};

export const LABEL = {
	address: 'Address',		// the sign-in form
	password: 'Password',		// the sign-in form
	passwordAgain: 'Your password',	// every form of a change
};

export const BUTTON = {
	signIn: 'Sign in',
	signOut: 'Sign out',		// on every signed-in page, in the
					// form posting to ACTION.logout
};

// After a POST: exactly one of these, with the HTTP status 200 (ok), or
// 400, 401 (the password again wrong or missing), 403, 404, 409, 429
// (locked, with Retry-After), 503 (error).  A refusal before the
// operation (no session, another origin, a wrong CSRF token) is a 403
// page of its own, with no "ok" banner.
export const RESULT = { ok: 'p.result.ok', error: 'p.result.error' };

// The session cookie and its attributes.
export const COOKIE = '__Host-pgpmg';

// The tables: a <table> whose header cells (<th>, in <thead> or in its
// first row) name the columns; these patterns find them.  One row per
// key on /admin/keys and /portal.
export const COLUMN = {
	fingerprint: /fingerprint/i,
	addresses: /address/i,
	expiry: /expir/i,
	revoked: /revoked/i,
};

// ---------------------------------------------------------------- pages

function hint(status) {
	switch (status) {
	case 404: return ' (no such page: not written yet?)';
	case 405: return ' (the route does not take this method yet)';
	default: return '';
	}
}

export function pathOf(page) {
	const u = new URL(page.url());
	return u.pathname + u.search;
}

// GET path; the final response (after redirects).
export async function open(page, path) {
	return page.goto(`${baseURL}${path}`);
}

// GET path, which must answer 200 without a redirect.
export async function openOk(page, path) {
	const r = await open(page, path);
	const from = r.request().redirectedFrom();
	if (from) {
		const first = await from.response();
		throw new Error(`GET ${path} answered ${first?.status()}, to ` +
		    `${new URL(r.url()).pathname} (${r.status()}): not signed in?`);
	}
	if (r.status() !== 200)
		throw new Error(`GET ${path} answered ${r.status()}${hint(r.status())}`);
	return r;
}

// ---------------------------------------------------------------- forms

function cssString(s) {
	return `"${String(s).replace(/["\\]/g, '\\$&')}"`;
}

// The one form on the page posting to action, among those whose hidden
// fields have the values in `hidden` ({ fpr: '...' }).
export async function form(page, action, hidden = {}) {
	let sel = `form[action=${cssString(action)}]`;
	for (const [name, value] of Object.entries(hidden))
		sel += `:has(input[name=${cssString(name)}][value=${cssString(value)}])`;
	const f = page.locator(sel);
	const n = await f.count();
	const which = Object.keys(hidden).length ?
	    ` with ${JSON.stringify(hidden)}` : '';
	if (n === 0)
		throw new Error(`no form posting to ${action}${which} on ${pathOf(page)}`);
	if (n > 1)
		throw new Error(`${n} forms posting to ${action}${which} on ${pathOf(page)}`);
	if ((await f.getAttribute('method'))?.toLowerCase() !== 'post')
		throw new Error(`the form posting to ${action} is not method="post"`);
	if (await f.locator('input[type="hidden"][name="csrf"]').count() !== 1)
		throw new Error(`the form posting to ${action} has no hidden csrf field`);
	return f;
}

// Set the field `name` of a form as a person would: choose the option
// of a select or the radio button with that value, type into a text
// field; a hidden field must hold the value already.
export async function fill(f, name, value) {
	const el = f.locator(`[name=${cssString(name)}]`);
	const n = await el.count();
	if (n === 0)
		throw new Error(`the form has no field "${name}"`);
	const kind = await el.first().evaluate((e) =>
	    e.localName === 'input' ? `input:${e.type}` : e.localName);
	if (kind === 'input:radio') {
		const one = f.locator(`input[type="radio"][name=${cssString(name)}][value=${cssString(value)}]`);
		if (await one.count() !== 1)
			throw new Error(`no "${value}" among the choices of "${name}"`);
		await one.check();
		return;
	}
	if (n !== 1)
		throw new Error(`the form has ${n} fields "${name}"`);
	if (kind === 'select') {
		await el.selectOption(value);
		return;
	}
	if (kind === 'input:hidden') {
		assert.equal(await el.inputValue(), value, `the hidden field "${name}"`);
		return;
	}
	await el.fill(value);
}

// The password asked again, found by its label.
export async function passwordAgain(f, password) {
	const el = f.getByLabel(LABEL.passwordAgain, { exact: true });
	if (await el.count() !== 1)
		throw new Error(`the form has no field labelled "${LABEL.passwordAgain}"`);
	assert.equal(await el.getAttribute('name'), 'password');
	assert.equal(await el.getAttribute('type'), 'password');
	await el.fill(password);
}

// What the page says after a POST: its banners.
export async function banner(page) {
	const ok = page.locator(RESULT.ok);
	const error = page.locator(RESULT.error);
	return {
		ok: await ok.count(),
		error: await error.count(),
		text: (await page.locator(`${RESULT.ok}, ${RESULT.error}`).allInnerTexts()).join(' | '),
	};
}

// Submit a form by its button and wait for the page it leads to.  The
// outcome: the POST's status and Location and Retry-After, the final
// page's path and status, and its banners.  A form the browser itself
// would not send (a required field empty) is an error here, at once.
export async function submit(page, f, { button } = {}) {
	if (!await f.evaluate((e) => e.noValidate || e.checkValidity()))
		throw new Error('the browser would not send the form: a field is missing or invalid');
	const b = button ? f.getByRole('button', { name: button, exact: true }) :
	    f.locator('button[type="submit"], button:not([type]), input[type="submit"]');
	const n = await b.count();
	if (n !== 1)
		throw new Error(`the form has ${n} ${button ? `"${button}" buttons` : 'submit buttons'}`);
	const [last] = await Promise.all([page.waitForNavigation(), b.click()]);
	return outcomeOf(page, last);
}

// The outcome of a navigation that started with a POST, from its last
// response back to the first request.
export async function outcomeOf(page, last) {
	assert.ok(last, 'the navigation had a response');
	let req = last.request();
	while (req.redirectedFrom())
		req = req.redirectedFrom();
	const first = await req.response();
	return {
		method: req.method(),
		status: first.status(),
		location: await first.headerValue('location'),
		retryAfter: await first.headerValue('retry-after'),
		finalStatus: last.status(),
		path: pathOf(page),
		...await banner(page),
	};
}

function describe(o) {
	return `${o.method} answered ${o.status}${hint(o.status)}` +
	    (o.location ? ` to ${o.location}` : '') +
	    (o.text ? `, saying "${o.text}"` : '');
}

// A change that worked: 200 and the "ok" banner alone.
export function assertOk(o, what) {
	assert.equal(o.status, 200, `${what}: ${describe(o)}`);
	assert.equal(o.ok, 1, `${what}: one "ok" banner (${describe(o)})`);
	assert.equal(o.error, 0, `${what}: no error banner (${describe(o)})`);
}

// A change refused with this status; the page shows no "ok" banner, and
// with `banner` set, one error banner (an operation's refusal).
export function assertRefused(o, status, what, { withBanner = false } = {}) {
	assert.equal(o.status, status, `${what}: ${describe(o)}`);
	assert.equal(o.ok, 0, `${what}: no "ok" banner (${describe(o)})`);
	if (withBanner)
		assert.equal(o.error, 1, `${what}: one error banner (${describe(o)})`);
}

// ---------------------------------------------------------------- sign in, out

// Sign in through the form on /login; the outcome of the POST.
export async function signInOutcome(page, address, password) {
	await openOk(page, PAGE.login);
	const f = await form(page, ACTION.login);
	await page.getByLabel(LABEL.address, { exact: true }).fill(address);
	await page.getByLabel(LABEL.password, { exact: true }).fill(password);
	return submit(page, f, { button: BUTTON.signIn });
}

// Sign in, which must work: 303 to the role's start page.  Whether that
// page works is its own test's business (test_signin, test_screenshots),
// not every scenario's.
export async function signIn(page, address, password, start) {
	const o = await signInOutcome(page, address, password);
	assert.equal(o.status, 303, `signing in as ${address}: ${describe(o)}`);
	assert.equal(o.location, start, `signing in as ${address}: the start page`);
	assert.equal(new URL(page.url()).pathname, start,
	    `signing in as ${address}: the browser is on ${start}`);
	return o;
}

// Sign out by the button on the current page: 303 to /login.
export async function signOut(page) {
	const f = await form(page, ACTION.logout);
	const o = await submit(page, f, { button: BUTTON.signOut });
	assert.equal(o.status, 303, `signing out: ${describe(o)}`);
	assert.equal(o.location, PAGE.login);
	return o;
}

// ---------------------------------------------------------------- tables

// Every table row of the page: its cells by their column's header, its
// text, its links and its forms (action and hidden fields but csrf).
export async function rows(page) {
	return page.evaluate(() => {
		const out = [];
		for (const t of document.querySelectorAll('table')) {
			let head = [...t.querySelectorAll('thead th')];
			const body = t.tBodies.length ?
			    [...t.tBodies].flatMap((b) => [...b.rows]) : [...t.rows];
			if (head.length === 0 && body.length > 0 &&
			    [...body[0].cells].every((c) => c.localName === 'th')) {
				head = [...body[0].cells];
				body.shift();
			}
			const names = head.map((h) => h.innerText.trim());
			for (const tr of body) {
				const cells = {};
				[...tr.cells].forEach((c, i) => {
					cells[names[i] ?? `#${i}`] = c.innerText.trim();
				});
				out.push({
					cells,
					text: tr.innerText,
					links: [...tr.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
					forms: [...tr.querySelectorAll('form')].map((f) => ({
						action: f.getAttribute('action'),
						fields: Object.fromEntries([...f.querySelectorAll('input[type="hidden"]')]
						    .filter((i) => i.name !== 'csrf').map((i) => [i.name, i.value])),
					})),
				});
			}
		}
		return out;
	});
}

// The rows that mention text anywhere.
export async function rowsWith(page, text) {
	return (await rows(page)).filter((r) => r.text.includes(text));
}

// A row's cell in the column whose header matches re.
export function cell(row, re) {
	const k = Object.keys(row.cells).find((h) => re.test(h));
	if (k === undefined)
		throw new Error(`no column matching ${re} (the columns: ${Object.keys(row.cells).join(', ')})`);
	return row.cells[k];
}

// A fingerprint as shown (maybe in groups), as 40 upper-case hex digits.
export function fingerprintIn(text) {
	const f = text.replace(/\s+/g, '').toUpperCase();
	assert.match(f, /^[0-9A-F]{40}$/, `a fingerprint: "${text}"`);
	return f;
}

// A "revoked" cell that says it is not: empty, "no", a dash.
export function notRevoked(text) {
	return /^(|no|-|—|–)$/i.test(text.trim());
}

// ---------------------------------------------------------------- policy

// The form that sets the setting `key` (mode, keyword, missing-key, sign,
// decrypt, protected-headers): either one form per setting, whose hidden
// `key` is the setting, or one form whose `key` is a select of settings
// (chosen here).
export async function policyForm(page, key) {
	const forms = page.locator(`form[action=${cssString(ACTION.policySet)}]`);
	const n = await forms.count();
	if (n === 0)
		throw new Error(`no form posting to ${ACTION.policySet} on ${pathOf(page)}`);
	for (let i = 0; i < n; i++) {
		const f = forms.nth(i);
		if (await f.locator(`input[type="hidden"][name="key"][value=${cssString(key)}]`).count() === 1)
			return form(page, ACTION.policySet, { key });
		const sel = f.locator('select[name="key"]');
		if (await sel.count() === 1 &&
		    await sel.locator(`option[value=${cssString(key)}]`).count() === 1) {
			await sel.selectOption(key);
			return f;
		}
	}
	throw new Error(`no form on ${pathOf(page)} sets "${key}" (a hidden key="${key}", or a select "key" with that option)`);
}

// Set one policy setting on /admin/policy; the outcome.
export async function setPolicy(page, key, value, password) {
	await openOk(page, PAGE.policy);
	const f = await policyForm(page, key);
	await fill(f, 'value', value);
	await passwordAgain(f, password);
	return submit(page, f);
}

// The value of a setting as /admin/policy shows it: the cell after the
// row header (<th>) that is the setting's name.
export async function policyShown(page, key) {
	await openOk(page, PAGE.policy);
	const v = await page.evaluate((k) => {
		for (const th of document.querySelectorAll('tr > th'))
			if (th.innerText.trim() === k) {
				const td = th.parentElement.querySelector('td');
				return td ? td.innerText.trim() : null;
			}
		return null;
	}, key);
	if (v === null)
		throw new Error(`/admin/policy shows no row "<th>${key}</th><td>value</td>"`);
	return v;
}
