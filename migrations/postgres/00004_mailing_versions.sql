-- +goose Up
-- A direction's massreports change only when one of its mass mailings is
-- published, changed or removed. mailing_versions counts those changes,
-- direction by direction, in the same transaction as the change, as
-- list_versions does for a gate's list (migration 00003), so that a host
-- keeping rendered massreports can tell with one lookup whether they are
-- still what the database holds. Directions with no row yet are at
-- version 0.
CREATE TABLE mailing_versions (
    direction TEXT   PRIMARY KEY,
    version   BIGINT NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION bump_mailing_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.kind = 'mailing' THEN
        INSERT INTO mailing_versions AS v (direction, version) VALUES (OLD.direction, 1)
        ON CONFLICT (direction) DO UPDATE SET version = v.version + 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.kind = 'mailing'
        AND (TG_OP = 'INSERT' OR OLD.direction IS DISTINCT FROM NEW.direction OR OLD.kind IS DISTINCT FROM NEW.kind) THEN
        INSERT INTO mailing_versions AS v (direction, version) VALUES (NEW.direction, 1)
        ON CONFLICT (direction) DO UPDATE SET version = v.version + 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- An update that leaves a mailing's row as it was calls nothing: a
-- subscriber's DELETE of a mailing's link writes the row unchanged (a
-- mailing is every subscriber's and stays listed), and must not make every
-- host read the direction's massreports anew.
CREATE TRIGGER packages_mailing_version_insert AFTER INSERT ON packages
    FOR EACH ROW WHEN (NEW.kind = 'mailing')
    EXECUTE FUNCTION bump_mailing_version();
CREATE TRIGGER packages_mailing_version_update AFTER UPDATE ON packages
    FOR EACH ROW WHEN ((OLD.kind = 'mailing' OR NEW.kind = 'mailing') AND OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION bump_mailing_version();
CREATE TRIGGER packages_mailing_version_delete AFTER DELETE ON packages
    FOR EACH ROW WHEN (OLD.kind = 'mailing')
    EXECUTE FUNCTION bump_mailing_version();

-- +goose Down
DROP TRIGGER packages_mailing_version_insert ON packages;
DROP TRIGGER packages_mailing_version_update ON packages;
DROP TRIGGER packages_mailing_version_delete ON packages;
DROP FUNCTION bump_mailing_version();
DROP TABLE mailing_versions;
