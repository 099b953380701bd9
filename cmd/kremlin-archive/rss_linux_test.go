//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The default build may let go of its read-only pages; a
// position-independent build, whose read-only data the loader relocated,
// must not.
func TestHasRELRO(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program twice")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"build", "-o", filepath.Join(dir, "exe"), "."}, false},
		{[]string{"build", "-buildmode=pie", "-o", filepath.Join(dir, "pie"), "."}, true},
	} {
		cmd := exec.Command("go", c.args...)
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", c.args, err, out)
		}
		bin := c.args[len(c.args)-2]
		if got := hasRELRO(bin); got != c.want {
			t.Errorf("hasRELRO(%s) = %v, want %v", filepath.Base(bin), got, c.want)
		}
	}
	if !hasRELRO(filepath.Join(dir, "missing")) {
		t.Error("an unreadable executable must count as having relocated pages")
	}
}
