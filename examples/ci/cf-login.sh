#!/usr/bin/env bash
# Log the cf CLI in from the environment. No credential is put on a command
# line or printed: `cf auth` without arguments reads CF_USERNAME and CF_PASSWORD
# itself (cf CLI 6.53 and later). Set them from the CI system's secret store.
#
#   CF_API      API endpoint, e.g. https://api.example.com
#   CF_ORG      org to target
#   CF_SPACE    space to target
#   CF_USERNAME, CF_PASSWORD   a user, or with CF_CLIENT_CREDENTIALS=true a UAA
#                              client id and secret
# Login state goes to CF_HOME (default: the user's home); point it at a
# temporary folder on shared runners.
set -euo pipefail

: "${CF_API:?is not set (the API endpoint, e.g. https://api.example.com)}"
: "${CF_ORG:?is not set (the org to deploy to)}"
: "${CF_SPACE:?is not set (the space to deploy to)}"
: "${CF_USERNAME:?is not set (set it from a CI secret)}"
: "${CF_PASSWORD:?is not set (set it from a CI secret)}"

cf api "${CF_API}"
if [[ "${CF_CLIENT_CREDENTIALS:-false}" == "true" ]]; then
  cf auth --client-credentials
else
  cf auth
fi
# cf auth clears the target, so target afterwards.
cf target -o "${CF_ORG}" -s "${CF_SPACE}"
