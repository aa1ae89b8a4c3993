package export

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/syncschema"
)

// SyncJob is one cross-tenant synchronization job, as a configuration
// declares it.
type SyncJob struct {
	// App is the configuration app's service principal; Job its job.
	App, Job entra.Document
	// Key is the key this configuration's record gives it, or "".
	Key string
	// Target is the tenant the job provisions into.
	Target string
	// Assigned are who is assigned to the app (appRoleAssignment).
	Assigned []entra.Document
	// Overrides are the job's mapping overrides of its template.
	Overrides syncschema.Overrides
}

// jobReader follows the configuration apps through the reads.
type jobReader struct {
	own      *plan.Ownership
	existing *model.Desired
	targets  map[string]string
	p        *Policies
	// apps to export; each read's documents by path.
	apps []SyncJob
	// schemaOf maps each kept job to its schema's and its template
	// schema's paths.
	schemaOf map[string][2]string
}

func (j *jobReader) skip(app entra.Document, why string) {
	j.p.Skipped = append(j.p.Skipped, fmt.Sprintf("skipped synchronization job app %s (%s): %s",
		strconv.Quote(str(app["displayName"])), str(app["id"]), why))
}

func str(v any) string { s, _ := v.(string); return s }

// keepApps keeps the configuration apps to export and returns what to
// read of each: its jobs and who is assigned to it.
func (j *jobReader) keepApps(apps []entra.Document) []string {
	declared := map[string]bool{}
	if d := j.existing; d != nil {
		for key, job := range d.CrossTenant.SyncJobs {
			if c, ok := j.own.ClaimedKey(crosstenant.ClaimSyncJob, key); ok {
				declared[strings.ToLower(c.ID)] = true
			}
			if id, ok := strings.CutPrefix(job.Adopt, "id:"); ok {
				declared[strings.ToLower(id)] = true
			}
		}
	}
	slices.SortFunc(apps, func(a, b entra.Document) int { return strings.Compare(str(a["id"]), str(b["id"])) })
	listed := map[string]bool{}
	for _, app := range apps {
		listed[strings.ToLower(str(app["id"]))] = true
	}
	for _, sp := range slices.Sorted(maps.Keys(j.targets)) {
		if !listed[sp] {
			j.p.Skipped = append(j.p.Skipped, fmt.Sprintf("--sync-target %s names no cross-tenant synchronization configuration app of the tenant", sp))
		}
	}
	var paths []string
	for _, app := range apps {
		id := strings.ToLower(str(app["id"]))
		if owner := j.own.ForeignOwner(crosstenant.ClaimSyncJob, id); owner != "" {
			j.skip(app, fmt.Sprintf("managed by configuration %q", owner))
			continue
		}
		if declared[id] {
			j.skip(app, "the configuration already declares it")
			continue
		}
		target := j.targets[id]
		for _, t := range slice(app["tags"]) {
			if v, ok := strings.CutPrefix(str(t), crosstenant.TargetTag); ok && target == "" {
				target = strings.ToLower(v)
			}
		}
		if target == "" {
			j.skip(app, "its target tenant is not recorded on it (Graph never returns a job's saved credentials); name it with --sync-target "+id+"=<tenant id>, and the first apply saves the credentials again and records it")
			continue
		}
		claim, _ := j.own.Claimed(crosstenant.ClaimSyncJob, id)
		j.apps = append(j.apps, SyncJob{App: app, Key: claim.Key, Target: target})
		paths = append(paths, crosstenant.JobsPath(id), crosstenant.AssignmentsPath(id))
	}
	return paths
}

func slice(v any) []any { l, _ := v.([]any); return l }

// duration is the schema's #Duration: an ISO 8601 duration.
var duration = regexp.MustCompile(`^P(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?$`)

// keepJobs keeps the apps whose job and assignments a configuration can
// declare and returns the schemas to read: each job's, and once each
// template's.
func (j *jobReader) keepJobs(docs map[string]entra.Document) []string {
	var paths []string
	templates := map[string]string{}
	j.schemaOf = map[string][2]string{}
	kept := j.apps[:0]
	for _, a := range j.apps {
		id := strings.ToLower(str(a.App["id"]))
		jobs := items(docs[crosstenant.JobsPath(id)])
		if len(jobs) == 0 {
			j.skip(a.App, "it has no synchronization job")
			continue
		}
		a.Job = jobs[0]
		a.Assigned = items(docs[crosstenant.AssignmentsPath(id)])
		if why := undeclarable(a); why != "" {
			j.skip(a.App, why)
			continue
		}
		template := str(a.Job["templateId"])
		if templates[template] == "" {
			templates[template] = crosstenant.TemplateSchemaPath(id, template)
			paths = append(paths, templates[template])
		}
		schema := crosstenant.SchemaPath(id, str(a.Job["id"]))
		paths = append(paths, schema)
		j.schemaOf[id] = [2]string{schema, templates[template]}
		kept = append(kept, a)
	}
	j.apps = kept
	return paths
}

