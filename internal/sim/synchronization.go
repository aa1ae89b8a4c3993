package sim

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cross-tenant synchronization on the source tenant (Graph v1.0:
// applicationTemplate-instantiate, synchronization-synchronization-post-jobs,
// synchronization-synchronizationjob-start/-pause/-restart/-get/-delete,
// synchronization-synchronizationjob-validatecredentials,
// synchronization-serviceprincipal-put-synchronization (secrets),
// synchronization-synchronizationschema-get/-update,
// synchronization-synchronization-list-templates,
// synchronization-synchronizationtemplate-get,
// synchronization-synchronizationjob-provisionondemand; and the Entra guide
// "Configure cross-tenant synchronization using Microsoft Graph", whose
// responses these follow).

// CrossTenantSyncTemplate is the application template of cross-tenant
// synchronization configuration apps.
const CrossTenantSyncTemplate = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"

// NonGalleryTemplate is the template of an application outside the
// gallery, which the instantiate page's example uses.
const NonGalleryTemplate = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"

// Synchronization is a service principal's provisioning: its secrets and
// jobs.
type Synchronization struct {
	Secrets map[string]string `json:"secrets,omitempty"`
	Jobs    []*SyncJob        `json:"jobs,omitempty"`
}

// SyncJob is a synchronization job and its run history, which advances on
// the emulator's clock.
type SyncJob struct {
	ID         string `json:"id"`
	TemplateID string `json:"templateId"`
	Interval   string `json:"interval"`
	State      string `json:"state"` // Disabled, Active, Paused
	Code       string `json:"code"`  // NotConfigured, NotRun, Active, Paused, Quarantine
	// Schema is the job's schema; a state file may leave it out for the
	// template's.
	Schema map[string]any `json:"schema"`
	// Started is when the job last started; Runs counts completed cycles.
	Started       time.Time      `json:"started,omitzero"`
	Runs          int            `json:"runs,omitempty"`
	LastExecution map[string]any `json:"lastExecution,omitempty"`
}

func (s *Server) routeSynchronization() {
	s.mux.HandleFunc("POST /v1.0/applicationTemplates/{template}/instantiate", s.instantiate)
	base := "/v1.0/servicePrincipals/{id}/synchronization"
	s.mux.HandleFunc("PUT "+base+"/secrets", s.putSecrets)
	s.mux.HandleFunc("GET "+base+"/templates", s.listSyncTemplates)
	s.mux.HandleFunc("GET "+base+"/templates/{template}", s.getSyncTemplate)
	s.mux.HandleFunc("GET "+base+"/templates/{template}/schema", s.templateSchema)
	s.mux.HandleFunc("GET "+base+"/jobs", s.listJobs)
	s.mux.HandleFunc("POST "+base+"/jobs", s.createJob)
	s.mux.HandleFunc("POST "+base+"/jobs/validateCredentials", s.validateCredentials)
	s.mux.HandleFunc("GET "+base+"/jobs/{job}", s.getJob)
	s.mux.HandleFunc("DELETE "+base+"/jobs/{job}", s.deleteJob)
	s.mux.HandleFunc("POST "+base+"/jobs/{job}/validateCredentials", s.validateCredentials)
	s.mux.HandleFunc("POST "+base+"/jobs/{job}/start", s.jobControl("start"))
	s.mux.HandleFunc("POST "+base+"/jobs/{job}/pause", s.jobControl("pause"))
	s.mux.HandleFunc("POST "+base+"/jobs/{job}/restart", s.jobControl("restart"))
	s.mux.HandleFunc("GET "+base+"/jobs/{job}/schema", s.getSchema)
	s.mux.HandleFunc("PUT "+base+"/jobs/{job}/schema", s.putSchema)
	s.mux.HandleFunc("POST "+base+"/jobs/{job}/provisionOnDemand", s.provisionOnDemand)
}

// instantiate creates the application and its service principal; 201 with
// both. The service principal replicates like any new object.
func (s *Server) instantiate(w http.ResponseWriter, r *http.Request) {
	template := strings.ToLower(r.PathValue("template"))
	if template != CrossTenantSyncTemplate && template != NonGalleryTemplate {
		notFound(w, r, r.PathValue("template"))
		return
	}
	var in struct {
		DisplayName string `json:"displayName"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.DisplayName == "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'displayName'.")
		return
	}
	appID, objectID := newID(), newID()
	// Both kinds of enterprise application get the msiam_access role;
	// only the cross-tenant one provisions.
	sp := &ServicePrincipal{ID: newID(), AppID: appID, DisplayName: in.DisplayName, TemplateID: template,
		AppRoleID: newID(), Tags: []string{"WindowsAzureActiveDirectoryIntegratedApp"}}
	if template == CrossTenantSyncTemplate {
		sp.Synchronization = &Synchronization{}
	}
	s.t.sps[lower(sp.ID)] = sp
	s.t.created[lower(sp.ID)] = s.opts.Now()
	writeJSON(w, http.StatusCreated, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.applicationServicePrincipal",
		"application": map[string]any{"id": objectID, "appId": appID, "displayName": in.DisplayName,
			"applicationTemplateId": template, "createdDateTime": s.opts.Now().UTC().Format(time.RFC3339Nano),
			"signInAudience": "AzureADMyOrg", "identifierUris": []any{}, "tags": []any{}, "publisherDomain": s.t.initialDomain()},
		"servicePrincipal": sp.props(),
	})
}

// syncSP is {id} with its synchronization state.
func (s *Server) syncSP(w http.ResponseWriter, r *http.Request) (*ServicePrincipal, bool) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return nil, false
	}
	if sp.Synchronization == nil {
		sp.Synchronization = &Synchronization{}
	}
	return sp, true
}

// secretKeys are the synchronizationSecret members a client may save.
var secretKeys = []string{"None", "UserName", "Password", "SecretToken", "AppKey", "BaseAddress", "ClientIdentifier",
	"ClientSecret", "SingleSignOnType", "Sandbox", "Url", "Domain", "ConsumerKey", "ConsumerSecret", "TokenKey",
	"TokenExpiration", "SyncAll", "InstanceName", "CompanyId", "UpdateKeyOnSoftDelete", "SynchronizationSchedule",
	"SystemOfRecord", "SandboxName", "EnforceDomain", "SyncNotificationSettings", "SkipOutOfScopeDeletions",
	"ApplicationTemplateIdentifier", "AuthenticationType", "Server", "PerformInboundEntitlementGrants",
	"HardDeletesEnabled", "SyncAgentCompatibilityKey", "SyncAgentADContainer", "ValidateDomain", "TestReferences",
	"ConnectionString"}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// putSecrets is PUT .../synchronization/secrets {"value":[{key,value}]}:
// 204; the secrets given replace those saved.
func (s *Server) putSecrets(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return
	}
	var in struct {
		Value []keyValue `json:"value"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	secrets := map[string]string{}
	for _, kv := range in.Value {
		if !slices.Contains(secretKeys, kv.Key) {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Requested value '"+kv.Key+"' was not found.")
			return
		}
		secrets[kv.Key] = kv.Value
	}
	sp.Synchronization.Secrets = secrets
	w.WriteHeader(http.StatusNoContent)
}

// syncTemplates are the synchronization templates of a service principal:
// Azure2Azure for a cross-tenant synchronization app, none for others.
// Both the List and the Get page show each template with its schema
// inline, though the resource lists schema as a relationship; the
// emulator answers as the examples do.
func (s *Server) syncTemplates(sp *ServicePrincipal) []map[string]any {
	if sp.TemplateID != CrossTenantSyncTemplate {
		return nil
	}
	schema := azure2AzureSchema("")
	return []map[string]any{{"id": "Azure2Azure", "applicationId": sp.AppID, "factoryTag": "Azure2Azure", "default": true,
		"discoverable": true, "description": "Cross-tenant synchronization", "metadata": []any{}, "schema": schema}}
}

func (s *Server) listSyncTemplates(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + sp.ID + "')/synchronization/templates",
		"value":          append([]map[string]any{}, s.syncTemplates(sp)...)})
}

