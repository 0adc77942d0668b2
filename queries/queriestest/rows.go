// Package queriestest holds what tests of the report files share.
package queriestest

import (
	"math"
	"reflect"
)

// SameRows reports whether two reports' rows are equal, floats to 1e-9 relative: sums
// of costs differ in the last bits with the order rows are added in.
func SameRows(a, b [][]any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			x, xok := a[i][j].(float64)
			y, yok := b[i][j].(float64)
			if xok && yok {
				if math.Abs(x-y) > 1e-9*math.Max(math.Abs(x), math.Abs(y)) {
					return false
				}
				continue
			}
			if !reflect.DeepEqual(a[i][j], b[i][j]) {
				return false
			}
		}
	}
	return true
}
