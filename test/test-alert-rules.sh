#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's example alert rules: promtool check rules accepts them, and
# the README shows etc/upsagent-alerts.yml as it is (indented four spaces).
set -eu
rules=$1 readme=$2
promtool check rules "$rules"
quoted=$(sed 's/^/    /' "$rules")
python3 -c 'import sys; sys.exit(sys.argv[1] not in open(sys.argv[2]).read())' "$quoted" "$readme" ||
	{ echo "README does not show $rules as it is"; exit 1; }
echo "README shows $rules"
