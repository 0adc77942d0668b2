package budget

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// fileDoc is the budgets file:
//
//	budgets:
//	  - name: atlas-monthly
//	    scope: project
//	    value: atlas
//	    period: month
//	    time_zone: Europe/Paris
//	    amount_usd: 200
//	    thresholds: [0.5, 0.8, 1]
type fileDoc struct {
	Budgets []Budget `yaml:"budgets"`
}

// maxFile bounds a budgets file.
const maxFile = 4 << 20

// ReadFile reads, normalizes and validates the budgets of a file. Unknown keys, two
// budgets of one name and any bad field are errors naming the budget and the key.
func ReadFile(path string) ([]Budget, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("budgets file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("budgets file %s: %w", path, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("budgets file %s: larger than %d bytes", path, maxFile)
	}
	bs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("budgets file %s: %w", path, err)
	}
	return bs, nil
}

// Parse reads budgets from a budgets document (YAML, or JSON, which YAML reads too).
func Parse(data []byte) ([]Budget, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	seen := map[string]int{}
	var errs []error
	for i := range doc.Budgets {
		b := &doc.Budgets[i]
		b.Normalize()
		where := fmt.Sprintf("budgets[%d]", i)
		if b.Name != "" {
			where += fmt.Sprintf(" (%q)", b.Name)
		}
		if err := b.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if j, dup := seen[b.Name]; dup && b.Name != "" {
			errs = append(errs, fmt.Errorf("%s: name: %q is also budgets[%d]", where, b.Name, j))
		}
		seen[b.Name] = i
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return doc.Budgets, nil
}

// Marshal writes budgets as a budgets file.
func Marshal(bs []Budget) ([]byte, error) {
	return yaml.Marshal(fileDoc{Budgets: bs})
}
