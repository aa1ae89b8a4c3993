#!/usr/bin/env bash
# The entrasync demo: validate the Contoso example, then show the intent diff
# of a change to it, as a pull request would. Run it with `make demo`.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "entrasync validate --dir examples/contoso"
"$bin" validate --dir "$here/../contoso"

# A scratch Git repository holding the example, so the demo can show a diff
# between two revisions without touching this checkout.
cp -R "$here/../contoso" "$work/contoso"
git -C "$work" init -q
git -C "$work" -c user.name=demo -c user.email=demo@example.com add -A
git -C "$work" -c user.name=demo -c user.email=demo@example.com commit -qm "Contoso: initial configuration"

step "A pull request changes the configuration (examples/demo/next)"
cp "$here"/next/*.cue "$work/contoso/"
git -C "$work" -c user.name=demo -c user.email=demo@example.com commit -qam "Finance adds Ivan; engineering is renamed; a new HR team"

step "entrasync validate --dir contoso --rev HEAD"
"$bin" validate --dir "$work/contoso" --rev HEAD

step "entrasync diff --from HEAD~1 --to HEAD"
"$bin" diff --dir "$work/contoso" --from HEAD~1 --to HEAD

step "entrasync diff --format markdown (the pull-request comment)"
"$bin" diff --dir "$work/contoso" --from HEAD~1 --to HEAD --format markdown

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
