package usage

import (
	"reflect"
	"testing"
)

// TestAddSumsEveryUnit: each unit of the table is summed, so a unit added to Usage and
// to the table is summed without touching Add.
func TestAddSumsEveryUnit(t *testing.T) {
	var a, b, want Usage
	for i, n := range units {
		switch n.Kind {
		case Count:
			*n.count(&a), *n.count(&b), *n.count(&want) = int64(i+1), int64(10*(i+1)), int64(11*(i+1))
		case Seconds:
			*n.seconds(&a), *n.seconds(&b), *n.seconds(&want) = float64(i)+0.5, 2, float64(i)+2.5
		}
	}
	a.Add(&b)
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("got %+v\nwant %+v", a, want)
	}
	// Every field of Usage is a unit of the table.
	if got, fields := len(units), reflect.TypeOf(Usage{}).NumField(); got != fields {
		t.Fatalf("%d units for %d fields of Usage", got, fields)
	}
}
