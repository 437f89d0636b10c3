-- Sign-in lockout. Keep in step with the other flavour.
-- failures: consecutive failed sign-ins for a username (known or not: a lock must not tell
-- which exist); locked_until_ms: Unix ms before which no sign-in is tried. Cleared by a
-- successful sign-in.
CREATE TABLE login_failures (
    username        TEXT PRIMARY KEY,
    failures        BIGINT NOT NULL,
    locked_until_ms BIGINT NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
);
