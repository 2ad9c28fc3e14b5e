-- Slots for password hashing, shared by every replica (crates/folio-auth/src/hashing_slots.rs).
-- Each Argon2id hash holds 19 MiB and about 40 ms of a core while it runs, and sign-up and
-- sign-in (of any address, a made-up one included) start one: a crowd of them took a Spin
-- process to 430 MiB and slowed every other request. A request takes one of these slots for its
-- hashing and gives it back after, so at most this many run at once in the whole deployment;
-- the others wait their turn. A slot held longer than half a minute (its holder died before
-- giving it back) counts as free.
CREATE TABLE password_work_slots (
    slot INTEGER PRIMARY KEY NOT NULL,
    holder TEXT,
    taken_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO password_work_slots (slot) VALUES (1), (2), (3), (4);
