#!/bin/sh
# Never answers in time; its child holds stdout open too.
sleep 30 &
sleep 30
