-- +goose Up
-- The outbox pages by the id of the transaction that inserted an upload,
-- then by seq, and shows only uploads of transactions older than every
-- one still running (pg_snapshot_xmin). An upload that took a lower seq
-- but committed later can then never sit behind an operator's cursor,
-- and uploads no longer have to commit one at a time to keep that true.
-- Rows from before this migration get 0, which sorts them first.
ALTER TABLE packages ADD COLUMN txid xid8 NOT NULL DEFAULT '0';
ALTER TABLE packages ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
DROP INDEX packages_outbox;
CREATE INDEX packages_outbox ON packages (direction, txid, seq)
    WHERE kind = 'upload' AND acked_at IS NULL;

-- +goose Down
DROP INDEX packages_outbox;
CREATE INDEX packages_outbox ON packages (direction, seq)
    WHERE kind = 'upload' AND acked_at IS NULL;
ALTER TABLE packages DROP COLUMN txid;
