package profiles

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/odata"
	"github.com/entrasync/entrasync/internal/plan"
)

// Mappings plans the declared profile mappings: a [plan.Kind].
type Mappings struct {
	// SharePoint reaches the users delta, the libraries and the import
	// jobs; nil when the connection has no SharePoint side.
	SharePoint entra.SharePoint
	// Now dates a pending job's end when a plan finds it ended; time.Now
	// when nil.
	Now func() time.Time
}

// maxValueRunes is the longest value a single-valued string profile
// property holds (SharePoint's limit for custom string properties,
// 3,600 characters; inferred from the User Profile Service's property
// settings, not from the import's documentation).
const maxValueRunes = 3600

// Plan implements [plan.Kind].
func (m Mappings) Plan(ctx context.Context, env *plan.Env) (plan.KindPlan, diag.Diagnostics, error) {
	var kp plan.KindPlan
	for _, key := range slices.Sorted(maps.Keys(env.Desired.ProfileMappings)) {
		addr := model.Address{Kind: model.KindProfileMapping, Key: key}.String()
		kp.Addresses = append(kp.Addresses, addr)
		if !env.Targeted(addr) {
			continue
		}
		if m.SharePoint == nil {
			return kp, nil, fmt.Errorf("%s: this connection does not reach SharePoint Online", addr)
		}
		c, err := m.planOne(ctx, env, key, env.Desired.ProfileMappings[key])
		if err != nil {
			return kp, nil, fmt.Errorf("%s: %w", addr, err)
		}
		c.Address = addr
		kp.Changes = append(kp.Changes, c)
	}
	return kp, nil, nil
}

// source is a mapping as the plan reads Entra for it.
type source struct {
	mapping model.ProfileMapping
	// attrs are the mapped Entra attributes, sorted.
	attrs []string
	// scoped are the properties the users filter reads.
	scoped []string
}

func newSource(mp model.ProfileMapping) source {
	attrs := slices.Sorted(maps.Values(mp.Properties))
	src := source{mapping: mp, attrs: slices.Compact(attrs)}
	if e, err := odata.Parse(mp.Users); err == nil && mp.Users != "" {
		for _, p := range odata.Properties(e) {
			src.scoped = append(src.scoped, p.Path[0])
		}
	}
	return src
}

// selectList is the $select of every read: the identities, the mapped
// attributes (extension attributes included: Graph returns them only
// when selected) and the properties the users filter reads. A delta
// tracks only the selected properties, so without the last a user who
// moves into scope (a new department) would never show up.
func (s source) selectList() []string {
	sel := []string{"id", "userPrincipalName", "mail"}
	for _, a := range slices.Concat(s.attrs, s.scoped) {
		if !slices.ContainsFunc(sel, func(x string) bool { return strings.EqualFold(x, a) }) {
			sel = append(sel, a)
		}
	}
	return sel
}

// scope fingerprints what decides which users and values are read.
func (s source) scope() string {
	h := sha256.Sum256([]byte(s.mapping.Users + "\n" + s.mapping.IDType + "\n" + strings.Join(s.attrs, ",")))
	return hex.EncodeToString(h[:8])
}

func (m Mappings) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Opened is a mapping's library and state as a run finds them.
type Opened struct {
	Library entra.Library
	// State is nil before the first import; Meta is the state file's
	// metadata (nil when there is none), for the plan's stale check.
	State *State
	Meta  entra.Document
	// Running is the state of the pending job SharePoint has not
	// finished yet (Unknown when none is pending).
	Running entra.ImportState
	Notes   []string
}

// Open finds a mapping's library and reads its state, ending a pending
// job that SharePoint has finished since (reading its log when it
// failed).
func Open(ctx context.Context, sp entra.SharePoint, tenant, configuration, key string, mp model.ProfileMapping, now time.Time) (Opened, error) {
	var o Opened
	lib, err := sp.Library(ctx, mp.SharePoint.Site, mp.SharePoint.Folder)
	if err != nil {
		return o, err
	}
	o.Library = lib
	path := lib.Path(StateName(configuration, key))
	f, err := sp.ReadFile(ctx, lib.DriveID, path)
	if err != nil || f.Meta == nil {
		return o, err
	}
	st, err := parseState(f.Content, tenant, configuration, key)
	if err != nil {
		return o, fmt.Errorf("%s: %w", path, err)
	}
	o.State, o.Meta = st, f.Meta
	p := st.Pending
	if p == nil {
		return o, nil
	}
	job, err := sp.ImportJob(ctx, mp.SharePoint.AdminURL, p.ID)
	if err != nil {
		return o, err
	}
	queued := p.QueuedAt.UTC().Format(time.RFC3339)
	if !job.State.Done() && job.State != entra.ImportUnknown {
		o.Running = job.State
		o.Notes = append(o.Notes, fmt.Sprintf("import job %s (%s) is still %s; this plan compares with the import before it, so it may send some values again",
			p.ID, queued, job.State))
		return o, nil
	}
	var failures []Failure
	if job.State == entra.ImportError {
		if failures, err = readLog(ctx, sp, lib, job); err != nil {
			return o, err
		}
	}
	st.finish(job, failures, now)
	o.Notes = append(o.Notes, "import job "+p.ID+" ("+queued+") ended: "+describe(*st.Last))
	return o, nil
}

