package export

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/validate"
)

// RenderOptions say how to write what was read.
type RenderOptions struct {
	// Package is the CUE package name of the files.
	Package string
	// Configuration is written to the tenant file, and decides which
	// markers' addresses are keys.
	Configuration string
	// Mode is every exported membership's mode.
	Mode model.MembershipMode
	// GroupsFile names the groups file ("" writes none); TenantFile, the
	// file with the tenant and the configuration's name ("" writes none,
	// when the existing configuration has them); CrossTenantFile, the
	// file of the cross-tenant policy, written when it was read.
	GroupsFile, TenantFile, CrossTenantFile string
	// Taken are the keys of each kind the existing configuration
	// declares elsewhere: no exported object takes one.
	Taken map[model.Kind]map[string]bool
}

// File is one file of the exported configuration.
type File struct {
	Name string
	Data []byte
}

// Render writes the snapshot as CUE files formatted by CUE's formatter,
// and notes for the administrator about what was left out and why.
func Render(s *Snapshot, o RenderOptions) ([]File, []string, error) {
	keys := Keys(s.Groups, s.TenantID, o.Configuration, o.Taken[model.KindGroup])
	refKey := func(id string) (string, bool) {
		if k, ok := keys[id]; ok {
			return k, true
		}
		k, ok := s.Declared[strings.ToLower(id)]
		return k, ok
	}
	var notes []string
	ours := 0
	for _, sk := range s.Skipped {
		if sk.Ours {
			ours++
			continue
		}
		notes = append(notes, fmt.Sprintf("skipped group %s (%s): %s", strconv.Quote(sk.Group.DisplayName), sk.Group.ID, sk.Reason))
	}
	if ours > 0 {
		notes = append(notes, fmt.Sprintf("skipped %d of the groups this configuration already declares or keeps as records", ours))
	}

	var files []File
	if o.TenantFile != "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, "// The tenant this configuration is for, exported by entrasync export.\n\npackage %s\n\n", o.Package)
		fmt.Fprintf(&b, "tenant: id: %s\n", quote(s.TenantID))
		fmt.Fprintf(&b, "configuration: %s\n", quote(o.Configuration))
		f, err := formatted(o.TenantFile, b.Bytes())
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}

	if p := s.Policies; p != nil && (p.Default != nil || len(p.Partners) > 0 || len(p.Jobs) > 0) && o.CrossTenantFile != "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, `// The cross-tenant configuration of tenant %s,
// exported by entrasync export. Every partner and synchronization job is
// adopted, so the first apply only records it as managed.

package %s

`, s.TenantID, o.Package)
		renderPolicies(&b, p, o.Taken, refKey)
		f, err := formatted(o.CrossTenantFile, b.Bytes())
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f)
	}
	if s.Policies != nil {
		notes = append(notes, s.Policies.Skipped...)
	}
	if o.GroupsFile == "" {
		return files, notes, nil
	}

	groups := slices.Clone(s.Groups)
	slices.SortFunc(groups, func(a, b entra.Group) int { return cmp.Compare(keys[a.ID], keys[b.ID]) })
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Groups exported from tenant %s by entrasync export.
//
// Every group is bound to its live group by id (adopt), and its members
// and owners are declared as they are, so the first plan changes nothing
// and the first apply only marks the groups as managed. Edit freely; a
// re-export of an unchanged tenant writes this file again byte for byte.

package %s

groups: {
`, s.TenantID, o.Package)
	for _, g := range groups {
		key := keys[g.ID]
		gn := renderGroup(&b, g, key, s, o.Mode, refKey)
		for _, n := range gn {
			notes = append(notes, "groups."+key+": "+n)
		}
	}
	b.WriteString("}\n")
	f, err := formatted(o.GroupsFile, b.Bytes())
	if err != nil {
		return nil, nil, err
	}
	return append(files, f), notes, nil
}

// renderGroup writes one group and returns notes on what it leaves out.
func renderGroup(b *bytes.Buffer, g entra.Group, key string, s *Snapshot, mode model.MembershipMode, refKey func(string) (string, bool)) []string {
	var notes []string
	members, membersOK := memberRefs(g, s, refKey)
	owners, ownersOK := ownerRefs(s.Owners[g.ID])
	switch {
	case g.DynamicRule != "":
	case !membersOK:
		notes = append(notes, "membership not declared (its members are left alone): "+members[0].ref)
	}
	if !ownersOK {
		notes = append(notes, "owners not declared (they are left alone): "+owners[0].ref)
	}
	for _, n := range notes {
		fmt.Fprintf(b, "// %s\n", oneLine(n))
	}
	fmt.Fprintf(b, "%s: {\n", label(key))
	field := func(name, value string) { fmt.Fprintf(b, "%s: %s\n", name, value) }
	field("displayName", quote(g.DisplayName))
	if g.Description != "" {
		field("description", quote(g.Description))
	}
	if g.Kind == model.GroupMicrosoft365 {
		field("kind", quote(string(model.GroupMicrosoft365)))
	}
	if g.MailNickname != key {
		field("mailNickname", quote(g.MailNickname))
	}
	if g.Visibility != "" {
		field("visibility", quote(g.Visibility))
	}
	if g.IsAssignableToRole {
		field("isAssignableToRole", "true")
	}
	if g.DynamicRule != "" {
		field("dynamicRule", quote(g.DynamicRule))
		if g.DynamicRulePaused {
			field("dynamicRulePaused", "true")
		}
	}
	field("adopt", quote("id:"+g.ID))
	if ownersOK && len(owners) > 0 {
		list(b, "owners", owners)
	}
	if g.DynamicRule == "" && membersOK {
		fmt.Fprintf(b, "membership: {\nmode: %s\n", quote(string(mode)))
		for _, t := range []entra.ObjectType{entra.TypeUser, entra.TypeGroup, entra.TypeDevice, entra.TypeServicePrincipal} {
			var of []ref
			for _, r := range members {
				if r.typ == t {
					of = append(of, r)
				}
			}
			if len(of) > 0 {
				list(b, listName[t], of)
			}
		}
		b.WriteString("}\n")
	}
	b.WriteString("}\n")
	return notes
}

