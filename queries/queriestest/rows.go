// Package queriestest holds what tests of the report files share.
package queriestest

import (
	"math"
	"reflect"
)

// Near reports whether two USD or ratio values agree to within float summation noise:
// 1e-9 of the larger, or 1e-9 absolute below 1 (DuckDB sums in parallel, in no fixed
// order, and a cost below a billionth of a dollar is below any price's resolution).
func Near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// SameRows reports whether two reports' rows are equal, floats compared with Near: sums
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
				if !Near(x, y) {
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