// syncTemplate is {template} of {id}, or a 404 answered.
func (s *Server) syncTemplate(w http.ResponseWriter, r *http.Request) (*ServicePrincipal, map[string]any, bool) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return nil, nil, false
	}
	id := r.PathValue("template")
	for _, t := range s.syncTemplates(sp) {
		if t["id"] == id {
			return sp, t, true
		}
	}
	notFound(w, r, id)
	return nil, nil, false
}

func (s *Server) getSyncTemplate(w http.ResponseWriter, r *http.Request) {
	if sp, t, ok := s.syncTemplate(w, r); ok {
		t["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + sp.ID + "')/synchronization/templates/$entity"
		writeJSON(w, http.StatusOK, t)
	}
}

// templateSchema is GET .../templates/{id}/schema: the schema new jobs of
// the template start from.
func (s *Server) templateSchema(w http.ResponseWriter, r *http.Request) {
	if sp, t, ok := s.syncTemplate(w, r); ok {
		schema := t["schema"].(map[string]any)
		schema["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + sp.ID + "')/synchronization/templates('" + t["id"].(string) + "')/schema/$entity"
		writeJSON(w, http.StatusOK, schema)
	}
}

// validateCredentials is 204 when the credentials name a target tenant
// and the SyncPolicy authentication cross-tenant sync uses; a partner
// tenant that does not allow inbound sync is Graph's concern, not emulated.
func (s *Server) validateCredentials(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return
	}
	var in struct {
		UseSavedCredentials bool       `json:"useSavedCredentials"`
		Credentials         []keyValue `json:"credentials"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	creds := map[string]string{}
	for _, kv := range in.Credentials {
		creds[kv.Key] = kv.Value
	}
	if in.UseSavedCredentials {
		creds = sp.Synchronization.Secrets
	}
	if !isGUID(creds["CompanyId"]) || creds["AuthenticationType"] != "SyncPolicy" {
		writeError(w, r, http.StatusBadRequest, "CredentialValidationUnavailable",
			"The credentials need CompanyId (the target tenant id) and AuthenticationType SyncPolicy.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// createJob is POST .../jobs {"templateId":…}: 201, created disabled with
// interval PT40M (the Entra guide's response).
func (s *Server) createJob(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return
	}
	var in struct {
		TemplateID string `json:"templateId"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.TemplateID != "Azure2Azure" || sp.TemplateID != CrossTenantSyncTemplate {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The template '"+in.TemplateID+"' does not exist for this service principal.")
		return
	}
	id := "Azure2Azure." + strings.ReplaceAll(newID(), "-", "")[:32] + "." + strings.ReplaceAll(sp.ID, "-", "")
	job := &SyncJob{ID: id, TemplateID: in.TemplateID, Interval: "PT40M", State: "Disabled", Code: "Paused", Schema: azure2AzureSchema(id)}
	sp.Synchronization.Jobs = append(sp.Synchronization.Jobs, job)
	body := s.jobBody(job)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + sp.ID + "')/synchronization/jobs/$entity"
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) (*ServicePrincipal, *SyncJob, bool) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return nil, nil, false
	}
	id := r.PathValue("job")
	for _, j := range sp.Synchronization.Jobs {
		if j.ID == id {
			s.advance(sp, j)
			if j.Schema == nil {
				j.Schema = azure2AzureSchema(j.ID)
			}
			return sp, j, true
		}
	}
	notFound(w, r, id)
	return nil, nil, false
}

