#!/bin/sh
# Runs on every node after Kubernetes is installed.
set -eu
sysctl -w vm.max_map_count=262144
