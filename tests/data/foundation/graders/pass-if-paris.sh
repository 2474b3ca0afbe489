#!/bin/sh
# A command grader: reads the trajectory JSON on stdin, passes (exit 0)
# when the output mentions Paris.
if grep -q '"output":"[^"]*Paris'; then
	echo "found Paris"
	exit 0
fi
echo "no Paris"
exit 1