var durationPattern = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

func parseInterval(iso string) time.Duration {
	m := durationPattern.FindStringSubmatch(iso)
	if m == nil {
		return 40 * time.Minute
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if n, err := strconv.Atoi(m[i+1]); err == nil {
			d += time.Duration(n) * unit
		}
	}
	return max(d, time.Minute)
}

// advance completes the cycles an active job has run since it started:
// the first cycle ends one minute after start, then one per interval. A
// cycle exports every user assigned directly or through a group.
func (s *Server) advance(sp *ServicePrincipal, j *SyncJob) {
	if j.State != "Active" || j.Started.IsZero() {
		return
	}
	elapsed := s.opts.Now().Sub(j.Started)
	if elapsed < time.Minute {
		return
	}
	runs := 1 + int((elapsed-time.Minute)/parseInterval(j.Interval))
	if runs == j.Runs {
		return
	}
	j.Runs, j.Code = runs, "Active"
	users := map[string]bool{}
	for _, a := range sp.Assignments {
		if a.PrincipalType == "User" {
			users[a.PrincipalID] = true
		} else if g := s.t.groups[a.PrincipalID]; g != nil {
			for id := range g.members {
				if s.t.users[id] != nil {
					users[id] = true
				}
			}
		}
	}
	ended := j.Started.Add(time.Minute + time.Duration(runs-1)*parseInterval(j.Interval)).UTC()
	j.LastExecution = map[string]any{"state": "Succeeded", "countEntitled": len(users), "countExported": len(users),
		"countImported": len(users), "countEscrowed": 0, "timeBegan": ended.Add(-30 * time.Second).Format(time.RFC3339),
		"timeEnded": ended.Format(time.RFC3339), "error": nil, "activityIdentifier": fmt.Sprintf("run-%d", runs)}
}

