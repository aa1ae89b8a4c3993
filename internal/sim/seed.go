package sim

import (
	"fmt"
	mrand "math/rand/v2"
)

// SeedOptions size a generated tenant.
type SeedOptions struct {
	Users           int
	Groups          int
	MembersPerGroup int
	Devices         int
	Seed            uint64
	Domain          string
}

var (
	departments = []string{"Finance", "Sales", "Engineering", "HR", "Marketing", "Legal", "Support", "Operations"}
	jobTitles   = []string{"Analyst", "Engineer", "Manager", "Director", "Specialist", "IT Administrator"}
)

// Seed generates a deterministic tenant: the same options always give the
// same ids, names and memberships, so benchmarks and tests can rely on it.
func Seed(o SeedOptions) *State {
	if o.Domain == "" {
		o.Domain = "contoso.com"
	}
	rng := mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x5bd1e995))
	uuid := func() string {
		a, b := rng.Uint64(), rng.Uint64()
		// Version 4, variant 10, like Graph's object ids.
		a = a&^(0xf<<12) | 0x4<<12
		b = b&^(0x3<<62) | 0x2<<62
		return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
	}
	st := &State{TenantID: uuid(), Domain: o.Domain}
	for i := 0; i < o.Users; i++ {
		st.Users = append(st.Users, &User{
			ID: uuid(), UserPrincipalName: fmt.Sprintf("user%06d@%s", i, o.Domain),
			DisplayName: fmt.Sprintf("User %06d", i), Mail: fmt.Sprintf("user%06d@%s", i, o.Domain),
			MailNickname: fmt.Sprintf("user%06d", i), AccountEnabled: rng.IntN(20) != 0, UserType: "Member",
			Properties: map[string]any{
				"department": departments[rng.IntN(len(departments))],
				"jobTitle":   jobTitles[rng.IntN(len(jobTitles))],
			},
		})
	}
	for i := 0; i < o.Devices; i++ {
		st.Devices = append(st.Devices, &Device{ID: uuid(), DeviceID: uuid(), DisplayName: fmt.Sprintf("Device%05d", i),
			OperatingSystem: "Windows", AccountEnabled: true})
	}
	per := min(o.MembersPerGroup, o.Users)
	for i := 0; i < o.Groups; i++ {
		g := &Group{ID: uuid(), DisplayName: fmt.Sprintf("Group %05d", i), MailNickname: fmt.Sprintf("group%05d", i),
			SecurityEnabled: true, GroupTypes: []string{}}
		// Keep the draw order: iterating the set would make the file
		// differ from run to run.
		picked := make(map[int]bool, per)
		g.Members = make([]string, 0, per)
		for len(g.Members) < per {
			if j := rng.IntN(o.Users); !picked[j] {
				picked[j] = true
				g.Members = append(g.Members, st.Users[j].ID)
			}
		}
		if o.Users > 0 {
			g.Owners = []string{st.Users[rng.IntN(o.Users)].ID}
		}
		st.Groups = append(st.Groups, g)
	}
	return st
}
