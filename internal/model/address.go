package model

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kind is the kind of a declared object; it is also the top-level CUE field
// path the object is declared under.
type Kind string

// The kinds of declared objects, in apply order.
const (
	KindGroup          Kind = "groups"
	KindProfileMapping Kind = "profileMappings"
	KindPartner        Kind = "crossTenant.partners"
	KindDefaultPolicy  Kind = "crossTenant.default"
	KindSyncJob        Kind = "crossTenant.syncJobs"
)

// Kinds lists every Kind in a stable order.
var Kinds = []Kind{KindGroup, KindProfileMapping, KindPartner, KindDefaultPolicy, KindSyncJob}

func kindRank(k Kind) int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// Address is the stable name of a declared object: its kind and CUE key.
// Desired and live objects are paired by address, never by display name.
type Address struct {
	Kind Kind
	Key  string
}

// String renders the address as users write it: groups.sg-finance.
// The default cross-tenant policy has no key.
func (a Address) String() string {
	if a.Key == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + "." + a.Key
}

// MarshalText renders the address in JSON as its String form.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Path returns the address as a CUE path, quoting the key where CUE needs it.
func (a Address) Path() string {
	if a.Key == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + "." + pathLabel(a.Key)
}

// Compare orders addresses by kind (in apply order), then key.
func (a Address) Compare(b Address) int {
	if c := cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// ParseAddress parses "groups.sg-finance" and the other kinds' forms.
func ParseAddress(s string) (Address, error) {
	for _, k := range Kinds {
		prefix := string(k)
		if s == prefix && k == KindDefaultPolicy {
			return Address{Kind: k}, nil
		}
		if key, ok := strings.CutPrefix(s, prefix+"."); ok && key != "" && k != KindDefaultPolicy {
			return Address{Kind: k, Key: key}, nil
		}
	}
	return Address{}, fmt.Errorf("address %q: want groups.KEY, profileMappings.KEY, crossTenant.partners.KEY, crossTenant.syncJobs.KEY or crossTenant.default", s)
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// pathLabel quotes a CUE label unless it is a plain identifier. Labels that
// start with # or _ are definitions or hidden fields in CUE, so quote them too.
func pathLabel(s string) string {
	if identifier.MatchString(s) && !strings.HasPrefix(s, "_") {
		return s
	}
	return strconv.Quote(s)
}

// Path builds a CUE path from labels (strings) and list indexes (ints):
// Path("groups", "sg-finance", "owners", 0) is groups."sg-finance".owners[0].
func Path(elems ...any) string {
	var b strings.Builder
	for _, e := range elems {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(pathLabel(e))
		case Kind:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(e))
		default:
			panic(fmt.Sprintf("model.Path: unsupported element %T", e))
		}
	}
	return b.String()
}
