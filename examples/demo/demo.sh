#!/usr/bin/env bash
# The entrasync demo, run by `make demo`: the Contoso example against the
# Graph emulator, end to end, with no tenant and no credentials.
#
#   1. validate the configuration;
#   2. plan, apply, and plan again: no changes;
#   3. a pull request: its offline intent diff, then plan and apply; the
#      cross-tenant sync job's status and a provision on demand;
#   4. the SharePoint profile mapping: the first import of everyone in
#      scope, then one changed cost centre imported alone;
#   5. the Configuration Manager scenario on "VPN Users", a group made by
#      hand before entrasync: it had A,B,C and the config declares B,C ->
#      first sync leaves B,C; the PR drops C -> incremental leaves B;
#      D is added in the portal -> incremental leaves B,D;
#      apply --full -> B;
#   6. export: the other groups made by hand come under management, and
#      the first plan after the export only adopts them.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# SharePoint runs an import job within hours; the emulator's take a second.
export ENTRASYNC_SIM_IMPORT_STEP=300ms

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ entrasync %s\n' "$*"; "$bin" "$@"; }
members() { printf 'VPN Users now: %s\n' "$("$bin" sim members --state "$work/tenant.json" --group vpn-users | tr '\n' ' ')"; }
git_commit() {
	git -C "$work" -c user.name=demo -c user.email=demo@example.com add -A
	git -C "$work" -c user.name=demo -c user.email=demo@example.com commit -qm "$1"
}

step "Validate the configuration"
run validate --dir "$here/../contoso"

# A scratch Git repository holding the example and a copy of its emulator
# tenant, so the demo never touches this checkout.
cp -R "$here/../contoso" "$work/contoso"
mv "$work/contoso/tenant.json" "$work/tenant.json"
git -C "$work" init -q
git_commit "Contoso: initial configuration"
tenant=(--dir "$work/contoso" --rev HEAD --tenant "sim:$work/tenant.json")
members

step "Plan against the tenant (the emulator, through the real Graph client)"
run plan "${tenant[@]}"

step "Apply"
run apply "${tenant[@]}" --auto-approve
members

step "Plan again: nothing left to do"
run plan "${tenant[@]}" --detailed-exitcode

step "A pull request changes the configuration (examples/demo/next)"
cp "$here"/next/*.cue "$work/contoso/"
git_commit "Finance adds Ivan; engineering renamed; a new HR team; Carol leaves VPN Users; Fabrikam direct connect for the sync team only; the sync job marks departments"
run diff --dir "$work/contoso" --from HEAD~1 --to HEAD

step "Plan the pull request: VPN Users is incremental, so Carol (dropped from the config) goes; Fabrikam gets one PATCH; the sync job one schema PUT"
run plan "${tenant[@]}"
run apply "${tenant[@]}" --auto-approve
members

step "The sync job an hour later (the emulator's clock runs ahead): state, last cycle, errors"
ENTRASYNC_SIM_CLOCK_AHEAD=1h run status --dir "$work/contoso" --tenant "sim:$work/tenant.json"

step "Provision on demand: Heidi (a direct member of the scope group) is exported; Ivan, only in a nested group, is out of scope (provisioning does not follow nested groups)"
run sync-job provision --dir "$work/contoso" --tenant "sim:$work/tenant.json" --job to-fabrikam --user heidi@contoso.com
run sync-job provision --dir "$work/contoso" --tenant "sim:$work/tenant.json" --job to-fabrikam --user ivan@contoso.com

step "Someone adds Dave to VPN Users in the portal"
run sim add-member --state "$work/tenant.json" --group vpn-users --member dave@contoso.com
members

step "Incremental sync leaves Dave alone"
run plan "${tenant[@]}" --detailed-exitcode

step "apply --full makes VPN Users exactly what the configuration declares"
run plan "${tenant[@]}" --full --target groups.sg-legacy-vpn || true
run apply "${tenant[@]}" --full --target groups.sg-legacy-vpn --auto-approve
members

step "HR moves Carol from Finance to Sales: SG Finance follows its filter, with no commit"
run sim set-user --state "$work/tenant.json" --user carol@contoso.com --set department=Sales
run plan "${tenant[@]}"
run apply "${tenant[@]}" --auto-approve

step "Finance changes Dave's cost centre in Entra: the profile mapping plans exactly that profile and property"
run sim set-user --state "$work/tenant.json" --user dave@contoso.com --set extension_3f1c7e1b2c8f4a8a9a1e2b3c4d5e6f70_costCenter=1020
run plan "${tenant[@]}" --target profileMappings.spo-cost-center
run apply "${tenant[@]}" --target profileMappings.spo-cost-center --auto-approve
run status --dir "$work/contoso" --tenant "sim:$work/tenant.json"

step "Bring what was made by hand in the portal (groups, a partner) under management: export writes it next to the configuration, bound by id (the sync job set up in the portal waits for --sync-target: Graph never returns its target tenant)"
run export --tenant "sim:$work/tenant.json" --out "$work/contoso" --groups-file existing-groups.cue --crosstenant-file existing-crosstenant.cue
git_commit "Adopt the groups made by hand"
step "The first plan after an export only adopts; the apply writes markers and nothing else"
run plan "${tenant[@]}"
run apply "${tenant[@]}" --auto-approve
run plan "${tenant[@]}" --detailed-exitcode

step "A broken change is caught with positions (exit 1 expected)"
cat > "$work/contoso/broken.cue" <<'CUE'
package contoso

groups: "sg-payroll": {
	displayName: "SG Payroll"
	membership: groups: ["sg-finace"] // misspelled
	owners: ["alice"]                 // not a UPN
}
CUE
if "$bin" validate --dir "$work/contoso"; then
	echo "demo: the broken configuration validated" >&2
	exit 1
fi
echo "(validate exited 1, as it should)"
