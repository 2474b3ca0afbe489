#!/bin/sh
echo "grader exploded" >&2
exit 3
