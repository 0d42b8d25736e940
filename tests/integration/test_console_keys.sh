#!/usr/bin/env bash
# The console's remaining pages over HTTPS, on the real appliance with real
# policyd, keyd and gpg and its own PostgreSQL (pg_lib.sh); every request
# is curl's or a raw one:
# - /admin/keys: generate for alice@example.com (no password: 401 and no
#   key; the password: listed, internal, with an expiry); export as a
#   download (application/pgp-keys, attachment FPR.asc) that gpg reads
#   with that fingerprint; import by paste and by file upload (keys made
#   with gpg in a scratch home), a key pair with its passphrase (and
#   without: refused); revoke; delete of an external key;
# - /portal: alice sees only her keys, downloads hers, cannot download
#   bob's (404); uploads her own key (listed) and one with a foreign user
#   ID (refused, keyd's message shown); revokes hers (shown revoked); the
#   password change (confirmation checked by webd, the current password by
#   policyd) ends the session: a page saying so, the cookie cleared;
# - /admin/audit: the filters find the rows; an injection-looking value is
#   shown escaped, finds nothing and changes nothing; paging with before;
#   a malformed query 400; a tampered row shows the chain broken there;
# - /admin/notices lists the notices, escaped;
# - bodies: over the upload limit 413 before it is read, over a form's on
#   any other route 413; a malformed multipart 400, a form that is not
#   multipart on an upload route 415, one without its csrf 403; a ninth
#   upload held at once 503; and webd keeps serving, the same process.
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/web_lib.sh"
# cheap_phc (the suite's accounts, whose scrypt cost is not what is tested)
. "$(dirname "$0")/console_lib.sh"

WORKERS=1
EXTRA_CONF='database-timeout 5'
new_env
web_init
keyd_setup
trap 'keyd_cleanup; pg_cleanup' EXIT
LOG=$ENV_DIR/pgpmgd.log
CLIENT=$(dirname "$0")/httpsclient.py
SECONDS=0

PW_ALICE='alice: <b>s3cret</b> & "more"'
PW_BOB='bob-password-1'
PW_CAROL='carol-password-1'

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
for ((i = 0; i < 200; i++)); do
	grep -q 'secrets: the console key is loaded' "$LOG" && break
	sleep 0.05
done
WEBD_PID=$(child_pid webd)
sql() { pg_psql -c "$1"; }
audit_count() { sql "SELECT count(*) FROM pgpmg.audit_log"; }
show() { sed 's/^/#   /' "$WH"; head -c 3000 "$WB" | sed 's/^/#   /'; echo; }

ctl user add alice@example.com --role admin --name 'Alice' >/dev/null
ctl user add bob@example.com >/dev/null
ctl user add carol@example.com >/dev/null
for u in alice bob carol; do
	v=PW_${u^^}
	sql "UPDATE pgpmg.users SET password_hash = '$(cheap_phc "${!v}")' WHERE address = '$u@example.com'"
	ctl user set "$u@example.com" portal yes >/dev/null
done
echo "# up, users made after ${SECONDS}s"

# Keys from outside, made with gpg in a scratch home.
G=$T/outside
mkdir -m 0700 "$G"
gx() { gpg --homedir "$G" --batch --quiet --passphrase "${GX_PASS:-}" --pinentry-mode loopback "$@"; }
fpr_of() { gx --with-colons -k "$1" | awk -F: '/^fpr/ { print $10; exit }'; }
newkey() {	# UID: a signing primary and an encryption subkey
	gx --quick-gen-key "$1" ed25519 sign,cert 1y
	gx --quick-add-key "$(fpr_of "$1")" cv25519 encr 1y
}
newkey "Dave <dave@example.org>"; DK=$(fpr_of dave@example.org)
gx -a --export "$DK" >"$T/dave.asc"
newkey "Erin <erin@example.org>"; EK=$(fpr_of erin@example.org)
gx --export "$EK" >"$T/erin.gpg"
GX_PASS="frank's passphrase" newkey "Frank <frank@example.com>"; FK=$(fpr_of frank@example.com)
GX_PASS="frank's passphrase" gx -a --export-secret-keys "$FK" >"$T/frank.sec.asc"
newkey "Alice Own <alice@example.com>"; OK_=$(fpr_of "Alice Own")
gx -a --export "$OK_" >"$T/alice-own.asc"
newkey "Alice Two <alice@example.com>"; OK2=$(fpr_of "Alice Two")
gx --quick-add-uid "$OK2" "Mallory <mallory@example.net>"
gx -a --export "$OK2" >"$T/alice-foreign.asc"
gpgconf --homedir "$G" --kill gpg-agent 2>/dev/null
echo "# keys made after ${SECONDS}s"

