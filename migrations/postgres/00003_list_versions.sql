-- +goose Up
-- A gate's list changes only when one of its inbound packages is stored,
-- changed or removed. list_versions counts those changes, gate by gate,
-- in the same transaction as the change, so a host that keeps a gate's
-- rendered list can tell, with one lookup, whether it is still the list
-- the database holds, whichever host or tool made the change. The row is
-- locked until the change commits, so versions follow commit order.
-- Gates with no row yet are at version 0.
CREATE TABLE list_versions (
    direction TEXT   NOT NULL,
    gate      TEXT   NOT NULL,
    version   BIGINT NOT NULL,
    PRIMARY KEY (direction, gate)
);

-- +goose StatementBegin
CREATE FUNCTION bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.kind = 'inbound' AND OLD.gate IS NOT NULL THEN
        INSERT INTO list_versions AS v (direction, gate, version) VALUES (OLD.direction, OLD.gate, 1)
        ON CONFLICT (direction, gate) DO UPDATE SET version = v.version + 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.kind = 'inbound' AND NEW.gate IS NOT NULL
        AND (TG_OP = 'INSERT' OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.gate IS DISTINCT FROM NEW.gate
             OR OLD.kind IS DISTINCT FROM NEW.kind) THEN
        INSERT INTO list_versions AS v (direction, gate, version) VALUES (NEW.direction, NEW.gate, 1)
        ON CONFLICT (direction, gate) DO UPDATE SET version = v.version + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Only rows that are, or were, an inbound package of a gate call the
-- function: an upload's insert or acknowledgement pays nothing.
CREATE TRIGGER packages_list_version_insert AFTER INSERT ON packages
    FOR EACH ROW WHEN (NEW.kind = 'inbound' AND NEW.gate IS NOT NULL)
    EXECUTE FUNCTION bump_list_version();
CREATE TRIGGER packages_list_version_update AFTER UPDATE ON packages
    FOR EACH ROW WHEN ((OLD.kind = 'inbound' AND OLD.gate IS NOT NULL) OR (NEW.kind = 'inbound' AND NEW.gate IS NOT NULL))
    EXECUTE FUNCTION bump_list_version();
CREATE TRIGGER packages_list_version_delete AFTER DELETE ON packages
    FOR EACH ROW WHEN (OLD.kind = 'inbound' AND OLD.gate IS NOT NULL)
    EXECUTE FUNCTION bump_list_version();

-- +goose Down
DROP TRIGGER packages_list_version_insert ON packages;
DROP TRIGGER packages_list_version_update ON packages;
DROP TRIGGER packages_list_version_delete ON packages;
DROP FUNCTION bump_list_version();
DROP TABLE list_versions;
