-- +goose Up
-- PostgreSQL's 00002 orders the outbox by committing transaction. SQLite
-- has one writer at a time, so seq already follows commit order and its
-- outbox keeps paging by seq; this version keeps the two folders in step.
SELECT 1;

-- +goose Down
SELECT 1;