// describe says how a finished job ended.
func describe(j Job) string {
	switch {
	case j.State == entra.ImportSucceeded.String():
		return fmt.Sprintf("Succeeded, %d records", j.Records)
	case j.Failed > 0 && j.Failed < j.Records:
		return fmt.Sprintf("%s (%s), %d of %d records failed", j.State, j.Error, j.Failed, j.Records)
	}
	return fmt.Sprintf("%s (%s), nothing imported", j.State, j.Error)
}

func (m Mappings) planOne(ctx context.Context, env *plan.Env, key string, mp model.ProfileMapping) (plan.ObjectChange, error) {
	sp := m.SharePoint
	src := newSource(mp)
	o, err := Open(ctx, sp, env.Tenant, env.Configuration, key, mp, m.now())
	if err != nil {
		return plan.ObjectChange{}, err
	}
	lib, st := o.Library, o.State
	statePath := lib.Path(StateName(env.Configuration, key))
	imp := &plan.ProfileImport{AdminURL: mp.SharePoint.AdminURL, Site: mp.SharePoint.Site, DriveID: lib.DriveID, Folder: mp.SharePoint.Folder,
		StatePath: statePath, IDType: mp.IDType, IDProperty: mp.IDProperty, Properties: map[string]string{}, Mode: mp.Mode, Scope: src.scope()}
	for prop, attr := range mp.Properties {
		imp.Properties[attr] = prop
	}
	if len(imp.Properties) != len(mp.Properties) {
		return plan.ObjectChange{}, errors.New("two SharePoint properties map the same Entra attribute; the import file can carry an attribute once")
	}
	if err := Check(imp); err != nil {
		return plan.ObjectChange{}, err
	}
	users, all, err := m.read(ctx, env, src, st, imp)
	if err != nil {
		return plan.ObjectChange{}, err
	}
	rows(imp, src, users, st, all, env.Options.Full)
	c := plan.ObjectChange{Action: plan.NoOp, Name: mp.SharePoint.Site + " " + mp.SharePoint.Folder, Import: imp, Notes: o.Notes,
		Reads: []plan.DocumentRead{plan.Read(entra.DriveItemPath(lib.DriveID, statePath), o.Meta, "eTag")}}
	switch {
	case len(imp.Rows) > 0:
		c.Action = plan.Update
	case all && imp.DeltaLink != "":
		// Nothing to import, but without recording the new link every
		// plan would read every user again.
		c.Action = plan.Update
	}
	if imp.ModeReason == expiredReason {
		c.Notes = append(c.Notes, "the stored delta link expired (Graph answered 410 Gone), so this plan read every user in scope; apply records a new link")
	}
	return c, nil
}

const expiredReason = "the stored delta link expired: every user in scope is read"

// read reads the users the plan compares, and says whether they are
// every user in scope (a full read) or only those changed since the
// stored delta link. It sets the import's mode, reason and next link.
func (m Mappings) read(ctx context.Context, env *plan.Env, src source, st *State, imp *plan.ProfileImport) ([]entra.Document, bool, error) {
	sp, mp := m.SharePoint, src.mapping
	reason := ""
	switch {
	case env.Options.Full:
		reason = "--full: every user in scope is read and re-imported"
	case mp.Mode == model.ModeFull:
		reason = "mode full: every user in scope is read, and all are re-imported when any changed"
	case st == nil:
		reason = "first import: every user in scope is read"
	case st.Scope != src.scope():
		reason = "the mapping's users, idType or attributes changed since the last import: every user in scope is read"
	case st.DeltaLink == "":
		reason = "no delta link recorded (the last import did not succeed in full): every user in scope is read"
	}
	if reason == "" {
		changed, link, err := sp.UserChanges(ctx, src.selectList(), st.DeltaLink)
		switch {
		case errors.Is(err, entra.ErrDeltaExpired):
			reason = expiredReason
		case err != nil:
			return nil, false, err
		default:
			imp.Mode, imp.DeltaLink = model.ModeIncremental, link
			imp.ModeReason = "incremental: the users changed since the last import"
			if st.Last != nil {
				imp.ModeReason = "incremental: the users changed since the import of " + st.Last.QueuedAt.UTC().Format(time.RFC3339)
			}
			users, err := m.inScope(ctx, changed, imp, mp.Users)
			return users, false, err
		}
	}
	imp.Mode, imp.ModeReason = model.ModeFull, reason
	if mp.Mode == model.ModeIncremental {
		// Sync from now first, then list: a change made during the listing
		// shows in the next delta instead of being lost.
		_, link, err := sp.UserChanges(ctx, src.selectList(), "latest")
		if err != nil {
			return nil, false, err
		}
		imp.DeltaLink = link
	}
	users, err := sp.Users(ctx, mp.Users, nil, src.selectList())
	return users, true, err
}

