#!/bin/sh
# Install the Debian packages skillsmith needs to build, test and run its
# demo.  Idempotent: when everything is present it only checks and returns.
set -e

PKGS="build-essential pkg-config libcurl4-openssl-dev libcjson-dev \
libsqlite3-dev libgit2-dev libncurses-dev libyaml-dev libmicrohttpd-dev \
libcmocka-dev libssl-dev git tmux sqlite3 man-db groff-base clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "skillsmith: installing missing packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "skillsmith: need root to install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
