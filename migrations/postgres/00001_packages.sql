-- +goose Up
-- One table serves every direction. The columns every direction shares are
-- real, indexed columns; what a direction adds (a regnum, an OKPO code)
-- lives in attrs, so a new regulator needs no migration.
CREATE TABLE packages (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         UUID        NOT NULL UNIQUE,
    direction  TEXT        NOT NULL,
    -- upload: a subscriber's package towards the regulator;
    -- inbound: a package delivered to a subscriber;
    -- mailing: a mass mailing.
    kind       TEXT        NOT NULL CHECK (kind IN ('upload', 'inbound', 'mailing')),
    uid        TEXT        NOT NULL,
    type       TEXT,
    guid       TEXT,
    gate       TEXT,
    code       TEXT,
    filename   TEXT        NOT NULL,
    -- link is the link as the direction renders it; link_path is the same
    -- without leading slashes, which is what the resolver looks up.
    link       TEXT,
    link_path  TEXT UNIQUE,
    size       BIGINT      NOT NULL,
    sha256     TEXT        NOT NULL,
    client_ip  TEXT,
    sent_at    TIMESTAMPTZ,
    date_in    TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    acked_at   TIMESTAMPTZ,
    purged_at  TIMESTAMPTZ,
    attrs      JSONB       NOT NULL DEFAULT '{}'
);

-- The list: a type alone, or with a guid, or with a gate; oldest first.
CREATE INDEX packages_inbound_type ON packages (direction, type, seq)
    WHERE kind = 'inbound' AND deleted_at IS NULL;
CREATE INDEX packages_inbound_guid ON packages (direction, type, guid, seq)
    WHERE kind = 'inbound' AND deleted_at IS NULL;
CREATE INDEX packages_inbound_gate ON packages (direction, type, gate, seq)
    WHERE kind = 'inbound' AND deleted_at IS NULL;
-- The massreport: a date range, with or without a code.
CREATE INDEX packages_mailing_date ON packages (direction, date_in, seq)
    WHERE kind = 'mailing';
CREATE INDEX packages_mailing_code ON packages (direction, code, date_in, seq)
    WHERE kind = 'mailing';
-- The operator's outbox: uploads not yet forwarded.
CREATE INDEX packages_outbox ON packages (direction, seq)
    WHERE kind = 'upload' AND acked_at IS NULL;
-- The retention purge: deleted packages whose bytes are still kept.
CREATE INDEX packages_purge ON packages (deleted_at)
    WHERE deleted_at IS NOT NULL AND purged_at IS NULL;

-- One product guid belongs to exactly one gate within a direction.
CREATE TABLE subscribers (
    direction TEXT NOT NULL,
    guid      TEXT NOT NULL,
    gate      TEXT NOT NULL,
    PRIMARY KEY (direction, guid)
);

-- +goose Down
DROP TABLE subscribers;
DROP TABLE packages;
