package capture

import (
	"testing"

	"github.com/tcplab/tcplab/internal/labtest"
)

// inFreshNetns runs f on a locked OS thread moved into a new network
// namespace with lo up (labtest.InFreshNetns); f reports through the
// variables it sets.
func inFreshNetns(t *testing.T, f func()) {
	t.Helper()
	labtest.InFreshNetns(t, func() error { f(); return nil })
}
