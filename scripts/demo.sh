#!/usr/bin/env bash
# The main job: set up, build, and run the gateway demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/dataplane/srtp/msf-srtp-demo "$@"
