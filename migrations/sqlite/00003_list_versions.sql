-- +goose Up
-- A gate's list changes only when one of its inbound packages is stored,
-- changed or removed. list_versions counts those changes, gate by gate,
-- in the same transaction as the change, so a host that keeps a gate's
-- rendered list can tell, with one lookup, whether it is still the list
-- the database holds, whoever made the change. Gates with no row yet are
-- at version 0. (PostgreSQL's migration does the same with a function.)
CREATE TABLE list_versions (
    direction TEXT    NOT NULL,
    gate      TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    PRIMARY KEY (direction, gate)
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER packages_list_version_insert AFTER INSERT ON packages
WHEN NEW.kind = 'inbound' AND NEW.gate IS NOT NULL
BEGIN
    INSERT INTO list_versions (direction, gate, version) VALUES (NEW.direction, NEW.gate, 1)
    ON CONFLICT (direction, gate) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER packages_list_version_update AFTER UPDATE ON packages
WHEN (OLD.kind = 'inbound' AND OLD.gate IS NOT NULL) OR (NEW.kind = 'inbound' AND NEW.gate IS NOT NULL)
BEGIN
    INSERT INTO list_versions (direction, gate, version)
    SELECT OLD.direction, OLD.gate, 1 WHERE OLD.kind = 'inbound' AND OLD.gate IS NOT NULL
    ON CONFLICT (direction, gate) DO UPDATE SET version = version + 1;
    INSERT INTO list_versions (direction, gate, version)
    SELECT NEW.direction, NEW.gate, 1 WHERE NEW.kind = 'inbound' AND NEW.gate IS NOT NULL
        AND (OLD.direction IS NOT NEW.direction OR OLD.gate IS NOT NEW.gate OR OLD.kind IS NOT NEW.kind)
    ON CONFLICT (direction, gate) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER packages_list_version_delete AFTER DELETE ON packages
WHEN OLD.kind = 'inbound' AND OLD.gate IS NOT NULL
BEGIN
    INSERT INTO list_versions (direction, gate, version) VALUES (OLD.direction, OLD.gate, 1)
    ON CONFLICT (direction, gate) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER packages_list_version_delete;
DROP TRIGGER packages_list_version_update;
DROP TRIGGER packages_list_version_insert;
DROP TABLE list_versions;
