// Package e2e drives the real reportgate binary, with the real plugin
// processes, over HTTP, on SQLite and (when POSTGRES_TEST_URL
// is set) on PostgreSQL. It has no code of its own beside its tests.
package e2e
