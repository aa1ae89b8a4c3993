#!/usr/bin/env bash
# measure-l.sh BIN [DIR]: the L-scale figures of the README's Performance
# section, measured on this machine in one run. It seeds the L tenant
# (100,000 users, 5,000 groups of 200 members), serves it with `sim serve`
# in another process, exports it as a configuration, applies it (markers
# only), changes 5% of the groups (10 members out, 10 in, in every
# twentieth group), and then measures `validate`, the cold `plan` and the
# `apply` of that change: wall time and peak RSS of the entrasync process
# alone (GNU time), and round trips as the emulator counted them.
#
# It takes about ten minutes, most of it the emulator saving its 68 MB state
# after each $batch of the marker apply.
set -euo pipefail

bin=$(realpath "${1:?usage: measure-l.sh BIN [DIR]}")
dir=${2:-$(mktemp -d)}
mkdir -p "$dir/repo"
cd "$dir"

"$bin" sim seed --users 100000 --groups 5000 --members-per-group 200 --seed 1 --out big.json >/dev/null
"$bin" sim serve --state big.json >serve.out 2>serve.err &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.2; done
graph=$(head -1 serve.out)
admin=${graph%/v1.0}/_sim
tenant=$(python3 -c 'import json,sys; print(json.load(open("big.json"))["tenantId"])')

cd repo
git init -q
git config user.email measure@example.com
git config user.name measure
"$bin" export --graph-url "$graph" --tenant "$tenant" --out . >/dev/null
git add -A && git commit -qm export
"$bin" apply --auto-approve --graph-url "$graph" >/dev/null

# Every twentieth group: its first 10 users out, 10 others in.
python3 - <<'EOF'
import re
out, group, users, dropped = [], -1, False, 0
for line in open("groups.cue").read().split("\n"):
    m = re.match(r"^\tgroup(\d+): \{$", line)
    if m:
        group, dropped = int(m.group(1)), 0
    if line.strip() == "users: [":
        users = True
        out.append(line)
        if group % 20 == 0:
            out += ['\t\t\t\t"user%06d@contoso.com",' % (99000 + group % 1000 + k) for k in range(10)]
        continue
    if users and line.strip() == "]":
        users = False
    if users and group % 20 == 0 and dropped < 10:
        dropped += 1
        continue
    out.append(line)
open("groups.cue", "w").write("\n".join(out))
EOF
git commit -qam "change 5% of the groups"

measure() {
	local what=$1
	shift
	curl -s -X POST "$admin/stats/reset" >/dev/null
	/usr/bin/time -f "%e %M" -o ../time.out "$bin" "$@" >/dev/null 2>&1 || true
	read -r secs kb <../time.out
	requests=$(curl -s "$admin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["httpRequests"])')
	printf '| %s | %s s | %d MB | %s round trips |\n' "$what" "$secs" $((kb / 1024)) "$requests"
}
echo "| what | wall | peak RSS | round trips |"
echo "|---|---|---|---|"
measure "validate (5,000 groups, 1,000,000 references)" validate --dir .
measure "plan, cold, 5% changed" plan --graph-url "$graph"
measure "apply of the 5% change" apply --auto-approve --graph-url "$graph"
measure "plan after it" plan --graph-url "$graph"