// undeclarable says why a job cannot be declared as it is, or "".
func undeclarable(a SyncJob) string {
	sched, _ := a.Job["schedule"].(map[string]any)
	switch state := str(sched["state"]); {
	case !slices.Contains([]string{"Active", "Paused", "Disabled"}, state):
		return fmt.Sprintf("its schedule state %q is not one a configuration declares", state)
	case !duration.MatchString(str(sched["interval"])):
		return fmt.Sprintf("its interval %q is not an ISO 8601 duration a configuration declares", str(sched["interval"]))
	case len(str(a.App["displayName"])) == 0:
		return "it has no displayName"
	}
	for _, as := range a.Assigned {
		if t := str(as["principalType"]); t != "User" && t != "Group" {
			return fmt.Sprintf("%s %s is assigned to it, and a configuration assigns only users and groups", t, str(as["principalId"]))
		}
	}
	return ""
}

// declare reads each job's overrides from its schema and its template's.
func (j *jobReader) declare(schemas map[string]entra.Document) {
	for _, a := range j.apps {
		paths := j.schemaOf[strings.ToLower(str(a.App["id"]))]
		live, template := schemas[paths[0]], schemas[paths[1]]
		if live == nil || template == nil {
			j.skip(a.App, "its job's schema or its template's could not be read")
			continue
		}
		o, err := syncschema.Differences(template, live)
		if err != nil {
			j.skip(a.App, err.Error())
			continue
		}
		a.Overrides = o
		j.p.Jobs = append(j.p.Jobs, a)
	}
}

// renderJobs writes crossTenant.syncJobs.
func renderJobs(b *bytes.Buffer, jobs []SyncJob, taken map[string]bool, groupKey func(string) (string, bool)) {
	keys := uniqueKeys(jobs, func(a SyncJob) string { return str(a.App["id"]) }, func(a SyncJob) string { return a.Key },
		func(a SyncJob) string { return str(a.App["displayName"]) }, "job", taken)
	order := slices.Clone(jobs)
	slices.SortFunc(order, func(a, c SyncJob) int { return strings.Compare(keys[str(a.App["id"])], keys[str(c.App["id"])]) })
	b.WriteString("syncJobs: {\n")
	for _, a := range order {
		sched, _ := a.Job["schedule"].(map[string]any)
		fmt.Fprintf(b, "%s: {\ndisplayName: %s\nadopt: %s\ntargetTenantId: %s\ntemplateId: %s\n",
			label(keys[str(a.App["id"])]), quote(str(a.App["displayName"])), quote("id:"+str(a.App["id"])),
			quote(a.Target), quote(str(a.Job["templateId"])))
		fmt.Fprintf(b, "schedule: {interval: %s, state: %s}\n", quote(str(sched["interval"])), quote(str(sched["state"])))
		var groups, users []ref
		for _, as := range a.Assigned {
			id, name := str(as["principalId"]), str(as["principalDisplayName"])
			if str(as["principalType"]) == "User" {
				users = append(users, ref{ref: "id:" + id, comment: strconv.Quote(name)})
			} else if k, ok := groupKey(id); ok {
				groups = append(groups, ref{ref: k})
			} else {
				groups = append(groups, ref{ref: "id:" + id, comment: strconv.Quote(name)})
			}
		}
		b.WriteString("scope: {\n")
		refList(b, "groups", sortRefs(groups))
		refList(b, "users", sortRefs(users))
		b.WriteString("}\n")
		renderFilter(b, a.Overrides.ScopeFilter)
		renderMappings(b, a.Overrides.AttributeMappings)
		b.WriteString("}\n")
	}
	b.WriteString("}\n")
}

// refList writes a list of references, "[]" when empty.
func refList(b *bytes.Buffer, name string, refs []ref) {
	if len(refs) == 0 {
		fmt.Fprintf(b, "%s: []\n", name)
		return
	}
	list(b, name, refs)
}

func renderFilter(b *bytes.Buffer, groups []model.FilterGroup) {
	if len(groups) == 0 {
		b.WriteString("scopeFilter: []\n")
		return
	}
	b.WriteString("scopeFilter: [\n")
	for _, g := range groups {
		fmt.Fprintf(b, "{\nname: %s\nclauses: [\n", quote(g.Name))
		for _, c := range g.Clauses {
			vals := make([]string, len(c.Values))
			for i, v := range c.Values {
				vals[i] = quote(v)
			}
			fmt.Fprintf(b, "{sourceOperandName: %s, operatorName: %s, values: [%s]},\n",
				quote(c.SourceOperandName), quote(c.OperatorName), strings.Join(vals, ", "))
		}
		b.WriteString("]\n},\n")
	}
	b.WriteString("]\n")
}

func renderMappings(b *bytes.Buffer, mappings map[string]model.AttributeMapping) {
	if len(mappings) == 0 {
		b.WriteString("// Every attribute mapping is the template's.\nattributeMappings: {}\n")
		return
	}
	b.WriteString("// Where the mappings differ from the template's.\nattributeMappings: {\n")
	for _, target := range model.SortedKeys(mappings) {
		m := mappings[target]
		if m.Remove {
			fmt.Fprintf(b, "%s: remove: true\n", label(target))
			continue
		}
		fmt.Fprintf(b, "%s: {source: %s, type: %s, flowType: %s, matchingPriority: %d",
			label(target), quote(m.Source), quote(m.Type), quote(m.FlowType), m.MatchingPriority)
		if m.DefaultValue != "" {
			fmt.Fprintf(b, ", defaultValue: %s", quote(m.DefaultValue))
		}
		b.WriteString("}\n")
	}
	b.WriteString("}\n")
}
