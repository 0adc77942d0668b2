package main

import (
	"context"
	"errors"
	"io"
)

// runPrices is a placeholder until its issue lands.
func runPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
