#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd-analyze rates etc/upsagent.service 2.0 or lower (lower is safer).
set -eu
unit=$1
out=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	printf '%s\n' "$out"
	echo "no score from systemd-analyze"
	exit 1
fi
echo "exposure level $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
