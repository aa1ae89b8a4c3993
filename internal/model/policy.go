package model

import (
	"encoding/json"
	"slices"
)

// The cross-tenant types below use Graph's own property names
// (crossTenantAccessPolicyConfigurationPartner and friends) so that a
// configuration reads like the Graph documentation. A nil pointer means
// "not declared": the partner inherits the tenant default for it.

// PolicySettings are the settings shared by the default policy and partners.
type PolicySettings struct {
	InboundTrust                 *InboundTrust       `json:"inboundTrust,omitempty"`
	AutomaticUserConsentSettings *ConsentSettings    `json:"automaticUserConsentSettings,omitempty"`
	B2BCollaborationInbound      *B2BSetting         `json:"b2bCollaborationInbound,omitempty"`
	B2BCollaborationOutbound     *B2BSetting         `json:"b2bCollaborationOutbound,omitempty"`
	B2BDirectConnectInbound      *B2BSetting         `json:"b2bDirectConnectInbound,omitempty"`
	B2BDirectConnectOutbound     *B2BSetting         `json:"b2bDirectConnectOutbound,omitempty"`
	TenantRestrictions           *TenantRestrictions `json:"tenantRestrictions,omitempty"`

	// Declared is the settings as written, as a JSON document: it keeps
	// what the typed fields cannot, an explicit null ("inherit the
	// default") apart from a setting left out ("leave it alone"). Set by
	// [AttachDeclared].
	Declared map[string]any `json:"-"`
}

// PolicySettingNames are the settings PolicySettings declares, in the
// order Graph documents them.
var PolicySettingNames = []string{"inboundTrust", "automaticUserConsentSettings", "b2bCollaborationInbound",
	"b2bCollaborationOutbound", "b2bDirectConnectInbound", "b2bDirectConnectOutbound", "tenantRestrictions"}

// AttachDeclared fills the Declared documents of the default policy and
// the partners from the configuration's JSON form.
func AttachDeclared(d *Desired, data []byte) error {
	var doc struct {
		CrossTenant struct {
			Default  map[string]any            `json:"default"`
			Partners map[string]map[string]any `json:"partners"`
		} `json:"crossTenant"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	pick := func(all map[string]any, names ...string) map[string]any {
		out := map[string]any{}
		for _, n := range names {
			if v, ok := all[n]; ok {
				out[n] = v
			}
		}
		return out
	}
	if d.CrossTenant.Default != nil {
		d.CrossTenant.Default.Declared = pick(doc.CrossTenant.Default, PolicySettingNames...)
	}
	for key, p := range d.CrossTenant.Partners {
		p.Declared = pick(doc.CrossTenant.Partners[key], append(slices.Clone(PolicySettingNames), "isServiceProvider")...)
		d.CrossTenant.Partners[key] = p
	}
	return nil
}

// InboundTrust says which claims from the partner's tenant are trusted.
type InboundTrust struct {
	IsMfaAccepted                       *bool `json:"isMfaAccepted,omitempty"`
	IsCompliantDeviceAccepted           *bool `json:"isCompliantDeviceAccepted,omitempty"`
	IsHybridAzureADJoinedDeviceAccepted *bool `json:"isHybridAzureADJoinedDeviceAccepted,omitempty"`
}

// ConsentSettings suppress consent prompts for cross-tenant sync.
type ConsentSettings struct {
	InboundAllowed  *bool `json:"inboundAllowed,omitempty"`
	OutboundAllowed *bool `json:"outboundAllowed,omitempty"`
}

// B2BSetting is crossTenantAccessPolicyB2BSetting.
type B2BSetting struct {
	UsersAndGroups *TargetConfiguration `json:"usersAndGroups,omitempty"`
	Applications   *TargetConfiguration `json:"applications,omitempty"`
}

// TargetConfiguration is crossTenantAccessPolicyTargetConfiguration.
type TargetConfiguration struct {
	AccessType string   `json:"accessType"`
	Targets    []Target `json:"targets"`
}

// Target is one crossTenantAccessPolicyTarget.
type Target struct {
	Target     string `json:"target"`
	TargetType string `json:"targetType"`
}

// TenantRestrictions is crossTenantAccessPolicyTenantRestrictions.
type TenantRestrictions struct {
	B2BSetting
	Devices *DevicesFilter `json:"devices,omitempty"`
}

// DevicesFilter is the devicesFilter complex type.
type DevicesFilter struct {
	Mode string `json:"mode"`
	Rule string `json:"rule"`
}

// Partner is a crossTenantAccessPolicyConfigurationPartner.
type Partner struct {
	PolicySettings
	TenantID                string                   `json:"tenantId"`
	IsServiceProvider       *bool                    `json:"isServiceProvider,omitempty"`
	IdentitySynchronization *IdentitySynchronization `json:"identitySynchronization,omitempty"`
	// Adopt takes over a partner configuration that exists and that no
	// configuration manages.
	Adopt bool `json:"adopt,omitempty"`
}

// IdentitySynchronization is crossTenantIdentitySyncPolicyPartner: whether
// users may be synchronized into this tenant from the partner.
type IdentitySynchronization struct {
	DisplayName     string          `json:"displayName"`
	UserSyncInbound UserSyncInbound `json:"userSyncInbound"`
}

// UserSyncInbound is crossTenantUserSyncInbound.
type UserSyncInbound struct {
	IsSyncAllowed bool `json:"isSyncAllowed"`
}

// SyncJob is a cross-tenant synchronization job on a configuration app.
type SyncJob struct {
	DisplayName       string                      `json:"displayName"`
	TargetTenantID    string                      `json:"targetTenantId"`
	TemplateID        string                      `json:"templateId"`
	Schedule          SyncSchedule                `json:"schedule"`
	Scope             SyncScope                   `json:"scope"`
	ScopeFilter       []FilterGroup               `json:"scopeFilter"`
	AttributeMappings map[string]AttributeMapping `json:"attributeMappings"`
	// Adopt is "id:<GUID>" of an existing configuration app's service
	// principal to take over.
	Adopt string `json:"adopt,omitempty"`
}

// SyncSchedule is synchronizationSchedule without expiration.
type SyncSchedule struct {
	Interval string `json:"interval"`
	State    string `json:"state"`
}

// SyncScope lists who is assigned to the configuration app.
type SyncScope struct {
	Groups []string `json:"groups"`
	Users  []string `json:"users"`
}

// FilterGroup is a provisioning scoping filter group: all clauses must hold.
type FilterGroup struct {
	Name    string         `json:"name"`
	Clauses []FilterClause `json:"clauses"`
}

// FilterClause is synchronization filterClause in a flatter shape.
type FilterClause struct {
	SourceOperandName string   `json:"sourceOperandName"`
	OperatorName      string   `json:"operatorName"`
	Values            []string `json:"values"`
}

// AttributeMapping overrides one target attribute of the template mapping.
type AttributeMapping struct {
	// Source is an attribute name ("mail"), an expression
	// ("Join(\"@\", [mailNickname], \"fabrikam.com\")") or a constant, per Type.
	Source           string `json:"source"`
	Type             string `json:"type"`
	FlowType         string `json:"flowType"`
	MatchingPriority int    `json:"matchingPriority"`
	DefaultValue     string `json:"defaultValue,omitempty"`
	// Remove deletes the template's mapping for this target attribute.
	Remove bool `json:"remove"`
}
