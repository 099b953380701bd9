package config

import (
	"errors"
	"strings"
)

// joinErrs joins field errors so that each is on its own line.
func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// Problems splits an error returned by Parse or Validate into one line per
// problem, for printing.
func Problems(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
