#!/bin/sh
# Installs the Debian packages named as arguments that are missing, and only
# those.  Runs "apt-get update" first when the package lists are empty, and
# again if an install fails on stale lists.
set -u
command -v dpkg-query >/dev/null 2>&1 || {
	echo "deps: not a Debian system; install these yourself: $*" >&2
	exit 0
}
missing=""
for p in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$status" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
	$sudo apt-get update -q || exit 1
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing ||
	{ $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends $missing; } ||
	{ echo "deps: could not install:$missing" >&2; exit 1; }
