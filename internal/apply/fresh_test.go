package apply

import (
	"slices"
	"testing"

	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// The fresh read fingerprints what the plan read: the groups whose
// change says so, every input group, and every full-mode group whatever
// the file says, so an edit cannot hide a service principal there.
func TestServicePrincipalReads(t *testing.T) {
	p := &plan.Plan{Groups: []plan.GroupChange{
		{ID: "read", ServicePrincipals: true},
		{ID: "not-read", Mode: model.ModeIncremental},
		{ID: "full", Mode: model.ModeFull},
		{Mode: model.ModeFull}, // a create: nothing to read
		{ID: "mirror", Inputs: []plan.LiveInput{{GroupID: "source"}, {Filter: "department eq 'X'"}}},
	}}
	if got, want := servicePrincipalReads(p), []string{"full", "read", "source"}; !slices.Equal(got, want) {
		t.Errorf("read with service principals: %v, want %v", got, want)
	}
}
