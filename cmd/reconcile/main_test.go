package main

import (
	"os"
	"testing"

	"github.com/crossborder/reconcile/internal/journal/pgtest"
)

// TestMain stops the throw-away PostgreSQL server of the tests that use
// one (pgtest.Start), if one was started.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}
