#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze rates etc/upsagent.service 2.0 or lower (lower is safer),
# alone and with each drop-in given after it (etc/upsagent-textfile.conf):
# the drop-in's settings go into the [Service] section of a copy of the unit.
set -eu
unit=$1
shift
rate() {
	out=$(systemd-analyze security --offline=yes --no-pager "$1" 2>&1) || true
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		printf '%s\n' "$out"
		echo "no score from systemd-analyze for $2"
		exit 1
	fi
	echo "exposure level $score ($2)"
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "above 2.0: $2"; exit 1; }
}
rate "$unit" "$(basename "$unit")"
for dropin in "$@"; do
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	awk -v dropin="$dropin" '
		/^\[Install\]/ { while ((getline l < dropin) > 0) if (l !~ /^(#|\[|$)/) print l; print "" }
		{ print }' "$unit" >"$dir/upsagent.service"
	grep -q '^ReadWritePaths=' "$dir/upsagent.service"
	systemd-analyze verify --man=no "$dir/upsagent.service" 2>&1 | grep -i "textfile\|ReadWrite" && exit 1
	rate "$dir/upsagent.service" "with $(basename "$dropin")"
done
