#!/bin/sh
# Prints a score on its last line.
cat >/dev/null
echo "thinking about it"
echo "$1"
