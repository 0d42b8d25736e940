# shellcheck shell=bash
# web_lib.sh — HTTPS requests to the console for the suites that sign in
# (test_console_web.sh, test_console_pages.sh).  Sourced after lib.sh and
# used after new_env.  curl speaks HTTP/1.1 to 127.0.0.1:$WEB_PORT, so the
# Host it sends is "127.0.0.1:$WEB_PORT" and a browser's Origin on our
# pages would be $ORIGIN.
#
#   get PATH [SID]             GET, with the session cookie when SID is given
#   post PATH SID NAME=VALUE.. POST of a urlencoded form (values encoded
#                              here) with Origin: $ORIGIN; SID "" for none
#   post_h 'HEADER' PATH SID NAME=VALUE..  the same with an extra header
#                              ("Origin:" alone removes curl's Origin)
#   $ST the status, $WH the header block (CRs removed), $WB the body file
#   hdr NAME                   a header's value in $WH (the first)
#   set_cookie                 the Set-Cookie value in $WH
#   sid_of_cookie              the session id of that Set-Cookie
#   csrf_in_body               the first csrf field's value in $WB
#   login ADDRESS PASSWORD     POST /login; SID and CSRF set on success

web_init() {
	ORIGIN=https://127.0.0.1:$WEB_PORT
	WH=$ENV_DIR/web.headers
	WB=$ENV_DIR/web.body
	WRAW=$ENV_DIR/web.raw
}

# _curl [ARGS...] PATH
_curl() {
	local path=${*: -1}
	ST=$(curl -sk --http1.1 --max-time 60 -o "$WB" -D "$WRAW" -w '%{http_code}' \
	    "${@:1:$#-1}" "https://127.0.0.1:$WEB_PORT$path")
	tr -d '\r' <"$WRAW" >"$WH"
}

get() {
	if [ -n "${2:-}" ]; then
		_curl -H "Cookie: __Host-pgpmg=$2" "$1"
	else
		_curl "$1"
	fi
}

# post_h HEADER PATH SID FIELD...
post_h() {
	local extra=$1 path=$2 sid=$3 f args=()
	shift 3
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	[ -n "$sid" ] && args+=(-H "Cookie: __Host-pgpmg=$sid")
	# With no field curl would send a GET: an empty form then.
	[ $# -eq 0 ] && args+=(--data "")
	if [ -n "$extra" ]; then
		_curl -H "Origin: $ORIGIN" -H "$extra" "${args[@]}" "$path"
	else
		_curl -H "Origin: $ORIGIN" "${args[@]}" "$path"
	fi
}

post() { post_h "" "$@"; }

hdr() { awk -v n="$1" 'BEGIN { n = tolower(n) ": " }
	index(tolower($0), n) == 1 { print substr($0, length(n) + 1); exit }' "$WH"; }
set_cookie() { hdr Set-Cookie; }
sid_of_cookie() { set_cookie | sed -nE 's/^__Host-pgpmg=([0-9a-f]{64});.*/\1/p'; }
csrf_in_body() { grep -oE 'name="csrf" value="[^"]*"' "$WB" | head -1 | sed -E 's/.*value="([^"]*)"/\1/'; }
body_has() { grep -qF -- "$1" "$WB"; }

login() {
	SID= CSRF=
	post /login "" "address=$1" "password=$2"
	[ "$ST" = 303 ] || return 1
	SID=$(sid_of_cookie)
	[ -n "$SID" ] || return 1
	return 0
}

# True once policyd answers the console's operations (IMSG_WEBD_OP): until
# the ops branch is merged it does not, and an admin's page, which asks
# for them, would stop the appliance.
policyd_answers_ops() { grep -qs 'IMSG_WEBD_OP' "$REPO"/policyd/*.c; }
