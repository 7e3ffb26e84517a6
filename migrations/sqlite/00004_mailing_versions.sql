-- +goose Up
-- A direction's massreports change only when one of its mass mailings is
-- published, changed or removed. mailing_versions counts those changes,
-- direction by direction, in the same transaction as the change, as
-- list_versions does for a gate's list (migration 00003). Directions with
-- no row yet are at version 0. (PostgreSQL's migration does the same with
-- a function.)
CREATE TABLE mailing_versions (
    direction TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER packages_mailing_version_insert AFTER INSERT ON packages
WHEN NEW.kind = 'mailing'
BEGIN
    INSERT INTO mailing_versions (direction, version) VALUES (NEW.direction, 1)
    ON CONFLICT (direction) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- An update that leaves a mailing's row as it was calls nothing: a
-- subscriber's DELETE of a mailing's link writes the row unchanged, and
-- must not make every host read the direction's massreports anew.
-- SQLite cannot compare whole rows, as PostgreSQL's trigger does, so the
-- columns are named: a column added to packages belongs here too.
-- +goose StatementBegin
CREATE TRIGGER packages_mailing_version_update AFTER UPDATE ON packages
WHEN (OLD.kind = 'mailing' OR NEW.kind = 'mailing')
    AND (OLD.seq, OLD.id, OLD.direction, OLD.kind, OLD.uid, OLD.type, OLD.guid, OLD.gate, OLD.code,
         OLD.filename, OLD.link, OLD.link_path, OLD.size, OLD.sha256, OLD.client_ip, OLD.sent_at,
         OLD.date_in, OLD.deleted_at, OLD.acked_at, OLD.purged_at, OLD.attrs)
     IS NOT (NEW.seq, NEW.id, NEW.direction, NEW.kind, NEW.uid, NEW.type, NEW.guid, NEW.gate, NEW.code,
         NEW.filename, NEW.link, NEW.link_path, NEW.size, NEW.sha256, NEW.client_ip, NEW.sent_at,
         NEW.date_in, NEW.deleted_at, NEW.acked_at, NEW.purged_at, NEW.attrs)
BEGIN
    INSERT INTO mailing_versions (direction, version)
    SELECT OLD.direction, 1 WHERE OLD.kind = 'mailing'
    ON CONFLICT (direction) DO UPDATE SET version = version + 1;
    INSERT INTO mailing_versions (direction, version)
    SELECT NEW.direction, 1 WHERE NEW.kind = 'mailing'
        AND (OLD.direction IS NOT NEW.direction OR OLD.kind IS NOT NEW.kind)
    ON CONFLICT (direction) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER packages_mailing_version_delete AFTER DELETE ON packages
WHEN OLD.kind = 'mailing'
BEGIN
    INSERT INTO mailing_versions (direction, version) VALUES (OLD.direction, 1)
    ON CONFLICT (direction) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER packages_mailing_version_delete;
DROP TRIGGER packages_mailing_version_update;
DROP TRIGGER packages_mailing_version_insert;
DROP TABLE mailing_versions;