func (s *Server) jobBody(j *SyncJob) map[string]any {
	var last any
	if j.LastExecution != nil {
		last = j.LastExecution
	}
	return map[string]any{"id": j.ID, "templateId": j.TemplateID,
		"schedule": map[string]any{"expiration": nil, "interval": j.Interval, "state": j.State},
		"status": map[string]any{"code": j.Code, "countSuccessiveCompleteFailures": 0, "escrowsPruned": false,
			"lastExecution": last, "lastSuccessfulExecution": last, "lastSuccessfulExecutionWithExports": last,
			"quarantine": nil, "progress": []any{}, "synchronizedEntryCountByType": []any{}, "troubleshootingUrl": nil,
			// A job that never reached steady state shows the zero time
			// (Get synchronizationJob's response).
			"steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z", "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z"},
		"synchronizationJobSettings": []any{map[string]any{"name": "AzureIngestionAttributeOptimization", "value": "False"},
			map[string]any{"name": "LookaheadQueryEnabled", "value": "False"}}}
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.syncSP(w, r)
	if !ok {
		return
	}
	items := []map[string]any{}
	for _, j := range sp.Synchronization.Jobs {
		s.advance(sp, j)
		items = append(items, s.jobBody(j))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + sp.ID + "')/synchronization/jobs",
		"value":          items})
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	if _, j, ok := s.job(w, r); ok {
		writeJSON(w, http.StatusOK, s.jobBody(j))
	}
}

func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request) {
	sp, j, ok := s.job(w, r)
	if ok {
		sp.Synchronization.Jobs = slices.DeleteFunc(sp.Synchronization.Jobs, func(x *SyncJob) bool { return x == j })
		w.WriteHeader(http.StatusNoContent)
	}
}