// listName is the membership list each type of member goes in.
var listName = map[entra.ObjectType]string{entra.TypeUser: "users", entra.TypeGroup: "groups",
	entra.TypeDevice: "devices", entra.TypeServicePrincipal: "servicePrincipals"}

// ref is one reference as the configuration writes it, with a comment
// naming the object when the reference is an id.
type ref struct {
	typ     entra.ObjectType
	ref     string
	comment string
}

// memberRefs declares a group's members. ok is false when one cannot be
// declared; the first ref then says which and why.
func memberRefs(g entra.Group, s *Snapshot, refKey func(string) (string, bool)) (refs []ref, ok bool) {
	for _, p := range s.Members[g.ID] {
		r := ref{typ: p.Type}
		switch p.Type {
		case entra.TypeUser:
			r.ref = p.Name
			if !validate.IsUserName(p.Name) {
				r.ref, r.comment = "id:"+p.ID, strconv.Quote(p.Name)
			}
		case entra.TypeGroup:
			if k, known := refKey(p.ID); known {
				r.ref = k
			} else {
				r.ref, r.comment = "id:"+p.ID, strconv.Quote(p.Name)
			}
		case entra.TypeDevice:
			if s.UniqueDevices[strings.ToLower(p.ID)] {
				r.ref = p.Name
			} else {
				r.ref, r.comment = "id:"+p.ID, strconv.Quote(p.Name)+" (a name other devices share, or none)"
			}
		case entra.TypeServicePrincipal:
			r.ref, r.comment = "id:"+p.ID, strconv.Quote(p.Name)
		default:
			return []ref{{ref: fmt.Sprintf("member %s is of type %s, which a configuration cannot declare", p.ID, p.Type)}}, false
		}
		refs = append(refs, r)
	}
	return sortRefs(refs), true
}

// maxOwners is the schema's limit on declared owners (Graph's own).
const maxOwners = 100

// ownerRefs declares a group's owners, which the schema takes as users.
func ownerRefs(owners []entra.Principal) (refs []ref, ok bool) {
	for _, p := range owners {
		if p.Type != entra.TypeUser {
			return []ref{{ref: fmt.Sprintf("owner %s is of type %s, and only users can be declared as owners", p.ID, p.Type)}}, false
		}
		r := ref{typ: p.Type, ref: p.Name}
		if !validate.IsUserName(p.Name) {
			r.ref, r.comment = "id:"+p.ID, strconv.Quote(p.Name)
		}
		refs = append(refs, r)
	}
	if len(refs) > maxOwners {
		return []ref{{ref: fmt.Sprintf("it has %d owners, more than the %d a configuration declares", len(refs), maxOwners)}}, false
	}
	return sortRefs(refs), true
}

func sortRefs(refs []ref) []ref {
	slices.SortFunc(refs, func(a, b ref) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.ref), strings.ToLower(b.ref)), cmp.Compare(a.ref, b.ref))
	})
	// Graph lists a member once; a page boundary moving under a
	// concurrent change can list it twice, and a list declares it once.
	return slices.CompactFunc(refs, func(a, b ref) bool { return a.ref == b.ref })
}

// list writes a list with one reference per line, so a diff of a
// re-export shows one line per member that came or went.
func list(b *bytes.Buffer, name string, refs []ref) {
	fmt.Fprintf(b, "%s: [\n", name)
	for _, r := range refs {
		if r.comment != "" {
			fmt.Fprintf(b, "%s, // %s\n", quote(r.ref), oneLine(r.comment))
		} else {
			fmt.Fprintf(b, "%s,\n", quote(r.ref))
		}
	}
	b.WriteString("]\n")
}

// oneLine keeps a comment on its line whatever tenant data it holds:
// control characters (a newline would end the comment and let the rest
// be read as CUE) become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// quote is a CUE string literal: interpolations and newlines in tenant
// data stay text.
func quote(s string) string { return config.Quote(s) }

var plainLabel = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// keywords may not stand unquoted as labels.
var keywords = map[string]bool{"if": true, "for": true, "in": true, "let": true, "true": true, "false": true,
	"null": true, "import": true, "package": true, "func": true}

// label is a key as a CUE label, quoted unless it is a plain identifier.
func label(key string) string {
	if plainLabel.MatchString(key) && !keywords[key] {
		return key
	}
	return quote(key)
}

// formatted runs CUE's formatter over a generated file.
func formatted(name string, src []byte) (File, error) {
	out, err := config.Format(src)
	if err != nil {
		return File{}, fmt.Errorf("export: formatting %s: %w", name, err)
	}
	return File{Name: name, Data: out}, nil
}
