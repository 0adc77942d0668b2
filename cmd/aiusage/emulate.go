package main

import (
	"context"
	"errors"
	"io"
)

// runEmulate is a placeholder until its issue lands.
func runEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