// jobControl is start, pause and restart: 204. Start needs saved
// credentials; pause keeps the watermark, so start resumes.
func (s *Server) jobControl(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sp, j, ok := s.job(w, r)
		if !ok {
			return
		}
		switch action {
		case "start":
			if !isGUID(sp.Synchronization.Secrets["CompanyId"]) {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The job cannot start: no credentials are saved.")
				return
			}
			if j.State != "Active" {
				j.State, j.Started, j.Runs = "Active", s.opts.Now(), 0
				if j.LastExecution == nil {
					j.Code = "NotRun"
				} else {
					j.Code = "Active"
				}
			}
		case "pause":
			j.State, j.Code = "Paused", "Paused"
		case "restart":
			j.LastExecution, j.Runs = nil, 0
			if j.State == "Active" {
				j.Started, j.Code = s.opts.Now(), "NotRun"
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) getSchema(w http.ResponseWriter, r *http.Request) {
	if _, j, ok := s.job(w, r); ok {
		writeJSON(w, http.StatusOK, j.Schema)
	}
}

// putSchema replaces the whole schema: 204. Rules it leaves out are gone,
// which is why a client reads the schema and writes it back whole.
func (s *Server) putSchema(w http.ResponseWriter, r *http.Request) {
	_, j, ok := s.job(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	rules, ok := in["synchronizationRules"].([]any)
	if !ok {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The schema has no synchronizationRules.")
		return
	}
	// A rule flows from one of the schema's directories to another; a
	// schema written back without a directory its rules name is broken.
	directories := map[string]bool{}
	listed, _ := in["directories"].([]any)
	for _, d := range listed {
		if dir, ok := d.(map[string]any); ok {
			name, _ := dir["name"].(string)
			directories[name] = true
		}
	}
	for _, rr := range rules {
		rule, _ := rr.(map[string]any)
		for _, end := range []string{"sourceDirectoryName", "targetDirectoryName"} {
			if name, _ := rule[end].(string); !directories[name] {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("A synchronization rule's %s '%s' is not among the schema's directories.", end, name))
				return
			}
		}
	}
	delete(in, "@odata.context")
	in["id"] = j.ID
	j.Schema = in
	w.WriteHeader(http.StatusNoContent)
}

// provisionOnDemand provisions one user now: 200 with the steps as a JSON
// string in value. The answer takes the shape the cross-tenant
// synchronization guide shows (key names the status type, value is a list
// of runs); the provisionOnDemand reference page shows another (key holds
// the result, value one run), which entrasync reads as well.
func (s *Server) provisionOnDemand(w http.ResponseWriter, r *http.Request) {
	sp, j, ok := s.job(w, r)
	if !ok {
		return
	}
	var in struct {
		Parameters []struct {
			RuleID   string `json:"ruleId"`
			Subjects []struct {
				ObjectID       string `json:"objectId"`
				ObjectTypeName string `json:"objectTypeName"`
			} `json:"subjects"`
		} `json:"parameters"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if len(in.Parameters) != 1 || len(in.Parameters[0].Subjects) != 1 {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Provision on demand takes one rule and one subject.")
		return
	}
	// The rule must be one of the job's schema, and the subject of a type
	// its object mappings provision: Azure2Azure provisions users only.
	rule, subject := in.Parameters[0].RuleID, in.Parameters[0].Subjects[0]
	if !slices.Contains(schemaRuleIDs(j.Schema), rule) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The job's schema has no synchronization rule '"+rule+"'.")
		return
	}
	if !strings.EqualFold(subject.ObjectTypeName, "User") {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The rule '"+rule+"' does not provision objects of type '"+subject.ObjectTypeName+"'.")
		return
	}
	id := lower(subject.ObjectID)
	u := s.t.users[id]
	if u == nil {
		notFound(w, r, id)
		return
	}
	assigned := slices.ContainsFunc(sp.Assignments, func(a AppRoleAssignment) bool {
		g := s.t.groups[a.PrincipalID]
		return a.PrincipalID == id || (g != nil && slices.Contains(s.memberIDs(g), id))
	})
	scope := map[string]any{"name": "EntryImport", "type": "Import", "status": "Success", "description": "Retrieved " + u.UserPrincipalName + " from the source system."}
	decision := map[string]any{"name": "EntrySynchronizationScoping", "type": "Scoping", "status": "Success",
		"description": "The user is in scope (assigned to the application)."}
	export := map[string]any{"name": "EntryExportAdd", "type": "Export", "status": "Success", "description": "The user was created in the target tenant."}
	steps := []any{scope, decision, export}
	if !assigned {
		decision["status"], decision["description"] = "Skipped", "The user is not assigned to the application, so it is out of scope."
		steps = steps[:2]
	}
	data, _ := json.Marshal([]any{map[string]any{"provisioningSteps": steps}})
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
		"key": "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo", "value": string(data)})
}

// schemaRuleIDs are the ids of a schema's synchronization rules.
func schemaRuleIDs(schema map[string]any) []string {
	var ids []string
	rules, _ := schema["synchronizationRules"].([]any)
	for _, r := range rules {
		if rule, ok := r.(map[string]any); ok {
			if id, ok := rule["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// azure2AzureJSON is the Azure2Azure template schema, shaped as the
// synchronizationSchema resource and the Entra guide's GET .../schema
// response: one rule, one User→User object mapping with its attribute
// mappings, no scoping filter.
//
//go:embed azure2azure.json
var azure2AzureJSON []byte

// azure2AzureSchema is a fresh copy of the template schema for a job.
func azure2AzureSchema(jobID string) map[string]any {
	var schema map[string]any
	if err := json.Unmarshal(azure2AzureJSON, &schema); err != nil {
		panic("sim: azure2azure.json: " + err.Error())
	}
	if jobID != "" {
		schema["id"] = jobID
	}
	return schema
}
