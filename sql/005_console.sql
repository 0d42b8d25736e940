-- 005_console.sql: the console's sessions (policyd/console.c, login.c).
--
-- A session is a row here, so that it survives a restart of policyd and
-- holds on every gateway that shares the database.  The row keeps the
-- SHA-256 of the session id, never the id: whoever reads the table (a
-- backup, a replica) cannot take over a session.  policyd decides whether
-- a session is alive when it looks it up (its user may log in, it was
-- used within console-idle-timeout and made within
-- console-session-lifetime), so a row that outlived those is dead before
-- the scheduled jobs purge it.
--
-- A session ends for good, beside a logout or its expiry, when its user is
-- deleted (the foreign key), loses the right to log in (portal_login off,
-- role none) or gets a new password: the trigger below removes the
-- user's rows, whoever made the change (pgpmgctl through any gateway, or
-- a superuser in psql), so that turning the login on again revives none.
-- docs/DESIGN-NOTES.md, "The console's authentication", has the reasons.

CREATE TABLE pgpmg.sessions (
	id_hash		bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
	user_id		bigint NOT NULL
			    REFERENCES pgpmg.users (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	-- Written at most once a minute per session: what the idle timeout
	-- reads.
	last_seen	timestamptz NOT NULL DEFAULT now(),
	-- The TCP peer as webd gave it: where the login came from, and where
	-- the session was used from when last_seen was last written.
	client		text NOT NULL CHECK (client ~ '^[!-~]{1,64}$'),
	last_client	text NOT NULL CHECK (last_client ~ '^[!-~]{1,64}$')
);
CREATE INDEX sessions_user ON pgpmg.sessions (user_id, last_seen);

CREATE FUNCTION pgpmg.sessions_end() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT NEW.portal_login OR NEW.role = 'none' OR
	    NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
		DELETE FROM pgpmg.sessions WHERE user_id = NEW.id;
	END IF;
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION pgpmg.sessions_end() FROM PUBLIC;

CREATE TRIGGER users_sessions_end
    AFTER UPDATE OF portal_login, role, password_hash ON pgpmg.users
    FOR EACH ROW EXECUTE FUNCTION pgpmg.sessions_end();

GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.sessions TO _pgpmg_policyd;
