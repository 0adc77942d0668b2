package usage

import (
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// TestEveryFieldIsAUnit holds the unit table against the Usage struct: each
// field is recorded by exactly one unit of its kind, under its own attribute.
func TestEveryFieldIsAUnit(t *testing.T) {
	typ := reflect.TypeFor[Usage]()
	if len(units) != typ.NumField() {
		t.Errorf("%d units for %d fields of Usage", len(units), typ.NumField())
	}
	names, keys := map[string]bool{}, map[attribute.Key]bool{}
	for _, n := range units {
		if n.Name == "" || names[n.Name] || keys[n.Key] {
			t.Errorf("unit %q (%s): empty or repeated name or key", n.Name, n.Key)
		}
		names[n.Name], keys[n.Key] = true, true
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		var u Usage
		v := reflect.ValueOf(&u).Elem().Field(i)
		switch f.Type.Kind() {
		case reflect.Int64:
			v.SetInt(int64(1000 + i))
		case reflect.Float64:
			v.SetFloat(float64(1000+i) + 0.5)
		default:
			t.Fatalf("field %s is %s: a billed unit is an int64 count or float64 seconds", f.Name, f.Type)
		}
		var found []attribute.KeyValue
		for _, kv := range u.Attributes(nil) {
			if kv.Value.AsInterface() == v.Interface() {
				found = append(found, kv)
			}
		}
		if len(found) != 1 {
			t.Errorf("field %s set alone: recorded as %v, want exactly one attribute", f.Name, found)
		}
	}
}

func TestAttributes(t *testing.T) {
	u := Usage{InputTokens: 336, OutputTokens: 120, CacheReadInputTokens: 256}
	got := u.Attributes(nil)
	want := []attribute.KeyValue{
		attribute.Int64("gen_ai.usage.input_tokens", 336),
		attribute.Int64("gen_ai.usage.output_tokens", 120),
		attribute.Int64("gen_ai.usage.cache_read.input_tokens", 256),
		attribute.Int64("gen_ai.usage.reasoning.output_tokens", 0), // the GenAI details are always recorded
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Attributes = %v, want %v", got, want)
	}
}

// TestOptionalUnits records a unit that is not marked Always only when it is
// non-zero, and a Seconds unit as a float.
func TestOptionalUnits(t *testing.T) {
	var seconds float64
	saved := units
	t.Cleanup(func() { units = saved })
	units = append(append([]Unit(nil), saved...),
		secondsUnit("audio_seconds", "test.audio.seconds", false, func(*Usage) *float64 { return &seconds }),
		countUnit("queries", "test.queries", false, func(u *Usage) *int64 { return &u.ReasoningOutputTokens }))
	var u Usage
	for _, kv := range u.Attributes(nil) {
		if kv.Key == "test.audio.seconds" || kv.Key == "test.queries" {
			t.Errorf("zero optional unit recorded: %v", kv)
		}
	}
	seconds, u.ReasoningOutputTokens = 2.5, 3
	got := map[attribute.Key]attribute.Value{}
	for _, kv := range u.Attributes(nil) {
		got[kv.Key] = kv.Value
	}
	if v := got["test.audio.seconds"]; v.Type() != attribute.FLOAT64 || v.AsFloat64() != 2.5 {
		t.Errorf("seconds unit = %v (%s), want 2.5 as a float", v.Emit(), v.Type())
	}
	if v := got["test.queries"]; v.Type() != attribute.INT64 || v.AsInt64() != 3 {
		t.Errorf("count unit = %v (%s), want 3", v.Emit(), v.Type())
	}
}

func TestUnitsIsACopy(t *testing.T) {
	Units()[0].Name = "changed"
	if units[0].Name == "changed" {
		t.Error("Units handed out the table itself")
	}
}
