package main

import (
	"context"
	"errors"
	"io"
)

// runReport is a placeholder until its issue lands.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
