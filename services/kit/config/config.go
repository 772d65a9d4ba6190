// Package config fills a service's configuration struct from environment variables.
//
// Each field names its variable with struct tags:
//
//	type Config struct {
//		GRPCAddr    string        `env:"GRPC_ADDR" default:"127.0.0.1:9101"`
//		DatabaseURL string        `env:"DATABASE_URL" required:"true" secret:"true"`
//		Timeout     time.Duration `env:"TIMEOUT" default:"5s"`
//		Auth        AuthConfig    // nested structs are flattened: their fields read their own variables
//	}
//
// Supported field types: string, bool, every int and uint kind, float32/64, time.Duration
// and []string (comma-separated, items trimmed, empty items dropped). A variable set to
// the empty string counts as unset, so its default applies and required fails; that keeps
// `FOO=` in an env file from silently meaning "empty".
//
// The configuration is parsed once at start-up; Load reports every problem in one error
// so an operator fixes them all in one go. LogValue prints it with secrets masked.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Mask replaces secret values when the configuration is logged.
const Mask = "***"

// Problem is one missing or invalid variable.
type Problem struct {
	// Var is the environment variable.
	Var string
	// Err says what is wrong. For secret variables it never contains the value.
	Err error
}

// Error is returned by Load when variables are missing or invalid; it lists all of them.
type Error struct {
	Problems []Problem
}

// Error implements error.
func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Var + ": " + p.Err.Error()
	}
	return "config: " + strings.Join(parts, "; ")
}

// Unwrap returns the individual problems, so errors.Is finds ErrMissing.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p.Err
	}
	return errs
}

// ErrMissing is wrapped by the problem of a required variable that is not set.
var ErrMissing = errors.New("required but not set")

// Load fills the struct dst points to from the process environment.
func Load(dst any) error {
	return LoadFrom(os.LookupEnv, dst)
}

// LoadFrom fills the struct dst points to using lookup to read variables; tests pass a map
// lookup instead of mutating the process environment.
func LoadFrom(lookup func(string) (string, bool), dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: Load needs a non-nil pointer to a struct, got %T", dst)
	}
	fields, err := collect(rv.Elem())
	if err != nil {
		return err
	}
	var problems []Problem
	for _, f := range fields {
		raw, ok := lookup(f.name)
		if !ok || raw == "" {
			if f.required {
				problems = append(problems, Problem{Var: f.name, Err: ErrMissing})
				continue
			}
			if !f.hasDefault {
				continue
			}
			raw = f.def
		}
		if err := set(f.value, raw); err != nil {
			if f.secret {
				// The value is a secret: say what kind was expected, never echo it.
				err = fmt.Errorf("invalid %s value", f.value.Type())
			}
			problems = append(problems, Problem{Var: f.name, Err: err})
		}
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// LogValue returns cfg (a struct or a pointer to one) as a slog group keyed by variable
// name, with secret values replaced by Mask and passwords inside URL values masked too.
//
//	log.Info("config", "config", config.LogValue(cfg))
func LogValue(cfg any) slog.Value {
	entries, err := masked(cfg)
	if err != nil {
		return slog.StringValue(err.Error())
	}
	attrs := make([]slog.Attr, len(entries))
	for i, e := range entries {
		attrs[i] = slog.String(e.name, e.value)
	}
	return slog.GroupValue(attrs...)
}

// Masked returns cfg as variable name → value, masked like LogValue.
func Masked(cfg any) map[string]string {
	entries, err := masked(cfg)
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		m[e.name] = e.value
	}
	return m
}

type entry struct{ name, value string }

func masked(cfg any) ([]entry, error) {
	rv := reflect.ValueOf(cfg)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, errors.New("config: nil configuration")
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: %s is not a struct", rv.Type())
	}
	fields, err := collect(rv)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(fields))
	for _, f := range fields {
		v := format(f.value)
		switch {
		case f.secret && v != "":
			v = Mask
		default:
			v = MaskURLPasswords(v)
		}
		out = append(out, entry{name: f.name, value: v})
	}
	return out, nil
}

// keywordPassword matches password=… in a libpq keyword/value connection string.
var keywordPassword = regexp.MustCompile(`(?i)\b(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// MaskURLPasswords masks the password of a URL ("postgres://u:***@h/db"), of each URL in
// a comma-separated list, and of password=… in a keyword/value connection string. Other
// text is returned unchanged.
func MaskURLPasswords(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, ",") {
		parts := strings.Split(s, ",")
		for i, p := range parts {
			parts[i] = MaskURLPasswords(p)
		}
		return strings.Join(parts, ",")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			// Unparseable but URL-shaped: it may still hold a password, so hide the
			// whole authority rather than print it.
			if i := strings.LastIndex(s, "@"); i >= 0 {
				return s[:strings.Index(s, "://")+3] + Mask + s[i:]
			}
			return s
		}
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
		q := u.Query()
		changed := false
		for k := range q {
			if strings.EqualFold(k, "password") {
				q.Set(k, Mask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		// url.URL.String would percent-encode the mask; undo that for readability.
		return strings.ReplaceAll(u.String(), url.QueryEscape(Mask), Mask)
	}
	return keywordPassword.ReplaceAllString(s, "${1}"+Mask)
}

type field struct {
	name       string
	def        string
	hasDefault bool
	required   bool
	secret     bool
	value      reflect.Value
}

var durationType = reflect.TypeFor[time.Duration]()

// collect walks the struct and its nested structs, in declaration order, and returns the
// fields that name a variable.
func collect(rv reflect.Value) ([]field, error) {
	var out []field
	rt := rv.Type()
	for i := range rt.NumField() {
		sf := rt.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, tagged := sf.Tag.Lookup("env")
		if name == "-" {
			continue
		}
		fv := rv.Field(i)
		if !tagged {
			if sf.Type.Kind() == reflect.Struct {
				nested, err := collect(fv)
				if err != nil {
					return nil, err
				}
				out = append(out, nested...)
			}
			continue
		}
		if !supported(sf.Type) {
			return nil, fmt.Errorf("config: field %s (%s) of type %s is not supported", sf.Name, name, sf.Type)
		}
		def, hasDefault := sf.Tag.Lookup("default")
		out = append(out, field{
			name:       name,
			def:        def,
			hasDefault: hasDefault,
			required:   sf.Tag.Get("required") == "true",
			secret:     sf.Tag.Get("secret") == "true",
			value:      fv,
		})
	}
	return out, nil
}

func supported(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	default:
		return false
	}
}

// set parses raw into v according to v's type.
func set(v reflect.Value, raw string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("invalid duration %q (want e.g. 5s, 1m30s): %w", raw, err)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("invalid bool %q: %w", raw, err)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q: %w", raw, err)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(raw, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid unsigned integer %q: %w", raw, err)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(raw, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid number %q: %w", raw, err)
		}
		v.SetFloat(f)
	case reflect.Slice:
		var items []string
		for item := range strings.SplitSeq(raw, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
	default:
		// collect rejects other types before set is reached.
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// format renders a field's value the way an operator would write it in the environment.
func format(v reflect.Value) string {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
		}
		return strings.Join(items, ",")
	default:
		return fmt.Sprint(v.Interface())
	}
}
