package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kremlin-archive/kremlin-archive/config/redact"
)

// Duration is a time.Duration written as a Go duration string ("2s",
// "30m", "0s"). A bare number is rejected: "2" would silently mean 2ns.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as 10s or 30m")
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("want a duration such as 10s or 30m (got %q)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// DefaultJitterShare is the random extra pause before a request, as a
// share of the effective delay (Scrapy's RANDOMIZE_DOWNLOAD_DELAY spreads
// it the same way).
const DefaultJitterShare = 0.5

// Jitter is the random extra pause before each request: up to Share of
// the effective delay ("0.5" or "50%": up to half of it; 0: none), so a
// local mirror at delay 0s is crawled without pauses. The form of earlier
// versions, a duration ("5s"), is still read: it caps the extra at that
// duration, with the default share ("0s": no extra).
type Jitter struct {
	Share float64
	Max   Duration // 0 = no cap
}

func (j Jitter) String() string {
	s := strconv.FormatFloat(j.Share, 'g', -1, 64)
	if j.Max > 0 {
		s += " (at most " + j.Max.String() + ")"
	}
	return s
}

// ParseJitter parses the forms Jitter accepts.
func ParseJitter(s string) (Jitter, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return Jitter{}, fmt.Errorf("want a share of the delay such as 0.5 or 50%% (got %q)", s)
		}
		return Jitter{Share: v / 100}, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return Jitter{Share: v}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d == 0 {
			return Jitter{}, nil
		}
		return Jitter{Share: DefaultJitterShare, Max: Duration(d)}, nil
	}
	return Jitter{}, fmt.Errorf("want a share of the delay such as 0.5 or 50%% (or, as in earlier versions, a duration such as 5s that caps it) (got %q)", s)
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (j *Jitter) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a share of the delay such as 0.5 or 50%%")
	}
	v, err := ParseJitter(n.Value)
	if err != nil {
		return err
	}
	*j = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (j Jitter) MarshalYAML() (any, error) {
	if j.Max > 0 {
		return j.Max.String(), nil
	}
	return j.Share, nil
}

// ByteSize is a size in bytes, written as a number or with a unit:
// 33554432, 32MiB, 500KiB, 1MB.
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseByteSize parses the forms ByteSize accepts.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			mult = u.mult
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 32MiB or 33554432")
	}
	return ByteSize(n * mult), nil
}

func (b ByteSize) String() string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", b>>20)
	case b >= 1<<10 && b%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", b>>10)
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a size such as 32MiB")
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("%v (got %q)", err, n.Value)
	}
	*b = v
	return nil
}

// decodeStrict decodes YAML into v field by field, so every error names
// the path of the field it is about, and unknown keys are errors.
func decodeStrict(data []byte, v any) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("not valid YAML: %s", redact.Secrets(err.Error()))
	}
	if root.Kind == 0 { // empty document: keep defaults
		return nil
	}
	node := &root
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		node = node.Content[0]
	}
	var errs []error
	decodeNode(node, reflect.ValueOf(v).Elem(), "", &errs)
	return joinErrs(errs)
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func decodeNode(n *yaml.Node, v reflect.Value, path string, errs *[]error) {
	fail := func(format string, args ...any) {
		field := path
		if field == "" {
			field = "(top level)"
		}
		*errs = append(*errs, &FieldError{Field: field, Line: n.Line, Msg: redact.Secrets(fmt.Sprintf(format, args...))})
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.Kind() == reflect.Pointer {
		if n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		decodeNode(n, v.Elem(), path, errs)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			fail("%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			fail("want a mapping of keys (%s)", strings.Join(knownKeys(v.Type()), ", "))
			return
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			sub := key
			if path != "" {
				sub = path + "." + key
			}
			if seen[key] {
				*errs = append(*errs, &FieldError{Field: sub, Line: k.Line, Msg: "set twice"})
				continue
			}
			seen[key] = true
			idx := fieldIndex(v.Type(), key)
			if idx < 0 {
				msg := "unknown key"
				if s := suggest(key, knownKeys(v.Type())); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				} else {
					msg += "; known keys: " + strings.Join(knownKeys(v.Type()), ", ")
				}
				*errs = append(*errs, &FieldError{Field: sub, Line: k.Line, Msg: msg})
				continue
			}
			decodeNode(val, v.Field(idx), sub, errs)
		}
	case reflect.Slice:
		if n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if n.Kind != yaml.SequenceNode {
			fail("want a list")
			return
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			decodeNode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i), errs)
		}
		v.Set(out)
	default:
		if n.Kind != yaml.ScalarNode {
			fail("want a single value, not a %s", kindName(n.Kind))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			msg := err.Error()
			if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
				msg = te.Errors[0]
				if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "line ") {
					msg = msg[i+2:]
				}
			}
			fail("%s", msg)
		}
	}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

func fieldIndex(t reflect.Type, key string) int {
	for i := 0; i < t.NumField(); i++ {
		if tagName(t.Field(i)) == key {
			return i
		}
	}
	return -1
}

func tagName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if i := strings.IndexByte(tag, ','); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

func knownKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if k := tagName(t.Field(i)); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// suggest returns the known key closest to key when it is a likely typo.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