// inScope keeps the changed users the mapping's filter selects (Graph's
// delta cannot filter but by id), and lists the deleted ones to forget.
func (m Mappings) inScope(ctx context.Context, changed []entra.Document, imp *plan.ProfileImport, filter string) ([]entra.Document, error) {
	last := map[string]entra.Document{} // delta may return a user twice; the last wins
	var order []string
	for _, u := range changed {
		id, _ := u["id"].(string)
		if id == "" {
			continue
		}
		if _, seen := last[id]; !seen {
			order = append(order, id)
		}
		last[id] = u
	}
	var ids []string
	for _, id := range order {
		if _, removed := last[id]["@removed"]; removed {
			imp.Forget = append(imp.Forget, id)
			continue
		}
		ids = append(ids, id)
	}
	if filter == "" || len(ids) == 0 {
		out := make([]entra.Document, len(ids))
		for i, id := range ids {
			out[i] = last[id]
		}
		return out, nil
	}
	selected, err := m.SharePoint.Users(ctx, filter, ids, []string{"id"})
	if err != nil {
		return nil, err
	}
	var out []entra.Document
	for _, s := range selected {
		if id, _ := s["id"].(string); last[id] != nil {
			out = append(out, last[id])
		}
	}
	return out, nil
}

// rows builds the import's records from the users read: every user
// whose values differ from the last import, or every user in scope when
// the plan re-imports all of them (force: --full).
func rows(imp *plan.ProfileImport, src source, users []entra.Document, st *State, all, force bool) {
	imp.UsersRead = len(users)
	var candidates []plan.ProfileRow
	for _, u := range users {
		id, _ := u["id"].(string)
		name, _ := u["userPrincipalName"].(string)
		identity := identityOf(u, imp.IDType)
		if identity == "" {
			imp.Unresolvable = append(imp.Unresolvable, name)
			continue
		}
		row := plan.ProfileRow{UserID: id, Name: name, Identity: identity, Values: map[string]string{}}
		for _, a := range src.attrs {
			v, why := value(u, a)
			if why != "" {
				imp.Refused = append(imp.Refused, plan.RefusedValue{User: name, Attribute: a, Why: why})
				continue
			}
			row.Values[a] = v
		}
		if st != nil && st.Values[id] != nil {
			row.Before = map[string]string{}
			for _, a := range src.attrs {
				if v, ok := st.Values[id][a]; ok {
					row.Before[a] = v
				}
			}
		}
		candidates = append(candidates, row)
	}
	reimportAll := force
	for _, r := range candidates {
		if len(r.Changed()) > 0 {
			reimportAll = reimportAll || all && src.mapping.Mode == model.ModeFull
			break
		}
	}
	for _, r := range candidates {
		changed := r.Changed()
		switch {
		case reimportAll:
			imp.Rows = append(imp.Rows, r)
		case len(changed) > 0:
			// Only what changed: a value someone set in SharePoint since
			// is not overwritten with one that did not change in Entra.
			vals := map[string]string{}
			for _, a := range changed {
				vals[a] = r.Values[a]
			}
			r.Values = vals
			imp.Rows = append(imp.Rows, r)
		}
	}
	slices.SortFunc(imp.Rows, func(a, b plan.ProfileRow) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.UserID, b.UserID))
	})
	slices.Sort(imp.Unresolvable)
}

// identityOf is the value that names a user's profile for the id type.
func identityOf(u entra.Document, idType string) string {
	prop := map[string]string{"CloudId": "id", "PrincipalName": "userPrincipalName", "Email": "mail"}[idType]
	s, _ := u[prop].(string)
	return s
}

// value is an attribute's value as the file carries it (a string), or
// why the bulk import cannot take it. An attribute the user has no value
// for is "": the import clears the property.
func value(u entra.Document, attr string) (string, string) {
	var v any
	for k, x := range u {
		if strings.EqualFold(k, attr) {
			v = x
		}
	}
	switch x := v.(type) {
	case nil:
		return "", ""
	case string:
		if n := utf8.RuneCountInString(x); n > maxValueRunes {
			return "", fmt.Sprintf("%d characters; a profile property holds at most %d", n, maxValueRunes)
		}
		return x, ""
	case bool:
		return strconv.FormatBool(x), ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), ""
	case []any:
		if len(x) == 0 {
			return "", ""
		}
		return "", fmt.Sprintf("multi-valued (%d values); the bulk import takes one string", len(x))
	}
	return "", "a structured value; the bulk import takes one string"
}