# upload PATH SID FIELD...: a multipart POST as a browser's form sends it
# (curl -F), with Origin; NAME=@FILE is a file, anything else a text
# field taken verbatim.
upload() {
	local path=$1 sid=$2 f args=()
	shift 2
	for f in "$@"; do
		case $f in
		*=@*) args+=(-F "$f") ;;
		*) args+=(--form-string "$f") ;;
		esac
	done
	[ -n "$sid" ] && args+=(-H "Cookie: __Host-pgpmg=$sid")
	_curl -H "Origin: $ORIGIN" "${args[@]}" "$path"
}
# keycell FPR CLASS: a cell of a key's row in the last page
keycell() { awk -v f="<tr data-fpr=\"$1\">" -v c="<td class=\"$2\">" '
	index($0, f) == 1 { on = 1; next }
	on && /^<\/tr>/ { exit }
	on && index($0, c) == 1 { s = substr($0, length(c) + 1); sub(/<\/td>$/, "", s); print s; exit }' "$WB"; }
has_row() { grep -qF "<tr data-fpr=\"$1\">" "$WB"; }
# row FPR: a key's row in the last page, its lines
row() { awk -v f="<tr data-fpr=\"$1\">" 'index($0, f) == 1 { on = 1 } on { print } on && /^<\/tr>/ { exit }' "$WB"; }
banner_ok() { grep -q '<p class="result ok" role="status">' "$WB"; }
banner_error() { grep -q '<p class="result error" role="status">' "$WB"; }
fprs() { grep -oE '<td class="fpr">[0-9A-F]+</td>' "$WB" | sed -E 's/<[^>]+>//g'; }
nkeys() { sql "SELECT count(*) FROM pgpmg.keys"; }
# html_ok: the last page's elements nest and close (void ones aside), ids
# are unique, and every label names an element of the page.
html_ok() { python3 - "$WB" <<'PY'
import sys
from html.parser import HTMLParser
VOID = {"meta", "link", "input", "br", "img", "hr"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.fors, self.bad = [], set(), set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            if a["id"] in self.ids:
                self.bad.append("id twice: " + a["id"])
            self.ids.add(a["id"])
        if tag == "label" and "for" in a:
            self.fors.add(a["for"])
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.bad.append("unbalanced </%s>" % tag)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
bad = p.bad + (["unclosed: " + " ".join(p.stack)] if p.stack else []) + \
    ["label for nothing: " + f for f in p.fors - p.ids]
for b in bad[:5]:
    print("# " + b)
sys.exit(1 if bad else 0)
PY
}

# ---------------------------------------------------------------- admin keys
login alice@example.com "$PW_ALICE" || { echo "Bail out! alice cannot sign in: $ST"; exit 1; }
A=$SID
get /admin/keys "$A"
CA=$(csrf_in_body)
[ "$ST" = 200 ] && [ ${#CA} = 64 ] && ok "GET /admin/keys: 200, with the session's csrf token" || { not_ok "keys page: $ST"; show; }
check "the page: the table, the generate and import forms" bash -c '
	grep -q "<table class=\"keys\">" "$0" && grep -q "action=\"/admin/keys/generate\"" "$0" &&
	grep -q "action=\"/admin/keys/import\" enctype=\"multipart/form-data\"" "$0" &&
	grep -q "<input id=\"import-key\" name=\"key\" type=\"file\"" "$0" &&
	grep -q "<textarea id=\"import-armour\" name=\"armour\"" "$0" &&
	grep -q "name=\"passphrase\"" "$0" && grep -q "<input id=\"generate-password\" name=\"password\"" "$0"' "$WB"
check "the admin's nav has the portal too" body_has '<a href="/portal">Portal</a>'

n0=$(nkeys)
post /admin/keys/generate "$A" "csrf=$CA" "address=alice@example.com"
[ "$ST" = 401 ] && banner_error && body_has "Your password was wrong or missing" && [ "$(nkeys)" = "$n0" ] &&
    ok "generate without the password: 401, the banner, no key" || { not_ok "generate without password: $ST"; show; }
post /admin/keys/generate "$A" "csrf=$CA" "address=alice@example.com" "password=not hers"
[ "$ST" = 401 ] && [ "$(nkeys)" = "$n0" ] && ok "with a wrong password: 401, no key" || not_ok "wrong password: $ST"
post /admin/keys/generate "$A" "csrf=$CA" "address=alice@example.com" "password=$PW_ALICE"
AK=$(grep -oE '<li><code>[0-9A-F]{40}</code></li>' "$WB" | head -1 | sed -E 's/<[^>]+>//g')
[ "$ST" = 200 ] && banner_ok && [ ${#AK} = 40 ] && has_row "$AK" &&
    ok "generate with the password: 200, the new fingerprint, listed" || { not_ok "generate: $ST $AK"; show; }
check "the keys page with a row: well-formed (elements closed, ids once, labels bound)" html_ok
TIME='^<time datetime="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z">[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC</time>$'
[[ "$(keycell "$AK" expires)" =~ $TIME ]] && [[ "$(keycell "$AK" created)" =~ $TIME ]] && [ "$(keycell "$AK" kind)" = internal ] &&
    [ "$(keycell "$AK" addresses)" = alice@example.com ] && [ "$(keycell "$AK" revoked)" = no ] &&
    [ "$(keycell "$AK" secret)" = yes ] && [ "$(keycell "$AK" source)" = generated ] &&
    ok "its row: the address, internal, generated, created and expiry as <time>, not revoked, secret held" ||
    { not_ok "alice's row"; row "$AK" | sed 's/^/#   /'; }
check "the row's fingerprint cell: <td class=\"fpr\">" body_has "<td class=\"fpr\">$AK</td>"
post /admin/keys/generate "$A" "csrf=$CA" "address=bob@example.com" "password=$PW_ALICE"
BK=$(grep -oE '<li><code>[0-9A-F]{40}</code></li>' "$WB" | head -1 | sed -E 's/<[^>]+>//g')
post /admin/keys/generate "$A" "csrf=$CA" "address=carol@example.com" "password=$PW_ALICE"
CK=$(grep -oE '<li><code>[0-9A-F]{40}</code></li>' "$WB" | head -1 | sed -E 's/<[^>]+>//g')
[ ${#BK} = 40 ] && [ ${#CK} = 40 ] && ok "keys for bob and carol too" || not_ok "bob's and carol's keys: $BK $CK"
post /admin/keys/generate "$A" "csrf=$CA" "password=$PW_ALICE"
check "generate without an address: 400" [ "$ST" = 400 ]

# export
get "/admin/keys/export?fpr=$AK" "$A"
mkdir -m 0700 "$T/reader"
[ "$ST" = 200 ] && [ "$(hdr Content-Type)" = application/pgp-keys ] &&
    [ "$(hdr Content-Disposition)" = "attachment; filename=\"$AK.asc\"" ] && [ "$(hdr Cache-Control)" = no-store ] &&
    ok "export: 200, application/pgp-keys, attachment; filename=\"FPR.asc\", no-store" ||
    { not_ok "export: $ST"; sed 's/^/#   /' "$WH"; }
head -1 "$WB" | grep -q '^-----BEGIN PGP PUBLIC KEY BLOCK-----' &&
    gpg --homedir "$T/reader" --batch --with-colons --import-options show-only --import "$WB" 2>/dev/null |
    grep -q "^fpr:::::::::$AK:" && ! grep -q PRIVATE "$WB" &&
    ok "the download is armour gpg reads, with that fingerprint, public only" || not_ok "the export's armour"
get "/admin/keys/export?fpr=${AK,,}" "$A"
check "export by a fingerprint in lower case: named in upper case" \
    [ "$(hdr Content-Disposition)" = "attachment; filename=\"$AK.asc\"" ]
get "/admin/keys/export?fpr=0123456789ABCDEF0123456789ABCDEF01234567" "$A"
[ "$ST" = 404 ] && banner_error && ok "export of a key nobody has: 404, a page with the banner" || { not_ok "export unknown: $ST"; show; }
for q in "fpr=nothex" "fpr=$AK&fpr=$AK" "" "fpr=%FF" "fpr=${AK}0"; do
	get "/admin/keys/export?$q" "$A"
	[ "$ST" = 400 ] || break
done
check "export without one fingerprint (not hex, twice, none, not UTF-8, 41 digits): 400" [ "$ST" = 400 ]

# import: pasted armour, an uploaded binary file, a key pair
upload /admin/keys/import "$A" "csrf=$CA" "armour=$(cat "$T/dave.asc")" "passphrase=" "password=$PW_ALICE"
[ "$ST" = 200 ] && banner_ok && has_row "$DK" && [ "$(keycell "$DK" kind)" = external ] &&
    [ "$(keycell "$DK" source)" = imported ] &&
    ok "import of a pasted armoured key: 200, listed external, imported" || { not_ok "paste import: $ST"; show; }
upload /admin/keys/import "$A" "csrf=$CA" "key=@$T/erin.gpg" "armour=" "passphrase=" "password=$PW_ALICE"
[ "$ST" = 200 ] && has_row "$EK" && ok "import of an uploaded binary key file: 200, listed" || { not_ok "file import: $ST"; show; }
upload /admin/keys/import "$A" "csrf=$CA" "key=@$T/frank.sec.asc" "password=$PW_ALICE"
[ "$ST" = 400 ] && banner_error && body_has "passphrase" && ! has_row "$FK" &&
    ok "a key pair without its passphrase: 400, the banner, not imported" || { not_ok "pair without passphrase: $ST"; show; }
upload /admin/keys/import "$A" "csrf=$CA" "key=@$T/frank.sec.asc" "passphrase=frank's passphrase" "password=$PW_ALICE"
[ "$ST" = 200 ] && has_row "$FK" && [ "$(keycell "$FK" secret)" = yes ] &&
    ok "a key pair with its passphrase: imported, secret held" || { not_ok "pair import: $ST"; show; }
n0=$(nkeys)
upload /admin/keys/import "$A" "csrf=$CA" "key=@$T/alice-own.asc" "armour=$(cat "$T/dave.asc")" "password=$PW_ALICE"
[ "$ST" = 400 ] && body_has "one way" && [ "$(nkeys)" = "$n0" ] && ok "a file and a pasted key both: 400" || { not_ok "both: $ST"; show; }
upload /admin/keys/import "$A" "csrf=$CA" "armour=  " "password=$PW_ALICE"
[ "$ST" = 400 ] && body_has "Give the key" && ok "neither: 400" || { not_ok "neither: $ST"; show; }
upload /admin/keys/import "$A" "csrf=$CA" "key=@$T/alice-own.asc"
[ "$ST" = 401 ] && [ "$(nkeys)" = "$n0" ] && ok "an import without the password: 401, nothing imported" || { not_ok "import no password: $ST"; show; }

# revoke, delete
post /admin/keys/revoke "$A" "csrf=$CA" "fpr=$CK" "password=$PW_ALICE"
[ "$ST" = 200 ] && banner_ok && [ "$(keycell "$CK" revoked)" = yes ] &&
    ! row "$CK" | grep -q 'action="/admin/keys/revoke"' &&
    ok "revoke: 200, the key shown revoked, without its revoke form" || { not_ok "revoke: $ST"; show; }
post /admin/keys/delete "$A" "csrf=$CA" "fpr=$EK"
[ "$ST" = 401 ] && has_row "$EK" && ok "delete without the password: 401, still there" || not_ok "delete no password: $ST"
row "$EK" | grep -q 'action="/admin/keys/delete"' &&
    ! row "$AK" | grep -q 'action="/admin/keys/delete"' &&
    ok "an external key's row has a delete form, an internal one's not" || not_ok "delete forms"
post /admin/keys/delete "$A" "csrf=$CA" "fpr=$EK" "password=$PW_ALICE"
[ "$ST" = 200 ] && ! has_row "$EK" && ok "delete of the external key: gone from the list" || { not_ok "delete: $ST"; show; }
post /admin/keys/revoke "$A" "csrf=$CA" "fpr=<b>x</b>" "password=$PW_ALICE"
[ "$ST" = 400 ] && ! body_has "<b>x</b>" && ok "revoke of something not a fingerprint: 400, not echoed" || not_ok "revoke bad fpr: $ST"

# ---------------------------------------------------------------- portal
get /portal "$A"
CP=$(csrf_in_body)
[ "$ST" = 200 ] && [ "$(fprs | sort | tr '\n' ' ')" = "$AK " ] &&
    ok "the portal: alice (an administrator) sees her own key only" || { not_ok "alice's portal: $ST $(fprs | tr '\n' ' ')"; show; }
[ "$(keycell "$AK" addresses)" = alice@example.com ] && [[ "$(keycell "$AK" expires)" =~ $TIME ]] &&
    [ "$(keycell "$AK" revoked)" = no ] && ok "her row: the address, the expiry, not revoked" || not_ok "alice's portal row"
check "the portal: well-formed" html_ok
check "the portal's forms: upload (multipart), revoke per key, password" bash -c '
	grep -q "action=\"/portal/key/import\" enctype=\"multipart/form-data\"" "$0" &&
	grep -q "action=\"/portal/key/revoke\"" "$0" && grep -q "action=\"/portal/password\"" "$0" &&
	grep -q "name=\"new\"" "$0" && grep -q "name=\"confirm\"" "$0" &&
	grep -q "<a class=\"download\" href=\"/portal/key?fpr=" "$0"' "$WB"
get "/portal/key?fpr=$AK" "$A"
[ "$ST" = 200 ] && [ "$(hdr Content-Type)" = application/pgp-keys ] && head -1 "$WB" | grep -q 'BEGIN PGP PUBLIC KEY BLOCK' &&
    ok "alice downloads her key" || { not_ok "portal download: $ST"; show; }
get "/portal/key?fpr=$BK" "$A"
[ "$ST" = 404 ] && ! grep -q 'BEGIN PGP' "$WB" && ok "but not bob's: 404" || { not_ok "bob's key from alice's portal: $ST"; show; }
login bob@example.com "$PW_BOB" || not_ok "bob signs in: $ST"
B=$SID
get /portal "$B"
[ "$ST" = 200 ] && [ "$(fprs | tr '\n' ' ')" = "$BK " ] && ok "bob's portal: his key only" || { not_ok "bob's portal: $(fprs)"; show; }
check "a user's nav has no administrator's pages" bash -c '! grep -q "href=\"/admin" "$0"' "$WB"
CB=$(csrf_in_body)
get /admin/keys "$B"
check "a user on /admin/keys: 403" [ "$ST" = 403 ]
post /admin/keys/generate "$B" "csrf=$CB" "address=bob@example.com" "password=$PW_BOB"
check "a user posting to /admin/keys/generate: 403" [ "$ST" = 403 ]

upload /portal/key/import "$A" "csrf=$CP" "key=@$T/alice-own.asc" "password=$PW_ALICE"
[ "$ST" = 200 ] && banner_ok && has_row "$OK_" && ok "alice uploads her own key: listed in her portal" || { not_ok "own upload: $ST"; show; }
upload /portal/key/import "$A" "csrf=$CP" "armour=$(cat "$T/alice-foreign.asc")" "password=$PW_ALICE"
[ "$ST" = 400 ] && banner_error && body_has "has a user ID that is not alice@example.com" && ! has_row "$OK2" &&
    [ "$(sql "SELECT count(*) FROM pgpmg.keys WHERE fingerprint = '$OK2'")" = 0 ] &&
    ok "one with a foreign user ID: refused, keyd's message shown" || { not_ok "foreign upload: $ST"; show; }
post /portal/key/revoke "$A" "csrf=$CP" "fpr=$BK" "password=$PW_ALICE"
[ "$ST" = 404 ] && [ "$(sql "SELECT revoked FROM pgpmg.keys WHERE fingerprint = '$BK'")" = f ] &&
    ok "alice cannot revoke bob's key: 404, not revoked" || not_ok "revoke of bob's: $ST"
post /portal/key/revoke "$A" "csrf=$CP" "fpr=$AK" "password=$PW_ALICE"
[ "$ST" = 200 ] && [ "$(keycell "$AK" revoked)" = yes ] && ok "alice revokes hers: shown revoked" || { not_ok "portal revoke: $ST"; show; }

# the password
post /portal/password "$B" "csrf=$CB" "password=$PW_BOB" "new=bob-new-password" "confirm=bob-new-passwort"
[ "$ST" = 400 ] && body_has "differ" && ok "a confirmation that differs: 400, nothing asked" || { not_ok "confirm: $ST"; show; }
post /portal/password "$B" "csrf=$CB" "password=$PW_BOB" "new=$(printf 'x%.0s' $(seq 1 1025))" "confirm=$(printf 'x%.0s' $(seq 1 1025))"
check "a new password of 1025 bytes: 400" [ "$ST" = 400 ]
post /portal/password "$B" "csrf=$CB" "password=not bob's" "new=bob-new-password" "confirm=bob-new-password"
[ "$ST" = 401 ] && banner_error && ok "a wrong current password: 401" || { not_ok "wrong current: $ST"; show; }
get /portal "$B"
check "the session lives on after a refusal" [ "$ST" = 200 ]
post /portal/password "$B" "csrf=$CB" "password=$PW_BOB" "new=bob-new-password" "confirm=bob-new-password"
[ "$ST" = 200 ] && body_has "Your password is changed" && body_has '<a class="login" href="/login">' &&
    [[ "$(set_cookie)" =~ ^__Host-pgpmg=\;\ Max-Age=0\; ]] &&
    ok "the change: a page saying the sessions ended, a link to /login, the cookie cleared" || { not_ok "password change: $ST"; show; }
get /portal "$B"
[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && ok "the old session is gone (303 to /login)" || not_ok "after the change: $ST"
login bob@example.com "$PW_BOB" && not_ok "the old password still signs in" || ok "the old password no longer signs in"
login bob@example.com bob-new-password && ok "the new one does" || not_ok "the new password: $ST"
B=$SID

# ---------------------------------------------------------------- audit
get /admin/audit "$A"
[ "$ST" = 200 ] && grep -q '<p class="chain ok" role="status">' "$WB" && grep -q '<table class="audit">' "$WB" &&
    ok "/admin/audit: 200, the chain intact, the rows" || { not_ok "audit: $ST"; show; }
check "the audit page: well-formed" html_ok
check "the rows' times as <time>" bash -c 'grep -qE "<td class=\"time\"><time datetime=\"[0-9T:Z-]{20}\">" "$0"' "$WB"
check "the filters: a GET form of process, kind, actor, since, until" bash -c '
	grep -q "<form method=\"get\" action=\"/admin/audit\" class=\"filters\">" "$0" &&
	for f in process kind actor since until; do grep -q "name=\"$f\"" "$0" || exit 1; done' "$WB"
want=$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'key-generate'")
get "/admin/audit?kind=key-generate" "$A"
kinds=$(grep -oE '<td class="kind">[^<]*</td>' "$WB" | sort -u | sed -E 's/<[^>]+>//g')
[ "$ST" = 200 ] && [ "$kinds" = key-generate ] && [ "$(grep -c '<tr data-id=' "$WB")" = "$want" ] &&
    ok "kind=key-generate: its $want rows, no other" || { not_ok "kind filter: $kinds"; show; }
get "/admin/audit?process=console&actor=user%3Abob%40example.com" "$A"
actors=$(grep -oE '<td class="actor">[^<]*</td>' "$WB" | sort -u | sed -E 's/<[^>]+>//g')
[ "$ST" = 200 ] && [ "$actors" = user:bob@example.com ] && body_has 'value="user:bob@example.com"' &&
    ok "process=console and an actor: that actor's rows, the filter shown again" || { not_ok "actor filter: $actors"; show; }
get "/admin/audit?since=2000-01-01&until=2000-01-02" "$A"
[ "$ST" = 200 ] && body_has '<p class="empty">No rows.</p>' && ok "a time window with nothing: no rows" || { not_ok "since/until: $ST"; show; }
get "/admin/audit?since=yesterday" "$A"
[ "$ST" = 400 ] && banner_error && ok "a time policyd does not take: 400 with its banner" || { not_ok "bad since: $ST"; show; }
n0=$(audit_count); k0=$(nkeys)
evil="x' OR '1'='1'; DROP TABLE pgpmg.audit_log; --<script>alert(1)</script>"
_curl -G --data-urlencode "actor=$evil" --data-urlencode "kind=login' OR 1=1 --" -H "Cookie: __Host-pgpmg=$A" /admin/audit
[ "$ST" = 200 ] && body_has '<p class="empty">No rows.</p>' &&
    body_has 'value="x&#39; OR &#39;1&#39;=&#39;1&#39;; DROP TABLE pgpmg.audit_log; --&lt;script&gt;alert(1)&lt;/script&gt;"' &&
    ! body_has '<script>alert(1)' &&
    ok "an injection-looking filter: shown escaped, no rows" || { not_ok "injection: $ST"; show; }
[ "$(audit_count)" = "$n0" ] && [ "$(nkeys)" = "$k0" ] && ok "and nothing changed (the log and the keys as they were)" ||
    not_ok "the injection changed something"
for q in "kind=%FF" "kind=a&kind=b" "before=abc" "before=" "kind=%zz" "actor=a%00b"; do
	get "/admin/audit?$q" "$A"
	[ "$ST" = 400 ] || { echo "# $q: $ST"; break; }
done
check "a malformed query (not UTF-8, a filter twice, a before that is no id, a bad escape, a NUL): 400" [ "$ST" = 400 ]

# paging: 150 more rows, then the older ones
sql "INSERT INTO pgpmg.audit_log (actor, kind, subject) SELECT 'policyd', 'login-failed', 'pager' || g FROM generate_series(1, 150) g" >/dev/null
get "/admin/audit?kind=login-failed" "$A"
older=$(grep -oE '<a class="older" href="[^"]*"' "$WB" | sed -E 's/.*href="([^"]*)"/\1/; s/&amp;/\&/g')
last=$(grep -oE '<tr data-id="[0-9]+"' "$WB" | tail -1 | grep -oE '[0-9]+')
[ "$(grep -c '<tr data-id=' "$WB")" = 100 ] && [ "$older" = "/admin/audit?kind=login-failed&before=$last" ] &&
    ok "a full page: 100 rows and an older link with the filter and before=the last id" || { not_ok "paging: $older $last"; }
get "$older" "$A"
first=$(grep -oE '<tr data-id="[0-9]+"' "$WB" | head -1 | grep -oE '[0-9]+')
[ "$ST" = 200 ] && [ "$first" -lt "$last" ] && [ "$(grep -c '<tr data-id=' "$WB")" -ge 50 ] &&
    ok "the older page starts below it" || not_ok "older page: $ST $first"

# a tampered row
tamper() {
	pg_psql >/dev/null <<-EOF
	BEGIN;
	ALTER TABLE pgpmg.audit_log DISABLE TRIGGER audit_log_append_only;
	$1
	ALTER TABLE pgpmg.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
	COMMIT;
	EOF
}
tamper "UPDATE pgpmg.audit_log SET subject = 'mallory' WHERE id = 5;"
get /admin/audit "$A"
[ "$ST" = 200 ] && grep -q '<p class="chain broken" role="alert">The audit chain is broken at row <span class="at">5</span>' "$WB" &&
    ok "a tampered row: the chain shown broken at it" || { not_ok "tampered: $ST"; grep chain "$WB" | sed 's/^/#   /'; }

# ---------------------------------------------------------------- notices
sql "INSERT INTO pgpmg.notices (recipient, kind, ref, subject) VALUES
    ('admin', 'key-expiring', 'n1', 'The key of <b>dave</b> & co expires soon'),
    ('bob@example.com', 'info', 'n2', 'second notice')" >/dev/null
get /admin/notices "$A"
[ "$ST" = 200 ] && grep -q '<table class="notices">' "$WB" && body_has 'The key of &lt;b&gt;dave&lt;/b&gt; &amp; co expires soon' &&
    body_has 'second notice' && ! body_has '<b>dave' && ok "/admin/notices: the notices listed, escaped" || { not_ok "notices: $ST"; show; }
check "the notices page: well-formed" html_ok
get /admin/notices "$B"
check "a user on /admin/notices: 403" [ "$ST" = 403 ]

# ---------------------------------------------------------------- bodies
h() { /usr/bin/python3 "$CLIENT" "$WEB_PORT" "$@"; }
status_of() { awk '/^HTTP\/1\.1 [0-9]/ { s = $2 } END { print s }' <<<"$1"; }
get /admin/keys "$A"; CA=$(csrf_in_body)
# A head alone announcing more than an upload may be: answered at once.
out=$(h -t 3 "POST /admin/keys/import HTTP/1.1\\r\\nHost: 127.0.0.1:$WEB_PORT\\r\\nOrigin: $ORIGIN\\r\\nCookie: __Host-pgpmg=$A\\r\\nContent-Type: multipart/form-data; boundary=b\\r\\nContent-Length: 1200000\\r\\n\\r\\n")
[ "$(status_of "$out")" = 413 ] && ! grep -q 'END timeout' <<<"$out" &&
    ok "an upload of 1200000 bytes: 413 before a byte of it is read" || { not_ok "upload over the limit: $(status_of "$out")"; sed 's/^/#   /' <<<"$out" | head -5; }
out=$(h -t 3 "POST /admin/keys/generate HTTP/1.1\\r\\nHost: 127.0.0.1:$WEB_PORT\\r\\nOrigin: $ORIGIN\\r\\nCookie: __Host-pgpmg=$A\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: 70000\\r\\n\\r\\n")
check "70000 bytes to an ordinary form: 413 at once" [ "$(status_of "$out")" = 413 ]
big=$T/big.bin
head -c $((1024 * 1024 + 1)) /dev/urandom >"$big"
upload /admin/keys/import "$A" "csrf=$CA" "key=@$big" "password=$PW_ALICE"
check "a key file of 1 MiB + 1 in an upload within the limit: 413" [ "$ST" = 413 ]
head -c $((100 * 1024)) /dev/urandom >"$T/noise.bin"
n0=$(nkeys)
upload /admin/keys/import "$A" "csrf=$CA" "key=@$T/noise.bin" "password=$PW_ALICE"
[ "$ST" != 413 ] && [ "$ST" != 200 ] && banner_error && [ "$(nkeys)" = "$n0" ] &&
    ok "100 KiB of noise (more than a form may be) is read and reaches keyd, which refuses it: $ST" || { not_ok "noise: $ST"; show; }
_curl -H "Origin: $ORIGIN" -H "Cookie: __Host-pgpmg=$A" -H "Content-Type: multipart/form-data; boundary=b" \
    --data-binary $'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'"$CA"$'\r\n--b\r\nContent-Disposition: form-data; name="armour"\r\n\r\nx' /admin/keys/import
check "a multipart body without its end: 400" [ "$ST" = 400 ]
_curl -H "Origin: $ORIGIN" -H "Cookie: __Host-pgpmg=$A" -H "Content-Type: multipart/form-data; boundary=b" \
    --data-binary $'--b\r\nContent-Disposition: form-data; name="csrf"\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c--\r\n--b--\r\n' /admin/keys/import
check "a nested multipart: 400" [ "$ST" = 400 ]
_curl -H "Origin: $ORIGIN" -H "Cookie: __Host-pgpmg=$A" -H "Content-Type: multipart/form-data" --data-binary "x" /admin/keys/import
check "multipart without a boundary: 400" [ "$ST" = 400 ]
post /admin/keys/import "$A" "csrf=$CA" "armour=$(cat "$T/dave.asc")" "password=$PW_ALICE"
check "a urlencoded form to an upload route: 415" [ "$ST" = 415 ]
upload /admin/keys/import "$A" "armour=$(cat "$T/dave.asc")" "password=$PW_ALICE"
check "an upload without its csrf field: 403" [ "$ST" = 403 ]
upload /admin/keys/import "$A" "csrf=$CA" "csrf=$CA" "armour=$(cat "$T/dave.asc")" "password=$PW_ALICE"
check "an upload with csrf twice: 403" [ "$ST" = 403 ]
_curl -H "Cookie: __Host-pgpmg=$A" -F "csrf=$CA" -F "armour=x" /admin/keys/import
check "an upload without Origin: 403" [ "$ST" = 403 ]
multipart_before=$(grep -c 'POST /admin/keys/import refused' "$LOG")
[ "$multipart_before" -ge 5 ] && ok "the refusals are in webd's log" || not_ok "refusals logged: $multipart_before"

# Eight uploads being read at once; the ninth is told to come back.
out=$(python3 - "$WEB_PORT" "$A" <<'EOF'
import socket, ssl, sys, time
port, sid = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def start():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(("POST /portal/key/import HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: https://127.0.0.1:%d\r\n"
        "Cookie: __Host-pgpmg=%s\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Content-Length: 200000\r\n\r\n--b\r\n" % (port, port, sid)).encode())
    return s
held = [start() for _ in range(8)]
time.sleep(0.5)
s = start()
data = b""
while b"\r\n\r\n" not in data:
    b = s.recv(4096)
    if not b:
        break
    data += b
head = data.split(b"\r\n\r\n")[0].decode()
retry = [l for l in head.split("\r\n") if l.lower().startswith("retry-after:")]
print(head.split("\r\n")[0], retry[0] if retry else "no Retry-After")
for h in held:
    h.close()
EOF
)
[[ $out =~ ^HTTP/1.1\ 503\ Service\ Unavailable\ Retry-After:\ 5$ ]] &&
    ok "eight uploads being read: the ninth 503, Retry-After: 5" || not_ok "the ninth upload: $out"
sleep 0.3
upload /portal/key/import "$A" "csrf=$CP" "key=@$T/alice-own.asc" "password=$PW_ALICE"
[ "$ST" != 503 ] && [ "$ST" != 413 ] && ok "once they are gone, an upload is read again ($ST)" || not_ok "upload after the held ones: $ST"

get /login
check "after it all, GET /login: 200" [ "$ST" = 200 ]
check "webd is the same process" [ "$(child_pid webd)" = "$WEBD_PID" ]
check "nothing fatal in webd's log" bash -c '! grep -qE "webd\[[0-9]+\]: .*fatal" "$0"' "$LOG"
check "no password in the log" bash -c '! grep -qF "$1" "$0" && ! grep -qF "bob-new-password" "$0"' "$LOG" "$PW_ALICE"

echo "# ${SECONDS}s"
done_testing
