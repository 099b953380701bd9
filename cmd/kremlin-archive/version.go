package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kremlin-archive/kremlin-archive/crawler/kremlin"
	"github.com/kremlin-archive/kremlin-archive/store"
	"github.com/kremlin-archive/kremlin-archive/store/record"
)

// version is the program version. Release builds set it:
//
//	go build -ldflags "-X main.version=1.4.0" ./cmd/kremlin-archive
//
// Otherwise it comes from the build information Go embeds (the module
// version for `go install …@v1.4.0`, the VCS revision for a build in a
// clone).
var version = ""

// buildVersion is the program version and, when known, the commit it was
// built from.
func buildVersion() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if v == "" {
			v = "unknown"
		}
		return v
	}
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && !strings.Contains(v, rev[:min(12, len(rev))]) {
		extra := "commit " + rev[:min(12, len(rev))]
		if at != "" {
			extra += ", " + at
		}
		if modified {
			extra += ", modified"
		}
		v += " (" + extra + ")"
	}
	return v
}

// programVersion is what --version and `version` print.
func programVersion() string {
	return fmt.Sprintf(`kremlin-archive %s
parser version:          %d
archive schema version:  %d
record schema version:   %d
go:                      %s %s/%s
`, buildVersion(), kremlin.ParserVersion, store.SchemaVersion, record.SchemaVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the program, parser, archive schema and Go versions",
		Long: `Prints the program version, the parser version (stamped into every record
as parser_version; a new one means "reparse"), the archive file's schema
version, the record schema version of the export, and the Go version.
Same as kremlin-archive --version.`,
		Example: "  kremlin-archive version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(c.stdout, programVersion())
			return err
		},
	}
}
